"""Term-list changes reach every server process within seconds (PostgreSQL + Redis only)."""

from __future__ import annotations

import asyncio
import time

import httpx

from hutong.app import Container
from tests.conftest import Workers
from tests.helpers import PASSWORD, Api
from tests.realtime.test_cluster import needs_cluster


async def outcome(client: httpx.AsyncClient, headers: dict[str, str], text: str) -> str:
    r = await client.post("/moderation/test", headers=headers, json={"text": text})
    assert r.status_code == 200, r.text
    return str(r.json()["outcome"])


async def seconds_until(client: httpx.AsyncClient, headers: dict[str, str], want: str) -> float:
    start = time.monotonic()
    while await outcome(client, headers, "ｃ.ａ.ｓ.ｉ.ｎ.ｏ night") != want:
        assert time.monotonic() - start < 5, f"worker did not see the change (wanted {want})"
        await asyncio.sleep(0.05)
    return time.monotonic() - start


@needs_cluster
async def test_a_term_listed_on_one_worker_applies_on_the_other(
    workers: Workers, container: Container
) -> None:
    a_url, b_url = workers.urls
    async with httpx.AsyncClient(base_url=a_url) as a, httpx.AsyncClient(base_url=b_url) as b:
        api_a, api_b = Api(a, a_url), Api(b, b_url)
        staff = await api_a.register("cluster_mod")
        await container.accounts.set_password(staff.handle, PASSWORD, role="moderator")
        staff = await api_a.token(staff.handle)
        user = await api_b.register("cluster_writer")
        assert await outcome(b, staff.headers, "ｃ.ａ.ｓ.ｉ.ｎ.ｏ night") == "allow"  # B compiled
        r = await a.post(
            "/moderation/terms",
            headers=staff.headers,
            json={"term": "casino", "category": "gambling", "action": "block"},
        )
        assert r.status_code == 201
        term_id = r.json()["id"]
        # Worker B's periodic check runs every 30 s: only the published change explains this.
        assert await seconds_until(b, staff.headers, "block") < 3
        r = await b.patch("/me", headers=user.headers, json={"display_name": "CASINO 王"})
        assert (r.status_code, r.json()["reason"]) == (422, "gambling")
        r = await a.delete(f"/moderation/terms/{term_id}", headers=staff.headers)
        assert r.status_code == 204
        assert await seconds_until(b, staff.headers, "allow") < 3
