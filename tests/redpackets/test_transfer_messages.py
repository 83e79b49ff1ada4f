"""A friend transfer is a chat message: sent, then accepted or declined, in the friends' chat."""

from __future__ import annotations

import asyncio
from typing import Any

from hutong.app import Container
from tests.helpers import Api, User
from tests.wallet.util import PIN, friends, send


async def _transfer_messages(api: Api, user: User, n: int) -> list[dict[str, Any]]:
    for _ in range(100):
        chats = (await api.client.get("/chats", headers=user.headers)).json()
        found: list[dict[str, Any]] = []
        for chat in chats:
            r = await api.client.get(f"/chats/{chat['id']}/messages", headers=user.headers)
            body = r.json()
            msgs = body["messages"] if isinstance(body, dict) else body
            found += [m for m in msgs if m["kind"] == "transfer"]
        if len(found) >= n:
            return sorted(found, key=lambda m: m["seq"])
        await asyncio.sleep(0.05)
    return found


async def test_transfer_steps_appear_in_the_friends_chat_once(
    api: Api, container: Container
) -> None:
    alice, bob = await friends(api, 10_000, 0)
    r = await send(
        api, alice, "/wallet/transfers", {"to_user_id": bob.id, "amount": 500, "pin": PIN}
    )
    assert r.status_code == 201, r.text
    tid = r.json()["id"]
    assert (await send(api, bob, f"/wallet/transfers/{tid}/accept")).status_code == 200
    await container.wallet.outbox.drain()
    msgs = await _transfer_messages(api, bob, 2)
    assert [(m["body"]["status"], m["sender_id"]) for m in msgs] == [
        ("sent", alice.id),
        ("accepted", bob.id),
    ]
    assert {m["body"]["transfer_id"] for m in msgs} == {tid}
    assert msgs[0]["body"]["amount"] == 500
    # Alice sees the same two messages in the same chat.
    assert [m["seq"] for m in await _transfer_messages(api, alice, 2)] == [m["seq"] for m in msgs]
