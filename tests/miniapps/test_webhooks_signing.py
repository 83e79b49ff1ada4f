"""Webhooks are signed twice over `<timestamp>.<nonce>.<body>`: HMAC with the app secret and
Ed25519 with the platform key, which anyone can fetch and which every worker shares."""

from __future__ import annotations

import base64
import multiprocessing
import stat
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from hutong.app import Container
from hutong.core.clock import ManualClock
from hutong.miniapps.platform_key import FILE_NAME, PlatformKey, load_or_create
from hutong.miniapps.webhooks import verify, verify_ed25519
from tests.helpers import Api, User
from tests.miniapps.test_payments import live_app, order, pay
from tests.miniapps.util import Backend, openid_of
from tests.moderation.conftest import make_staff
from tests.wallet.util import wallet_user


@pytest.fixture
async def moderator(api: Api, container: Container) -> User:
    return await make_staff(api, container)


async def test_a_receiver_verifies_the_webhook_with_the_published_key(
    api: Api, moderator: User, backend: Backend, container: Container, clock: ManualClock
) -> None:
    r = await api.client.get("/miniapps/platform-key")  # no sign-in needed
    assert r.status_code == 200, r.text
    published = r.json()
    assert published["algorithm"] == "Ed25519"
    assert len(base64.b64decode(published["public_key"])) == 32
    dev = await live_app(api, moderator)
    user = await wallet_user(api, 5_000)
    openid = await openid_of(api, dev, user)
    prepay = (await order(api, dev, openid, backend.url, amount=880)).json()["prepay_id"]
    assert (await pay(api, user, prepay)).status_code == 200
    (note,) = await backend.wait(1)
    now = clock.now().timestamp()
    key = published["public_key"]
    assert note.headers["hutong-key-id"] == published["key_id"]
    # The receiver needs no secret: the published key alone verifies the notification …
    seen: set[str] = set()
    assert verify_ed25519(key, note.headers, note.body, now_s=now, seen_nonces=seen)
    assert note.json["amount"] == 880
    # … and the HMAC header on the same request verifies too, for the app secret.
    assert verify(dev.secret, note.headers, note.body, now_s=now, seen_nonces=set())

    # A replayed nonce, a tampered body, an old or future timestamp, a signature moved to
    # another timestamp, or another key: refused.
    assert not verify_ed25519(key, note.headers, note.body, now_s=now, seen_nonces=seen)
    tampered = note.body.replace(b"880", b"881")
    assert not verify_ed25519(key, note.headers, tampered, now_s=now, seen_nonces=set())
    for late in (now + 301, now - 301):
        assert not verify_ed25519(key, note.headers, note.body, now_s=late, seen_nonces=set())
    moved = {**note.headers, "hutong-timestamp": str(int(note.headers["hutong-timestamp"]) + 1)}
    assert not verify_ed25519(key, moved, note.body, now_s=now, seen_nonces=set())
    other = PlatformKey(container.settings.data_dir / "elsewhere.key").published()["public_key"]
    assert not verify_ed25519(other, note.headers, note.body, now_s=now, seen_nonces=set())
    unsigned = {k: v for k, v in note.headers.items() if k != "hutong-signature-ed25519"}
    assert not verify_ed25519(key, unsigned, note.body, now_s=now, seen_nonces=set())
    garbage = {**note.headers, "hutong-signature-ed25519": "not base64!"}
    assert not verify_ed25519(key, garbage, note.body, now_s=now, seen_nonces=set())
    assert not verify_ed25519("bad key", note.headers, note.body, now_s=now, seen_nonces=set())
    # The raw 32-byte key works as well as its base64.
    raw = base64.b64decode(key)
    assert verify_ed25519(raw, note.headers, note.body, now_s=now, seen_nonces=set())


async def test_the_key_survives_a_restart_and_is_private(api: Api, container: Container) -> None:
    first = (await api.client.get("/miniapps/platform-key")).json()
    path = container.miniapps.platform_key.path
    assert path.name == FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # Another worker (or this one after a restart) reads the same key.
    again = PlatformKey(path).published()
    assert again == first
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".")] == []


def _load(path: Path, barrier: Any, out: Any) -> None:
    barrier.wait()
    key = PlatformKey(path)
    out.put(key.published()["public_key"])


def test_workers_starting_at_once_agree_on_one_key(tmp_path: Path) -> None:
    path = tmp_path / "keys" / FILE_NAME
    ctx = multiprocessing.get_context("fork")
    n = 8
    barrier, out = ctx.Barrier(n), ctx.Queue()
    procs = [ctx.Process(target=_load, args=(path, barrier, out)) for _ in range(n)]
    for p in procs:
        p.start()
    keys = [out.get(timeout=30) for _ in range(n)]
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    assert len(set(keys)) == 1
    assert keys[0] == PlatformKey(path).published()["public_key"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == [FILE_NAME]  # no leftovers


def test_a_file_that_is_not_an_ed25519_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    path.write_bytes(b"not a key")
    with pytest.raises(ValueError, match="Unable to load PEM"):
        load_or_create(path)
    path.write_bytes(
        X25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(ValueError, match="does not hold an Ed25519 private key"):
        load_or_create(path)
