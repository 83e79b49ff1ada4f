"""The platform's Ed25519 key pair, which signs every webhook beside the app's HMAC.

A developer who would rather not keep the app secret on the server that receives webhooks
checks them with the public key instead, published at `GET /miniapps/platform-key` (the raw
32-byte key, base64, and a key id: the first 16 hex digits of its SHA-256).

The private key lives in the mini-programs' data directory (`platform_ed25519.key`, PKCS#8
PEM, mode 0600), made on first use. Several workers start at once and must sign with the
same key, so a worker writes a fresh key to a file of its own (created with O_EXCL and mode
0600, so it is never readable by others, not even for a moment) and then links it into place:
the link is atomic and fails when the file already exists, so exactly one key wins and every
worker then reads that one — never a half-written file.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import secrets
from functools import cached_property
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

FILE_NAME = "platform_ed25519.key"


def key_id(public_raw: bytes) -> str:
    return hashlib.sha256(public_raw).hexdigest()[:16]


def load_or_create(path: Path) -> Ed25519PrivateKey:
    """The key in `path`, made there first if there is none (safe against other workers)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(pem)
                f.flush()
                os.fsync(f.fileno())
            with contextlib.suppress(FileExistsError):  # another worker's key won: use it
                os.link(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


class PlatformKey:
    """Signs webhooks; loaded (or made) on first use."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @cached_property
    def _private(self) -> Ed25519PrivateKey:
        return load_or_create(self.path)

    @cached_property
    def public_raw(self) -> bytes:
        return self._private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @property
    def key_id(self) -> str:
        return key_id(self.public_raw)

    def sign(self, message: bytes) -> str:
        """The base64 Ed25519 signature of `message`."""
        return base64.b64encode(self._private.sign(message)).decode()

    def published(self) -> dict[str, str]:
        """What `GET /miniapps/platform-key` answers."""
        return {
            "algorithm": "Ed25519",
            "key_id": self.key_id,
            "public_key": base64.b64encode(self.public_raw).decode(),
        }
