"""The sync backbone: every event after N, in order, exactly once, live or after reconnect."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets
from sqlalchemy import insert, update

from hutong.app import Container
from hutong.realtime.models import SyncEvent, UserSequence
from tests.helpers import Api, User


async def _bio(api: Api, user: User, text: str) -> None:
    r = await api.client.patch("/me", headers=user.headers, json={"bio": text})
    assert r.status_code == 200, r.text


async def test_sync_pages_through_everything_in_order(api: Api) -> None:
    user = await api.register()
    for i in range(7):
        await _bio(api, user, f"bio {i}")
    seen: list[int] = []
    since = 0
    while True:
        page = (await api.client.get(f"/sync?since={since}&limit=3", headers=user.headers)).json()
        seen += [e["seq"] for e in page["events"]]
        since = page["next_since"]
        if not page["has_more"]:
            break
    # session.created (registration) + session.created (token) + 7 profile updates
    assert seen == list(range(1, 10))
    kinds = (await api.client.get("/sync?since=2", headers=user.headers)).json()["events"]
    assert [e["payload"]["bio"] for e in kinds] == [f"bio {i}" for i in range(7)]


async def test_nobody_reads_another_users_log(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    await _bio(api, alice, "secret plans")
    events = (await api.client.get("/sync", headers=bob.headers)).json()["events"]
    assert all("secret plans" not in json.dumps(e) for e in events)
    assert (await api.client.get("/sync")).status_code == 401


async def test_socket_delivers_live_events(api: Api) -> None:
    user = await api.register()
    async with api.socket(user, since=2) as sock:
        assert (await sock.ready())[-1] == {"type": "ready", "seq": 2}
        await _bio(api, user, "live")
        [event] = await sock.events(1)
        assert (event["seq"], event["kind"], event["payload"]["bio"]) == (
            3,
            "profile.updated",
            "live",
        )


async def test_reconnect_gets_exactly_the_missing_events(api: Api) -> None:
    user = await api.register()
    async with api.socket(user, since=0) as sock:
        replay = await sock.ready()
        last = replay[-1]["seq"]
        await _bio(api, user, "one")
        last = (await sock.events(1))[0]["seq"]
    for i in range(5):  # produced while the client is offline
        await _bio(api, user, f"offline {i}")
    async with api.socket(user, since=last) as sock:
        replay = await sock.ready()
        got = [m["seq"] for m in replay if m["type"] == "event"]
        assert got == list(range(last + 1, last + 6))
        await _bio(api, user, "back")
        assert (await sock.events(1))[0]["seq"] == last + 6


async def test_concurrent_producers_while_connecting_lose_and_double_nothing(api: Api) -> None:
    """Events race with the socket's catch-up: the client still sees 1..N once, in order."""
    user = await api.register()
    start = 2  # the two session.created events
    total = 60

    async def produce() -> None:
        await asyncio.gather(*(_bio(api, user, f"b{i}") for i in range(total)))

    producer = asyncio.create_task(produce())
    await asyncio.sleep(0.01)
    async with api.socket(user, since=0) as sock:
        seqs: list[int] = []
        while len(seqs) < start + total:
            msg = await sock.next(timeout=15)
            if msg["type"] == "event":
                seqs.append(msg["seq"])
        await producer
        assert seqs == list(range(1, start + total + 1))


async def test_a_lost_live_message_is_recovered_from_the_log(
    api: Api, container: Container
) -> None:
    """Pub/sub may drop a message; the next one reveals the gap and the log fills it."""
    user = await api.register()
    async with api.socket(user, since=2) as sock:
        await sock.ready()
        # An event committed whose publish never arrived (as when Redis drops it).
        async with container.db.write() as uow:
            await uow.session.execute(
                update(UserSequence)
                .where(UserSequence.user_id == user.id)
                .values(last_seq=UserSequence.last_seq + 1)
            )
            await uow.session.execute(
                insert(SyncEvent).values(
                    user_id=user.id,
                    seq=3,
                    kind="test.lost",
                    payload={"n": 3},
                    created_at=container.clock.now(),
                )
            )
        await _bio(api, user, "after the loss")
        events = await sock.events(2)
        assert [(e["seq"], e["kind"]) for e in events] == [(3, "test.lost"), (4, "profile.updated")]


async def test_revoked_devices_socket_is_closed(api: Api) -> None:
    phone = await api.register("ivan")
    laptop = await api.token("ivan")
    async with api.socket(laptop) as sock:
        await sock.ready()
        r = await api.client.delete(f"/me/sessions/{laptop.session_id}", headers=phone.headers)
        assert r.status_code == 204
        msgs = []
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                msgs.append(await sock.next())
        assert {"type": "revoked"} in msgs
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4001


async def test_socket_without_session_is_refused(api: Api) -> None:
    url = api.base.replace("http", "ws", 1) + "/ws"
    async with websockets.connect(url) as ws:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4401


async def test_socket_from_a_foreign_origin_is_refused(api: Api) -> None:
    async with api.browser() as b:
        await b.post("/auth/register", json={"handle": "origin_test", "password": "long enough"})
        cookie = f"hutong_session={b.cookies['hutong_session']}"
    url = api.base.replace("http", "ws", 1) + "/ws"
    with pytest.raises(websockets.InvalidStatus):
        async with websockets.connect(
            url,
            additional_headers={"Cookie": cookie},
            origin="https://evil.example",  # type: ignore[arg-type]
        ):
            pass


async def test_malformed_frames_get_an_error_frame_and_the_socket_stays_up(api: Api) -> None:
    user = await api.register()
    async with api.socket(user, since=2) as sock:
        await sock.ready()
        for frame in [
            "not json",
            "[1, 2]",
            '{"type": 5}',
            '{"type": "no-such-thing"}',
            "x" * 20000,
        ]:
            await sock.ws.send(frame)
            reply = await sock.next()
            assert reply["type"] == "error", frame
        await sock.ws.send('{"type": "ping"}')
        assert (await sock.next(skip_pings=False))["type"] == "pong"
        await _bio(api, user, "still here")
        assert (await sock.events(1))[0]["payload"]["bio"] == "still here"
