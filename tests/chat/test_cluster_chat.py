"""Chat across worker processes on PostgreSQL + Redis, including a worker killed mid-storm.

Runs in the PostgreSQL + Redis pass (`make test-pg`); skipped on the embedded SQLite default,
which is a single process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import httpx
import pytest
import websockets

from tests.conftest import PG_URL, REDIS_URL, Workers
from tests.contacts.util import befriend
from tests.helpers import Api, User

pytestmark = pytest.mark.skipif(
    not (PG_URL and REDIS_URL),
    reason="needs HUTONG_TEST_DATABASE_URL (PostgreSQL) and HUTONG_TEST_REDIS_URL",
)


async def _pair(api: Api) -> tuple[User, User, int]:
    alice, bob = await api.register(), await api.register()
    await befriend(api, alice, bob)
    r = await api.client.post("/chats/direct", headers=alice.headers, json={"user_id": bob.id})
    return alice, bob, int(r.json()["id"])


async def test_message_sent_through_one_worker_reaches_a_socket_on_the_other(
    workers: Workers,
) -> None:
    a_url, b_url = workers.urls
    async with httpx.AsyncClient(base_url=a_url) as a, httpx.AsyncClient(base_url=b_url) as b:
        api_a, api_b = Api(a, a_url), Api(b, b_url)
        alice, bob, chat = await _pair(api_a)
        async with api_b.socket(bob, since=0) as sock:
            await sock.ready()
            r = await a.post(
                f"/chats/{chat}/messages",
                headers=alice.headers,
                json={"client_id": "x1", "kind": "text", "text": "via A"},
            )
            assert r.status_code == 201
            [event] = await sock.events(1)
            assert event["payload"]["body"]["text"] == "via A"


async def test_sigkill_mid_storm_loses_nothing_answered_and_resync_has_no_gap(
    workers: Workers,
) -> None:
    """Bob listens on worker A; Alice sends 120 messages through both workers; A is killed
    half-way. Every send that was answered must reach Bob, once, in order, after he
    reconnects to B; unanswered sends are retried by the client with the same client_id."""
    a_url, b_url = workers.urls
    async with (
        httpx.AsyncClient(base_url=a_url, timeout=10) as a,
        httpx.AsyncClient(base_url=b_url, timeout=10) as b,
    ):
        api_b = Api(b, b_url)
        alice, bob, chat = await _pair(api_b)
        received: list[dict[str, Any]] = []
        last_seq = 0
        ws_a = websockets.connect(
            a_url.replace("http", "ws") + "/ws?since=0", additional_headers=bob.headers
        )
        sock = await ws_a.__aenter__()

        async def listen() -> None:
            nonlocal last_seq
            with contextlib.suppress(websockets.ConnectionClosed, OSError):
                async for raw in sock:
                    msg = json.loads(raw)
                    if msg.get("type") == "event":
                        received.append(msg)
                        last_seq = msg["seq"]

        listener = asyncio.create_task(listen())
        answered: dict[str, int] = {}
        unanswered: list[str] = []

        async def send(i: int) -> None:
            client = a if i % 2 else b
            cid = f"storm-{i}"
            try:
                r = await client.post(
                    f"/chats/{chat}/messages",
                    headers=alice.headers,
                    json={"client_id": cid, "kind": "text", "text": f"#{i}"},
                )
            except httpx.HTTPError:
                unanswered.append(cid)
                return
            if r.status_code == 201:
                answered[cid] = r.json()["seq"]
            else:
                unanswered.append(cid)

        first = [asyncio.create_task(send(i)) for i in range(60)]
        await asyncio.sleep(0.05)
        workers.kill(0)  # worker A, with Bob's socket and half the sends in flight
        second = [asyncio.create_task(send(i)) for i in range(60, 120)]
        await asyncio.gather(*first, *second)
        await asyncio.wait_for(listener, 10)
        with contextlib.suppress(Exception):
            await ws_a.__aexit__(None, None, None)
        print(f"unanswered after the kill: {len(unanswered)}, received live: {len(received)}")
        # The client retries what was never answered, now through B, with the same ids.
        for cid in unanswered:
            r = await b.post(
                f"/chats/{chat}/messages",
                headers=alice.headers,
                json={"client_id": cid, "kind": "text", "text": f"#{cid[6:]}"},
            )
            assert r.status_code == 201, r.text
            answered[cid] = r.json()["seq"]
        # Bob reconnects to B from the last sequence he saw.
        async with api_b.socket(bob, since=last_seq) as sock_b:
            for msg in await sock_b.ready():
                if msg.get("type") == "event":
                    received.append(msg)
        seqs = [m["seq"] for m in received]
        assert seqs == list(range(1, len(seqs) + 1)), "a gap or a duplicate in Bob's stream"
        got = {
            m["payload"]["client_id"]: m["payload"]["seq"]
            for m in received
            if m["kind"] == "chat.message"
        }
        assert len(answered) == 120
        assert got == answered
        history = (await b.get(f"/chats/{chat}/messages?limit=200", headers=bob.headers)).json()
        assert sorted(m["client_id"] for m in history) == sorted(answered)
