"""The group-commit writer's own guarantees, on whichever database the suite runs (on SQLite it
writes in plain `sqlite3` statements on its own thread, on PostgreSQL through SQLAlchemy):
what a send was answered is exactly what is stored, pushed and synced; a retry answers the
stored message as it is now; sends and other writes interleave without losing either."""

from __future__ import annotations

import asyncio
from typing import Any

from hutong.app import Container
from tests.chat.util import cid, direct, friends, group, said
from tests.helpers import Api


async def test_a_message_reads_back_everywhere_exactly_as_its_send_was_answered(
    api: Api,
) -> None:
    owner, ann, ben = await friends(api, 3)
    chat = await group(api, owner, [ann, ben])
    sends: list[tuple[Any, dict[str, Any]]] = [
        (owner, {"text": 'Tea at 5? 你好 🍵 "quoted" \\ back\\slash', "mentions": [ann.id]}),
        (owner, {"text": "Everyone: the courtyard gate is open", "mention_all": True}),
        (ben, {"text": "A MIXED Case 你好"}),
    ]
    bodies = [{"client_id": cid(), "kind": "text", **extra} for _, extra in sends]
    async with api.socket(ann) as sock:
        await sock.ready()
        answers = []
        for (user, _), body in zip(sends, bodies, strict=True):
            r = await api.client.post(f"/chats/{chat}/messages", headers=user.headers, json=body)
            assert r.status_code == 201, r.text
            answers.append(r.json())
        pushed = [e["payload"] for e in await sock.events(3) if e["kind"] == "chat.message"]
    assert pushed == answers
    assert [a["seq"] for a in answers] == [2, 3, 4]  # 1: the group's notice
    assert answers[0]["mentions"] == [ann.id]
    assert answers[1]["mention_all"] is True
    history = (await api.client.get(f"/chats/{chat}/messages", headers=ben.headers)).json()
    assert history[-3:] == answers
    page = (await api.client.get("/sync", headers=ann.headers)).json()["events"]
    assert [e["payload"] for e in page if e["kind"] == "chat.message"][-3:] == answers
    found = (await api.client.get("/chats/search?q=mixed case", headers=ben.headers)).json()
    assert [h["message"] for h in found] == answers[2:]

    # A retry, in a later batch, answers the stored message, equal to the first answer ...
    for (user, _), body, first in zip(sends, bodies, answers, strict=True):
        r = await api.client.post(f"/chats/{chat}/messages", headers=user.headers, json=body)
        assert (r.status_code, r.json()) == (201, first)
    # ... and as it is now: recalled, without its content.
    r = await api.client.post(f"/chats/{chat}/messages/4/recall", headers=ben.headers)
    assert r.status_code == 200, r.text
    r = await api.client.post(f"/chats/{chat}/messages", headers=ben.headers, json=bodies[2])
    assert r.status_code == 201
    assert r.json() == {**answers[2], "body": {}, "recalled": True, "recalled_by": ben.id}
    history = (await api.client.get(f"/chats/{chat}/messages", headers=ben.headers)).json()
    assert history[-1] == r.json()


async def test_sends_and_other_writes_interleave_without_losing_either(api: Api) -> None:
    """While messages are sent, the same chat's members move read markers and change settings
    (ordinary write transactions): every request succeeds and every effect is there."""
    alice, bob = await friends(api, 2)
    chat = await direct(api, alice, bob)
    await said(api, alice, chat, "first")

    async def send(i: int) -> int:
        r = await api.client.post(
            f"/chats/{chat}/messages",
            headers=(alice if i % 2 else bob).headers,
            json={"client_id": cid(), "kind": "text", "text": f"m{i}"},
        )
        assert r.status_code == 201, r.text
        return int(r.json()["seq"])

    async def read(seq: int) -> None:
        r = await api.client.post(f"/chats/{chat}/read", headers=bob.headers, json={"seq": seq})
        assert r.status_code == 200, r.text

    async def pin(user: Any) -> None:
        r = await api.client.put(
            f"/chats/{chat}/settings", headers=user.headers, json={"pinned": True}
        )
        assert r.status_code == 200, r.text

    results = await asyncio.gather(
        *(send(i) for i in range(40)),
        *(read(1) for _ in range(10)),
        *(pin(alice if i % 2 else bob) for i in range(10)),
    )
    assert sorted(results[:40]) == list(range(2, 42))
    history = (
        await api.client.get(f"/chats/{chat}/messages?limit=100", headers=bob.headers)
    ).json()
    assert [m["seq"] for m in history] == list(range(1, 42))
    assert sorted(m["body"]["text"] for m in history[1:]) == sorted(f"m{i}" for i in range(40))
    [entry] = (await api.client.get("/chats", headers=alice.headers)).json()
    assert entry["pinned"] is True
    [entry] = (await api.client.get("/chats", headers=bob.headers)).json()
    assert (entry["pinned"], entry["unread"]) == (True, 20)  # alice's 20 after "first"


async def test_the_writer_drains_and_takes_sends_again(api: Api, container: Container) -> None:
    """Draining (as shutdown does) waits for every queued send and lets go of the writer's
    connection; a send after that is written as usual."""
    alice, bob = await friends(api, 2)
    chat = await direct(api, alice, bob)
    before = asyncio.gather(*(said(api, alice, chat, f"before {i}") for i in range(5)))
    await asyncio.sleep(0)
    await container.chats.writer.drain()
    await before
    after = await said(api, bob, chat, "after")
    assert after["seq"] == 6
    history = (await api.client.get(f"/chats/{chat}/messages", headers=bob.headers)).json()
    assert [m["seq"] for m in history] == [1, 2, 3, 4, 5, 6]
