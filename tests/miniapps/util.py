"""Helpers for mini-program tests: bundles, a developer with an app, the backend's HTTP
Basic credentials, and a fake developer backend that records the webhooks it receives."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import json
import time
import zipfile
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hutong.miniapps.webhooks import verify
from tests.conftest import free_port
from tests.helpers import Api, User
from tests.wallet.util import ptype, wallet_user

__all__ = ["ptype"]

INDEX = b"<!doctype html><title>Dumplings</title><script src='app.js'></script>"
MANIFEST = {"pages": ["pages/index.html"], "permissions": ["userInfo", "payment"]}


def bundle(files: dict[str, bytes] | None = None, manifest: dict[str, Any] | None = None) -> bytes:
    """A zip of `files` plus a manifest (a good small bundle by default)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", json.dumps(manifest or MANIFEST))
        for name, data in (
            files or {"pages/index.html": INDEX, "pages/app.js": b"console.log(1)"}
        ).items():
            z.writestr(name, data)
    return out.getvalue()


def basic(appid: str, secret: str) -> dict[str, str]:
    token = base64.b64encode(f"{appid}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@dataclass
class Dev:
    user: User
    appid: str
    secret: str
    merchant_id: int

    @property
    def auth(self) -> dict[str, str]:
        return basic(self.appid, self.secret)


async def developer(
    api: Api, *, domains: list[str] | None = None, name: str = "Dumpling House"
) -> Dev:
    """A developer (with a PIN) and one app."""
    user = await wallet_user(api)
    r = await api.client.post("/miniapps/developer", headers=user.headers, json={"name": name})
    assert r.status_code == 201, r.text
    merchant_id = r.json()["merchant_id"]
    r = await api.client.post(
        "/miniapps/console/apps",
        headers=user.headers,
        json={
            "name": name,
            "description": "Hand-made dumplings",
            "category": "food",
            "domains": domains or ["127.0.0.1"],
        },
    )
    assert r.status_code == 201, r.text
    return Dev(user, r.json()["appid"], r.json()["secret"], merchant_id)


async def upload(api: Api, dev: Dev, data: bytes, version: str = "1.0.0") -> Any:
    return await api.client.post(
        f"/miniapps/console/apps/{dev.appid}/versions?version={version}",
        headers={**dev.user.headers, "Content-Type": "application/zip"},
        content=data,
    )


async def released(
    api: Api, dev: Dev, moderator: User, version: str = "1.0.0", data: bytes | None = None
) -> int:
    """Upload, submit, approve (as `moderator`) and release a bundle (`data`, or a good small
    one); its version id."""
    r = await upload(api, dev, data or bundle(), version)
    assert r.status_code == 201, r.text
    vid = r.json()["id"]
    base = f"/miniapps/console/apps/{dev.appid}/versions/{vid}"
    r = await api.client.post(f"{base}/submit", headers=dev.user.headers)
    assert r.status_code == 200, r.text
    r = await api.client.post(f"/miniapps/review/{vid}/approve", headers=moderator.headers)
    assert r.status_code == 200, r.text
    r = await api.client.post(f"{base}/release", headers=dev.user.headers)
    assert r.status_code == 200, r.text
    return int(vid)


async def openid_of(api: Api, dev: Dev, user: User) -> str:
    """The user logs in to the app (a code from the host) and the backend exchanges it."""
    r = await api.client.post(f"/miniapps/apps/{dev.appid}/login", headers=user.headers)
    assert r.status_code == 200, r.text
    r = await api.client.post(
        "/miniapps/api/sessions", headers=dev.auth, json={"code": r.json()["code"]}
    )
    assert r.status_code == 200, r.text
    return str(r.json()["openid"])


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Backend:
    """The developer's webhook receiver: records every request and answers `status`."""

    status: int = 200
    received: list[Received] = field(default_factory=list)
    port: int = 0
    _server: uvicorn.Server | None = None
    _task: asyncio.Task[None] | None = None
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/notify"

    async def _notify(self, request: Request) -> Response:
        self.received.append(Received(dict(request.headers), await request.body(), time.time()))
        self._arrived.set()
        return Response(status_code=self.status)

    async def start(self) -> None:
        self.port = free_port()
        app = Starlette(routes=[Route("/notify", self._notify, methods=["POST"])])
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        assert self._server is not None
        assert self._task is not None
        self._server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(self._task, timeout=10)

    async def wait(self, n: int = 1, timeout: float = 5.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.received) < n and time.monotonic() < deadline:
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), deadline - time.monotonic())
        return self.received

    def verified(self, secret: str, r: Received, seen: set[str], now_s: float) -> bool:
        return verify(secret, r.headers, r.body, now_s=now_s, seen_nonces=seen)
