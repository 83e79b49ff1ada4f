"""Short signed, expiring tokens for URLs such as `/qr/<token>`.

A token is `<kind>.<body>.<sig>` where body is base64url of `<id>:<expiry unix s>` and sig is a
truncated HMAC-SHA256 over kind and body with the server's secret key. Changing a byte of any
part invalidates the signature; the id inside lets the owning domain also check the database
(a personal QR code that was reset is still well-signed but no longer current).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass

from hutong.core.errors import Expired, NotFound


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class SignedToken:
    kind: str
    ident: str
    expires_at: dt.datetime | None


class Signer:
    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(("hutong-signing:" + secret).encode()).digest()

    def _mac(self, msg: str) -> str:
        return _b64(hmac.new(self._key, msg.encode(), hashlib.sha256).digest()[:16])

    def sign(self, kind: str, ident: str, expires_at: dt.datetime | None = None) -> str:
        exp = int(expires_at.timestamp()) if expires_at else 0
        body = _b64(f"{ident}:{exp}".encode())
        return f"{kind}.{body}.{self._mac(kind + '.' + body)}"

    def unsign(self, token: str, now: dt.datetime) -> SignedToken:
        """Verify a token. Raises NotFound if forged or malformed, Expired if too old."""
        try:
            kind, body, sig = token.split(".")
            if not hmac.compare_digest(sig, self._mac(kind + "." + body)):
                raise ValueError("bad signature")
            ident, exp_s = _unb64(body).decode().rsplit(":", 1)
            exp = int(exp_s)
        except (ValueError, UnicodeDecodeError) as exc:
            raise NotFound("This code is not a valid Hutong code.") from exc
        expires = dt.datetime.fromtimestamp(exp, dt.UTC) if exp else None
        if expires is not None and expires <= now:
            raise Expired("This code has expired.")
        return SignedToken(kind, ident, expires)

    def hmac_hex(self, purpose: str, value: str) -> str:
        """A keyed digest for derived secrets (CSRF tokens, lookup hashes)."""
        return hmac.new(self._key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()
