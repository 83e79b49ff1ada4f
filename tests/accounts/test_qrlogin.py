"""Desktop QR login: the waiting page is signed in through the realtime channel."""

from __future__ import annotations

import json
from typing import Any

import websockets

from hutong.core.clock import ManualClock
from tests.helpers import Api


async def _start(b: Any) -> dict[str, Any]:
    r = await b.post("/auth/qr", headers={"User-Agent": "Mozilla/5.0 (X11; Linux) Chrome/130"})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def _next_status(ws: Any) -> str:
    while True:
        msg = json.loads(await ws.recv())
        if msg["type"] == "ephemeral":
            return str(msg["payload"]["status"])


async def test_phone_confirms_and_waiting_desktop_is_signed_in(api: Api) -> None:
    phone = await api.register("qr_owner")
    async with api.browser() as desktop:
        start = await _start(desktop)
        svg = await desktop.get(start["svg_url"])
        assert svg.headers["content-type"] == "image/svg+xml"
        assert (await desktop.get(start["png_url"])).content[:4] == b"\x89PNG"
        ws_url = api.base.replace("http", "ws", 1) + f"/ws/ticket?ticket={start['ticket']}"
        async with websockets.connect(ws_url) as ws:
            assert json.loads(await ws.recv())["type"] == "ready"
            # The phone opens the QR link and sees which device is asking.
            seen = await api.client.get(f"/api/qr/{start['token']}", headers=phone.headers)
            assert seen.status_code == 200, seen.text
            info = seen.json()
            assert (info["kind"], info["device_name"]) == ("login", "Chrome on Linux")
            assert await _next_status(ws) == "scanned"
            # Not confirmed yet: the desktop cannot sign in.
            early = await desktop.post(
                "/auth/qr/complete", json={"id": start["id"], "secret": start["secret"]}
            )
            assert early.status_code == 409
            r = await api.client.post(f"/auth/qr/{start['id']}/confirm", headers=phone.headers)
            assert r.status_code == 204
            assert await _next_status(ws) == "confirmed"
        r = await desktop.post(
            "/auth/qr/complete", json={"id": start["id"], "secret": start["secret"]}
        )
        assert r.status_code == 200
        assert (await desktop.get("/me")).json()["handle"] == "qr_owner"
        # Single use.
        again = await desktop.post(
            "/auth/qr/complete", json={"id": start["id"], "secret": start["secret"]}
        )
        assert again.status_code == 410
    sessions = (await api.client.get("/me/sessions", headers=phone.headers)).json()
    assert "Chrome on Linux" in [s["device_name"] for s in sessions]


async def test_someone_who_only_saw_the_code_cannot_take_the_session(api: Api) -> None:
    phone = await api.register()
    async with api.browser() as desktop:
        start = await _start(desktop)
        await api.client.get(f"/api/qr/{start['token']}", headers=phone.headers)
        await api.client.post(f"/auth/qr/{start['id']}/confirm", headers=phone.headers)
        r = await api.client.post("/auth/qr/complete", json={"id": start["id"], "secret": "guess"})
        assert r.status_code == 404
        ok = await desktop.post(
            "/auth/qr/complete", json={"id": start["id"], "secret": start["secret"]}
        )
        assert ok.status_code == 200


async def test_expired_code_is_refused_with_a_clear_error(api: Api, clock: ManualClock) -> None:
    phone = await api.register()
    async with api.browser() as desktop:
        start = await _start(desktop)
        clock.advance(seconds=121)
        r = await api.client.get(f"/api/qr/{start['token']}", headers=phone.headers)
        assert r.status_code == 410
        assert "expired" in r.json()["detail"]
        r = await api.client.post(f"/auth/qr/{start['id']}/confirm", headers=phone.headers)
        assert r.status_code == 410
        assert (await desktop.get(start["svg_url"])).status_code == 410


async def test_declined_login_cannot_be_completed(api: Api) -> None:
    phone = await api.register()
    async with api.browser() as desktop:
        start = await _start(desktop)
        await api.client.get(f"/api/qr/{start['token']}", headers=phone.headers)
        r = await api.client.post(f"/auth/qr/{start['id']}/deny", headers=phone.headers)
        assert r.status_code == 204
        r = await desktop.post(
            "/auth/qr/complete", json={"id": start["id"], "secret": start["secret"]}
        )
        assert r.status_code == 410
        assert (await desktop.get("/me")).status_code == 401


async def test_scanning_requires_a_signed_in_device_and_a_genuine_code(api: Api) -> None:
    async with api.browser() as desktop:
        start = await _start(desktop)
        assert (await api.client.get(f"/api/qr/{start['token']}")).status_code == 401
        forged = start["token"][:-3] + "abc"
        assert (await api.client.get(f"/api/qr/{forged}")).status_code == 404
