"""The mini-program origin serves a launched version's files under a sandboxing CSP, and
nothing without a valid ticket."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from hutong.app import Container
from hutong.core.clock import ManualClock
from hutong.miniapps.runtime import build_runtime_app, policy
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
        # The tests allow private addresses (as the demo does), so http is allowed too.
        assert "connect-src https://shop.example http://shop.example;" in csp
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


def test_without_private_addresses_apps_connect_only_over_https() -> None:
    csp = policy(["shop.example", "api.shop.example:8443"], "https://hutong.example")
    assert "connect-src https://shop.example https://api.shop.example:8443;" in csp
    assert "http://" not in csp.replace("frame-ancestors https://hutong.example", "")
    assert "connect-src 'none'" in policy([], "https://hutong.example")


async def test_the_sdk_is_served_with_the_host_origin_written_in(container: Container) -> None:
    runtime = build_runtime_app(container.miniapps, "http://127.0.0.1:8000")
    transport = httpx.ASGITransport(app=runtime)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8001") as web:
        r = await web.get("/sdk/hutong.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    assert 'var HOST = "http://127.0.0.1:8000";' in r.text
    assert "__HUTONG_HOST_ORIGIN__" not in r.text


async def test_one_process_serves_both_origins_apart() -> None:
    from starlette.types import Receive, Scope, Send

    from hutong.app import Origins

    seen: list[str] = []

    def named(name: str) -> Any:
        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            seen.append(name)

        return app

    both = Origins(named("main"), named("runtime"), "http://127.0.0.1:8001", 8000)

    async def call(port: int, host: bytes, kind: str = "http") -> str:
        scope = {"type": kind, "server": ("127.0.0.1", port), "headers": [(b"host", host)]}
        await both(scope, None, None)  # type: ignore[arg-type]
        return seen.pop()

    assert await call(8001, b"127.0.0.1:8001") == "runtime"
    assert await call(8001, b"localhost:8001") == "runtime"  # the port decides
    assert await call(8000, b"127.0.0.1:8000") == "main"
    assert await call(8000, b"127.0.0.1:8001") == "runtime"  # behind a proxy: the host decides
    assert await call(8001, b"127.0.0.1:8001", "websocket") == "main"  # no sockets there
    await both({"type": "lifespan"}, None, None)  # type: ignore[arg-type]
    assert seen.pop() == "main"
