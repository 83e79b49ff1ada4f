"""Small helpers for the microblog tests (HTTP calls as a client makes them)."""

from __future__ import annotations

from typing import Any

from hutong.app import Container
from tests.helpers import Api, User


def problem_type(body: dict[str, Any]) -> str:
    return str(body["type"]).rsplit("/", 1)[-1]


async def post(api: Api, user: User, text: str, **extra: Any) -> dict[str, Any]:
    r = await api.client.post(
        "/microblog/posts", headers=user.headers, json={"text": text, **extra}
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def follow(api: Api, who: User, whom: User) -> dict[str, Any]:
    r = await api.client.put(f"/microblog/users/{whom.handle}/follow", headers=who.headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def home(api: Api, user: User, **params: Any) -> dict[str, Any]:
    r = await api.client.get("/microblog/home", headers=user.headers, params=params)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def home_ids(api: Api, user: User, **params: Any) -> list[int]:
    return [p["id"] for p in (await home(api, user, **params))["items"]]


async def all_pages(api: Api, user: User, path: str, limit: int = 3) -> list[dict[str, Any]]:
    """Every item of a cursor-paged list, checking no item repeats."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        r = await api.client.get(path, headers=user.headers, params=params)
        assert r.status_code == 200, r.text
        page = r.json()
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    keys = [i.get("id") or i["user"]["id"] for i in items]
    assert len(keys) == len(set(keys)), keys
    return items


async def settle(container: Container) -> None:
    """Let the fan-out worker finish every pending job."""
    await container.microblog.fanout.drain()


async def events(api: Api, user: User, kind: str) -> list[dict[str, Any]]:
    r = await api.client.get("/sync", headers=user.headers, params={"limit": 500})
    assert r.status_code == 200
    return [e for e in r.json()["events"] if e["kind"] == kind]
