"""Personal and group QR codes, the avatar card, and scanning photos of codes."""

from __future__ import annotations

import io
from typing import Any

import pytest
import segno
import zxingcpp
from PIL import Image

from hutong.app import Container
from hutong.core.clock import ManualClock
from hutong.demo import avatar_png
from tests.contacts.photos import photo_of, picture_without_code
from tests.contacts.util import MANY_REQUESTS, friend_ids, ptype, request
from tests.helpers import Api, User

pytestmark = MANY_REQUESTS


async def _my_qr(api: Api, user: User) -> dict[str, Any]:
    r = await api.client.get("/contacts/qr", headers=user.headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _decode(data: bytes) -> list[str]:
    return [b.text for b in zxingcpp.read_barcodes(Image.open(io.BytesIO(data)))]


async def test_personal_code_opens_the_profile_signed_in_and_offers_sign_up_signed_out(
    api: Api,
) -> None:
    alice, bob = await api.register(), await api.register()
    code = await _my_qr(api, alice)
    assert code["url"] == f"{api.base}/qr/{code['token']}"
    assert _decode((await api.client.get(code["png_url"])).content) == [code["url"]]
    assert (await api.client.get(code["svg_url"])).headers["content-type"] == "image/svg+xml"
    # The link itself opens the web client, which resolves the token.
    assert (await api.client.get(f"/qr/{code['token']}")).status_code == 200

    anon = (await api.client.get(f"/api/qr/{code['token']}")).json()
    assert (anon["kind"], anon["action"], anon["user"]["id"]) == ("u", "sign_up", alice.id)
    seen = (await api.client.get(f"/api/qr/{code['token']}", headers=bob.headers)).json()
    assert (seen["action"], seen["source"], seen["relationship"]["is_friend"]) == (
        "add_friend",
        "qr",
        False,
    )
    mine = (await api.client.get(f"/api/qr/{code['token']}", headers=alice.headers)).json()
    assert mine["action"] == "self"

    r = await request(api, bob, alice, source="qr", qr_token=code["token"])
    assert r.status_code == 201, r.text
    # "qr" needs the owner's code, not someone else's or none.
    carol = await api.register()
    r = await request(api, carol, bob, source="qr", qr_token=code["token"])
    assert (r.status_code, ptype(r)) == (403, "not-findable")
    r = await request(api, carol, alice, source="qr")
    assert (r.status_code, ptype(r)) == (403, "not-findable")


async def test_reset_kills_the_old_code_with_a_clear_error(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    old = await _my_qr(api, alice)
    assert (await _my_qr(api, alice))["token"] == old["token"]  # stable until reset
    r = await api.client.post("/contacts/qr/reset", headers=alice.headers)
    new = r.json()
    assert new["token"] != old["token"]
    r = await api.client.get(f"/api/qr/{old['token']}", headers=bob.headers)
    assert (r.status_code, ptype(r)) == (410, "expired")
    assert "reset" in r.json()["detail"]
    r = await request(api, bob, alice, source="qr", qr_token=old["token"])
    assert (r.status_code, ptype(r)) == (410, "expired")
    assert (await api.client.get(old["card_png_url"])).status_code == 410
    r = await api.client.get(f"/api/qr/{new['token']}", headers=bob.headers)
    assert r.json()["action"] == "add_friend"
    tampered = new["token"][:-2] + ("AA" if not new["token"].endswith("AA") else "BB")
    r = await api.client.get(f"/api/qr/{tampered}", headers=bob.headers)
    assert (r.status_code, ptype(r)) == (404, "not-found")


async def test_qr_privacy_switch(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    code = await _my_qr(api, alice)
    await api.client.patch(
        "/contacts/privacy", headers=alice.headers, json={"findable_by_qr": False}
    )
    r = await api.client.get(f"/api/qr/{code['token']}", headers=bob.headers)
    assert (r.status_code, ptype(r)) == (403, "not-findable")
    r = await request(api, bob, alice, source="qr", qr_token=code["token"])
    assert (r.status_code, ptype(r)) == (403, "not-findable")


async def test_card_has_the_avatar_in_the_middle_and_still_scans(api: Api) -> None:
    alice = await api.register()
    plain = await api.client.get((await _my_qr(api, alice))["card_png_url"])
    r = await api.client.put(
        "/me/avatar",
        headers=alice.headers,
        files={"file": ("a.png", avatar_png("alice", 256), "image/png")},
    )
    assert r.status_code == 200
    code = await _my_qr(api, alice)
    card = await api.client.get(code["card_png_url"])
    assert card.headers["content-type"] == "image/png"
    assert card.content != plain.content
    assert _decode(card.content) == [code["url"]]
    img = Image.open(io.BytesIO(card.content)).convert("RGB")
    centre = img.crop(
        (img.width // 2 - 20, img.height // 2 - 20, img.width // 2 + 20, img.height // 2 + 20)
    )
    colours = {c for _, c in centre.getcolors(10_000) or []}
    assert colours - {(0, 0, 0), (255, 255, 255)}, "the avatar is in the middle"
    svg = await api.client.get(code["card_svg_url"])
    assert svg.headers["content-type"] == "image/svg+xml"
    assert b"<image" in svg.content


async def test_unreadable_avatar_card_falls_back_to_the_plain_code() -> None:
    from hutong.contacts.qr import card_png

    url = "http://example.test/qr/u.abc.def"
    # A huge, busy avatar fraction would break it; a broken image is skipped.
    data, kept = card_png(url, b"not an image")
    assert (kept, _decode(data)) == (False, [url])
    data, kept = card_png(url, avatar_png("x"))
    assert (kept, _decode(data)) == (True, [url])


async def test_group_code_expires_after_seven_days(
    api: Api, container: Container, clock: ManualClock
) -> None:
    alice = await api.register()

    # The chat domain describes groups; this stands in for it (group 42 is not a real chat).
    async def describe(group_id: int, _: object) -> dict[str, Any]:
        return {"name": f"Group {group_id}", "members": 3}

    container.contacts.qr.set_group_describer(describe)
    code = await container.contacts.qr.issue_group(42, alice.id, api.base)
    assert code.expires_at is not None
    assert (code.expires_at - clock.now()).days == 7
    assert _decode((await api.client.get(code.png_url)).content) == [code.url]
    r = await api.client.get(f"/api/qr/{code.token}", headers=alice.headers)
    body = r.json()
    assert (body["kind"], body["group_id"], body["action"], body["name"]) == (
        "g",
        42,
        "join",
        "Group 42",
    )
    r = await api.client.get(f"/api/qr/{code.token}")
    assert r.json()["action"] == "sign_up"
    clock.advance(days=7, seconds=1)
    r = await api.client.get(f"/api/qr/{code.token}", headers=alice.headers)
    assert (r.status_code, ptype(r)) == (410, "expired")
    fresh = await container.contacts.qr.issue_group(42, alice.id, api.base)
    assert (await api.client.get(f"/api/qr/{fresh.token}")).status_code == 200
    assert await container.contacts.qr.revoke_group(42) == 2
    r = await api.client.get(f"/api/qr/{fresh.token}")
    assert (r.status_code, ptype(r)) == (410, "expired")


PHOTOS = {
    "straight": {"angle": 0.0, "blur": 0.0, "noise": 3.0},
    "rotated": {"angle": 23.0},
    "upside-down": {"angle": 170.0, "code_fraction": 0.4},
    "small-and-far": {"angle": 8.0, "code_fraction": 0.22, "blur": 0.8},
    "blurred": {"angle": -12.0, "blur": 2.2},
    "noisy": {"angle": 35.0, "noise": 22.0, "quality": 60},
}


@pytest.mark.parametrize("shot", list(PHOTOS))
async def test_scanning_a_photo_of_a_code_then_adding_the_friend(api: Api, shot: str) -> None:
    alice, bob = await api.register(), await api.register()
    code = await _my_qr(api, alice)
    png = (await api.client.get(code["png_url"])).content
    photo = photo_of(png, seed=len(shot), **PHOTOS[shot])  # type: ignore[arg-type]
    r = await api.client.post(
        "/contacts/scan", headers=bob.headers, files={"file": ("photo.jpg", photo, "image/jpeg")}
    )
    assert r.status_code == 200, r.text
    scan = r.json()
    assert (scan["kind"], scan["token"], scan["result"]["user"]["id"]) == (
        "u",
        code["token"],
        alice.id,
    )
    assert scan["result"]["action"] == "add_friend"
    r = await request(api, bob, alice, source="qr", qr_token=scan["token"])
    await api.client.post(f"/contacts/requests/{r.json()['id']}/accept", headers=alice.headers)
    assert await friend_ids(api, bob) == [alice.id]


async def test_scanning_screenshots_of_other_codes(api: Api) -> None:
    bob = await api.register()
    # A desktop login code is resolved like opening it on the phone.
    async with api.browser() as desktop:
        start = (await desktop.post("/auth/qr")).json()
    login_png = (await api.client.get(start["png_url"])).content
    r = await api.client.post(
        "/contacts/scan", headers=bob.headers, files={"file": ("s.png", login_png, "image/png")}
    )
    assert (r.status_code, r.json()["kind"]) == (200, "login")
    # A code that is not a Hutong link comes back as text.
    buf = io.BytesIO()
    segno.make("https://example.com/menu", error="m").save(buf, kind="png", scale=6)
    r = await api.client.post(
        "/contacts/scan",
        headers=bob.headers,
        files={"file": ("m.png", buf.getvalue(), "image/png")},
    )
    assert r.json() == {
        "kind": "text",
        "text": "https://example.com/menu",
        "token": None,
        "result": None,
    }


async def test_scan_bad_input_is_typed(api: Api) -> None:
    bob = await api.register()

    async def scan(data: bytes, name: str = "x.jpg") -> Any:
        return await api.client.post(
            "/contacts/scan", headers=bob.headers, files={"file": (name, data, "image/jpeg")}
        )

    r = await scan(picture_without_code())
    assert (r.status_code, ptype(r)) == (422, "no-qr-code")
    r = await scan(b"")
    assert (r.status_code, ptype(r)) == (422, "no-qr-code")
    r = await scan(b"%PDF-1.4 definitely not an image")
    assert (r.status_code, ptype(r)) == (415, "unsupported-media")
    r = await scan(b"\xff\xd8\xff" + b"\0" * (9 * 1024 * 1024))
    assert (r.status_code, ptype(r)) == (413, "payload-too-large")
    r = await api.client.post("/contacts/scan", headers=bob.headers)
    assert (r.status_code, ptype(r)) == (422, "invalid-input")
    assert (await api.client.post("/contacts/scan", files={"file": ("x", b"x")})).status_code == 401
    # An expired code in a photo is the same 410 as opening it.
    alice = await api.register()
    old = await _my_qr(api, alice)
    await api.client.post("/contacts/qr/reset", headers=alice.headers)
    png = (await api.client.get(old["png_url"])).content
    r = await scan(png, "old.png")
    assert (r.status_code, ptype(r)) == (410, "expired")
