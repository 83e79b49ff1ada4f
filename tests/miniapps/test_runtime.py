"""The mini-program origin serves a launched version's files under a sandboxing CSP, and
nothing without a valid ticket."""

from __future__ import annotations

import httpx
import pytest

from hutong.app import Container
from hutong.core.clock import ManualClock
from hutong.miniapps.runtime import build_runtime_app
from tests.helpers import Api, User
from tests.miniapps.util import INDEX, developer, released
from tests.moderation.conftest import make_staff


@pytest.fixture
async def moderator(api: Api, container: Container) -> User:
    return await make_staff(api, container)


async def test_launched_files_are_served_sandboxed_and_only_with_a_ticket(
    api: Api, moderator: User, container: Container, clock: ManualClock
) -> None:
    dev = await developer(api, domains=["shop.example"])
    await released(api, dev, moderator)
    user = await api.register()
    launch = (
        await api.client.post(f"/miniapps/apps/{dev.appid}/launch", headers=user.headers)
    ).json()
    path = launch["url"].removeprefix(launch["origin"])
    runtime = build_runtime_app(container.miniapps, "http://127.0.0.1:8000")
    transport = httpx.ASGITransport(app=runtime)
    async with httpx.AsyncClient(transport=transport, base_url=launch["origin"]) as web:
        r = await web.get(path)
        assert r.status_code == 200
        assert r.content == INDEX
        csp = r.headers["content-security-policy"]
        assert "sandbox allow-scripts allow-forms" in csp
        assert "allow-same-origin" not in csp
        assert "connect-src https://shop.example;" in csp
        assert "frame-ancestors http://127.0.0.1:8000" in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        js = await web.get(path.replace("index.html", "app.js"))
        assert js.headers["content-type"].startswith("text/javascript")
        ticket = path.split("/")[2]
        for bad in (
            path.replace(ticket, ticket[:-2] + "xx"),  # tampered ticket
            f"/app/{ticket}/../../../secret_key",
            f"/app/{ticket}/pages/%2e%2e/%2e%2e/manifest.json",
            f"/app/{ticket}/pages/missing.html",
            "/app/nothing/pages/index.html",
        ):
            assert (await web.get(bad)).status_code == 404, bad
        clock.advance(hours=13)  # tickets expire
        assert (await web.get(path)).status_code == 404
