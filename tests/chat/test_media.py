"""Files in chats: typed by their bytes, members only, range requests, gone on recall."""

from __future__ import annotations

import io
import wave

import pytest
from PIL import Image

from tests.chat.util import cid, direct, friends, ptype
from tests.helpers import Api, User


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (1200, 800), (20, 120, 200)).save(buf, "JPEG")
    return buf.getvalue()


def _wav(seconds: float = 1.0) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x01" * int(8000 * seconds))
    return buf.getvalue()


async def _upload(api: Api, user: User, chat: int, name: str, data: bytes) -> dict[str, object]:
    r = await api.client.post(
        f"/chats/{chat}/media",
        headers=user.headers,
        files={"file": (name, data, "application/octet-stream")},
    )
    assert r.status_code == 201, r.text
    body: dict[str, object] = r.json()
    return body


async def test_image_message_with_thumbnail_for_members_only(api: Api) -> None:
    alice, bob = await friends(api, 2)
    chat = await direct(api, alice, bob)
    media = await _upload(api, alice, chat, "holiday.jpg", _jpeg())
    assert (media["mime"], media["width"], media["height"]) == ("image/jpeg", 1200, 800)
    r = await api.client.post(
        f"/chats/{chat}/messages",
        headers=alice.headers,
        json={"client_id": cid(), "kind": "image", "media_id": media["media_id"]},
    )
    assert r.status_code == 201, r.text
    full = await api.client.get(str(media["url"]), headers=bob.headers)
    assert full.status_code == 200
    assert full.content == _jpeg()
    thumb = await api.client.get(str(media["thumb_url"]), headers=bob.headers)
    assert max(Image.open(io.BytesIO(thumb.content)).size) <= 320
    stranger = await api.register()
    assert (await api.client.get(str(media["url"]), headers=stranger.headers)).status_code == 404
    assert (await api.client.get(str(media["url"]))).status_code == 401


async def test_voice_notes_are_audio_at_most_60_s_and_support_ranges(api: Api) -> None:
    alice, bob = await friends(api, 2)
    chat = await direct(api, alice, bob)
    media = await _upload(api, alice, chat, "note.wav", _wav())
    assert str(media["mime"]).startswith("audio/")
    send = {"client_id": cid(), "kind": "voice", "media_id": media["media_id"]}
    r = await api.client.post(
        f"/chats/{chat}/messages", headers=alice.headers, json={**send, "duration_s": 61}
    )
    assert r.status_code == 422
    r = await api.client.post(
        f"/chats/{chat}/messages", headers=alice.headers, json={**send, "duration_s": 1.0}
    )
    assert r.status_code == 201
    part = await api.client.get(str(media["url"]), headers={**bob.headers, "Range": "bytes=0-99"})
    assert part.status_code == 206
    assert len(part.content) == 100


async def test_mistyped_media_is_refused(api: Api) -> None:
    alice, bob = await friends(api, 2)
    chat = await direct(api, alice, bob)
    doc = await _upload(api, alice, chat, "photo.jpg", b"%PDF-1.4 not really a photo")
    assert doc["mime"] == "application/pdf"
    r = await api.client.post(
        f"/chats/{chat}/messages",
        headers=alice.headers,
        json={"client_id": cid(), "kind": "image", "media_id": doc["media_id"]},
    )
    assert r.status_code == 422
    r = await api.client.post(
        f"/chats/{chat}/messages",
        headers=alice.headers,
        json={"client_id": cid(), "kind": "file", "media_id": doc["media_id"]},
    )
    assert r.status_code == 201
    r = await api.client.post(
        f"/chats/{chat}/media",
        headers=alice.headers,
        files={"file": ("empty.txt", b"", "text/plain")},
    )
    assert r.status_code == 415


@pytest.mark.settings(chat_file_max_bytes=64 * 1024)
async def test_oversized_files_are_413_and_nothing_is_stored(api: Api) -> None:
    alice, bob = await friends(api, 2)
    chat = await direct(api, alice, bob)
    r = await api.client.post(
        f"/chats/{chat}/media",
        headers=alice.headers,
        files={"file": ("big.bin", b"\x00" * (65 * 1024), "x/y")},
    )
    assert r.status_code == 413
    assert ptype(r) == "payload-too-large"
    r = await api.client.post(
        f"/chats/{chat}/media",
        headers=alice.headers,
        files={"file": ("huge.bin", b"\x00" * (200 * 1024), "x/y")},
    )
    assert r.status_code == 413


async def test_recalled_file_is_no_longer_served(api: Api) -> None:
    alice, bob = await friends(api, 2)
    chat = await direct(api, alice, bob)
    media = await _upload(api, alice, chat, "secret.txt", b"the launch code is 1234")
    r = await api.client.post(
        f"/chats/{chat}/messages",
        headers=alice.headers,
        json={"client_id": cid(), "kind": "file", "media_id": media["media_id"]},
    )
    seq = r.json()["seq"]
    assert (await api.client.get(str(media["url"]), headers=bob.headers)).status_code == 200
    r = await api.client.post(f"/chats/{chat}/messages/{seq}/recall", headers=alice.headers)
    assert r.status_code == 200
    assert (await api.client.get(str(media["url"]), headers=bob.headers)).status_code == 404


async def test_browser_voice_notes_in_webm_are_accepted(api: Api) -> None:
    """Chromium's MediaRecorder writes audio-only WebM, which sniffs as video/webm."""
    alice, bob = await friends(api, 2)
    chat = await direct(api, alice, bob)
    ebml = bytes.fromhex("1a45dfa3") + b"\x9f\x42\x86\x81\x01\x42\x82\x84webm" + b"\x00" * 64
    media = await _upload(api, alice, chat, "voice.webm", ebml)
    assert media["mime"] == "video/webm"
    r = await api.client.post(
        f"/chats/{chat}/messages",
        headers=alice.headers,
        json={"client_id": cid(), "kind": "voice", "media_id": media["media_id"], "duration_s": 3},
    )
    assert r.status_code == 201, r.text
