"""Several server processes on PostgreSQL + Redis behave as one.

These need Redis (and a shared database): they run in the PostgreSQL + Redis pass of `.ci/run`
(`make test-pg`) and are skipped in the embedded SQLite pass, where there is only one process.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
import websockets

from hutong.app import Container
from tests.conftest import PG_URL, REDIS_URL, Workers
from tests.helpers import Api

needs_cluster = pytest.mark.skipif(
    not (PG_URL and REDIS_URL),
    reason="needs HUTONG_TEST_DATABASE_URL (PostgreSQL) and HUTONG_TEST_REDIS_URL",
)


@needs_cluster
async def test_event_from_one_worker_reaches_a_socket_on_another(
    workers: Workers,
) -> None:
    a_url, b_url = workers.urls
    async with httpx.AsyncClient(base_url=a_url) as a, httpx.AsyncClient(base_url=b_url) as b:
        api_a, api_b = Api(a, a_url), Api(b, b_url)
        phone = await api_a.register("cluster_user")
        laptop = await api_b.token("cluster_user")
        assert (await b.get("/me", headers=laptop.headers)).status_code == 200  # now cached on B
        async with api_b.socket(phone) as sock:
            await sock.ready()
            r = await a.patch("/me", headers=phone.headers, json={"bio": "sent via A"})
            assert r.status_code == 200
            [event] = await sock.events(1)
            assert event["payload"]["bio"] == "sent via A"
        # Revocation through A closes the laptop's socket on B and its cached session there.
        async with api_b.socket(laptop) as sock:
            await sock.ready()
            r = await a.delete(f"/me/sessions/{laptop.session_id}", headers=phone.headers)
            assert r.status_code == 204
            with pytest.raises(websockets.ConnectionClosed):
                while True:
                    await sock.next()
        assert (await b.get("/me", headers=laptop.headers)).status_code == 401


@needs_cluster
async def test_socket_recovers_after_redis_drops_the_subscriber(
    api: Api, container: Container
) -> None:
    """Kill the pub/sub connection mid-stream: events keep arriving, none lost or doubled."""
    import redis.asyncio as aioredis

    user = await api.register()
    admin = aioredis.Redis.from_url(REDIS_URL or "")
    try:
        async with api.socket(user, since=2) as sock:
            await sock.ready()
            for i in range(10):
                if i == 4:
                    await admin.client_kill_filter(_type="pubsub")
                await api.client.patch("/me", headers=user.headers, json={"bio": f"b{i}"})
            seqs = [e["seq"] for e in await sock.events(10, timeout=20)]
            assert seqs == list(range(3, 13))
            await asyncio.sleep(0.5)
            await api.client.patch("/me", headers=user.headers, json={"bio": "later"})
            assert (await sock.events(1))[0]["seq"] == 13
    finally:
        await admin.aclose()
