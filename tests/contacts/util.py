"""Small helpers shared by the contacts tests."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import pytest

from hutong.settings import Settings
from tests.helpers import Api, User


def ptype(r: httpx.Response) -> str:
    """The problem type slug of an error response (asserting it is problem+json)."""
    assert r.headers["content-type"].startswith("application/problem+json"), r.text
    return str(r.json()["type"]).rsplit("/", 1)[-1]


def sha(e164: str) -> str:
    return hashlib.sha256(e164.encode()).hexdigest()


async def request(
    api: Api, a: User, b: User, source: str = "handle", **extra: Any
) -> httpx.Response:
    return await api.client.post(
        "/contacts/requests",
        headers=a.headers,
        json={"to_user_id": b.id, "source": source, **extra},
    )


async def befriend(api: Api, a: User, b: User) -> None:
    """Make a and b friends: b asks, a accepts. So `a` can gain many friends in one test
    without tripping the anti-spam limit on friend requests (new accounts: 3 a minute)."""
    r = await request(api, b, a, greeting="hi")
    assert r.status_code == 201, r.text
    r = await api.client.post(f"/contacts/requests/{r.json()['id']}/accept", headers=a.headers)
    assert r.status_code == 200, r.text


async def set_profile(api: Api, user: User, **fields: Any) -> None:
    r = await api.client.patch("/me", headers=user.headers, json=fields)
    assert r.status_code == 200, r.text


async def friend_ids(api: Api, user: User) -> list[int]:
    r = await api.client.get("/contacts/friends", headers=user.headers)
    assert r.status_code == 200, r.text
    return [f["user"]["id"] for f in r.json()["friends"]]


def _relaxed(field: str) -> dict[str, str]:
    factory = Settings.model_fields[field].default_factory
    assert factory is not None
    return {**factory(), "friend_request": "1000/60"}  # type: ignore[call-arg]


# Tests that send many friend requests from fresh accounts lift the anti-spam limit, which
# has its own test (`test_friend_requests_obey_the_anti_spam_limits`).
MANY_REQUESTS = pytest.mark.settings(
    action_limits=_relaxed("action_limits"), action_limits_new=_relaxed("action_limits_new")
)
