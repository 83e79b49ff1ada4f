"""Helpers for chat tests: friends, chats and messages through the API."""

from __future__ import annotations

import itertools
from typing import Any

import httpx

from tests.contacts.util import befriend, ptype
from tests.helpers import Api, User

__all__ = ["befriend", "cid", "direct", "friends", "group", "ptype", "said", "say"]

_ids = itertools.count(1)


def cid() -> str:
    return f"c{next(_ids)}"


async def friends(api: Api, n: int) -> list[User]:
    """n users who are all friends with the first."""
    users = [await api.register() for _ in range(n)]
    for other in users[1:]:
        await befriend(api, users[0], other)
    return users


async def direct(api: Api, a: User, b: User) -> int:
    r = await api.client.post("/chats/direct", headers=a.headers, json={"user_id": b.id})
    assert r.status_code == 200, r.text
    return int(r.json()["id"])


async def group(api: Api, owner: User, members: list[User], name: str = "Hutong fans") -> int:
    r = await api.client.post(
        "/chats/groups",
        headers=owner.headers,
        json={"name": name, "member_ids": [m.id for m in members]},
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


async def say(api: Api, user: User, chat_id: int, text: str, **extra: Any) -> httpx.Response:
    return await api.client.post(
        f"/chats/{chat_id}/messages",
        headers=user.headers,
        json={"client_id": cid(), "kind": "text", "text": text, **extra},
    )


async def said(api: Api, user: User, chat_id: int, text: str, **extra: Any) -> dict[str, Any]:
    r = await say(api, user, chat_id, text, **extra)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body
