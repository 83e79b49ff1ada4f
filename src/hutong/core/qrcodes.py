"""Platform QR codes: images of signed `/qr/<token>` URLs and the registry that resolves them.

Every QR code Hutong shows (desktop login, a personal card, a group invitation, a shop's
collect-money code) encodes `<public url>/qr/<token>`. Domains register a resolver for their
token kind; the platform route verifies the signature and expiry once, then asks the resolver.
"""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from typing import Any

import segno

from hutong.core.auth import Principal
from hutong.core.clock import Clock
from hutong.core.errors import NotFound
from hutong.core.signing import SignedToken, Signer

Resolver = Callable[[SignedToken, Principal | None], Awaitable[dict[str, Any]]]


def qr_png(data: str, *, scale: int = 8) -> bytes:
    buf = io.BytesIO()
    segno.make(data, error="m").save(buf, kind="png", scale=scale, border=4)
    return buf.getvalue()


def qr_svg(data: str, *, scale: int = 8) -> bytes:
    buf = io.BytesIO()
    segno.make(data, error="m").save(buf, kind="svg", scale=scale, border=4, xmldecl=False)
    return buf.getvalue()


class QrRegistry:
    def __init__(self, signer: Signer, clock: Clock) -> None:
        self.signer = signer
        self.clock = clock
        self._resolvers: dict[str, Resolver] = {}

    def register(self, kind: str, resolver: Resolver) -> None:
        self._resolvers[kind] = resolver

    def verify(self, token: str) -> SignedToken:
        """Signature and expiry, raising NotFound / Expired problems."""
        signed = self.signer.unsign(token, self.clock.now())
        if signed.kind not in self._resolvers:
            raise NotFound("This code is not a Hutong QR code.")
        return signed

    async def resolve(self, token: str, principal: Principal | None) -> dict[str, Any]:
        signed = self.verify(token)
        result = await self._resolvers[signed.kind](signed, principal)
        return {"kind": signed.kind, **result}
