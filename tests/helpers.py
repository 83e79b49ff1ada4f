"""Small clients for tests: a user with a bearer token, a browser-like cookie session; and a
picture to upload."""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets
from PIL import Image

_counter = itertools.count(1)
PASSWORD = "correct horse battery"


def png(width: int, height: int, colour: tuple[int, int, int] = (250, 157, 59)) -> bytes:
    """A plain PNG of that size, for avatar, icon and picture uploads."""
    buf = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buf, "PNG")
    return buf.getvalue()


def unique_handle(prefix: str = "user") -> str:
    return f"{prefix}{next(_counter)}"


@dataclass
class User:
    id: int
    handle: str
    token: str
    session_id: int
    password: str = PASSWORD

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Api:
    client: httpx.AsyncClient
    base: str
    _seen: set[str] = field(default_factory=set)

    async def register(self, handle: str | None = None, password: str = PASSWORD) -> User:
        """A new account, signed in as an API client (bearer token)."""
        handle = handle or unique_handle()
        async with self.browser() as b:  # keep the shared client free of cookies
            r = await b.post("/auth/register", json={"handle": handle, "password": password})
        assert r.status_code == 201, r.text
        return await self.token(handle, password)

    async def token(self, handle: str, password: str = PASSWORD) -> User:
        r = await self.client.post("/auth/token", json={"handle": handle, "password": password})
        assert r.status_code == 200, r.text
        body = r.json()
        return User(
            body["user"]["id"], body["user"]["handle"], body["token"], body["session_id"], password
        )

    def browser(self) -> httpx.AsyncClient:
        """A separate cookie jar, as a browser would have."""
        return httpx.AsyncClient(base_url=self.base, timeout=30)

    @asynccontextmanager
    async def socket(self, user: User, since: int = 0) -> AsyncIterator[Socket]:
        url = self.base.replace("http", "ws", 1) + f"/ws?since={since}"
        async with websockets.connect(url, additional_headers=user.headers) as ws:
            yield Socket(ws)


@dataclass
class Socket:
    ws: Any

    async def next(self, timeout: float = 5.0, *, skip_pings: bool = True) -> dict[str, Any]:
        import asyncio

        while True:
            raw = await asyncio.wait_for(self.ws.recv(), timeout)
            msg: dict[str, Any] = json.loads(raw)
            if skip_pings and msg.get("type") in {"ping", "pong"}:
                continue
            return msg

    async def events(self, n: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """The next `n` sync events, skipping control messages."""
        out: list[dict[str, Any]] = []
        while len(out) < n:
            msg = await self.next(timeout)
            if msg.get("type") == "event":
                out.append(msg)
        return out

    async def ready(self) -> list[dict[str, Any]]:
        """Events replayed before the `ready` marker, which is returned last."""
        out: list[dict[str, Any]] = []
        while True:
            msg = await self.next()
            out.append(msg)
            if msg.get("type") == "ready":
                return out
