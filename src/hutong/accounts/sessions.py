"""Authenticating requests without a database round trip, while revocation still bites at once.

Each worker keeps a bounded cache from token hash to (principal, profile). An entry is filled
from the database on a miss and dropped when:
  * the session is revoked or the user's profile changes: the worker doing it drops its own
    entries immediately, then broadcasts `auth:invalidate` so every other worker drops theirs;
  * pub/sub reconnects (messages may have been lost meanwhile): the whole cache is cleared;
  * its TTL passes — a backstop, not the mechanism.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from starlette.requests import HTTPConnection

from hutong.accounts.models import Session, User
from hutong.accounts.schemas import Me
from hutong.core.auth import Principal
from hutong.core.clock import Clock
from hutong.core.db import Database
from hutong.core.errors import CsrfFailed
from hutong.core.pubsub import PubSub
from hutong.core.signing import Signer

SESSION_COOKIE = "hutong_session"
CSRF_COOKIE = "hutong_csrf"
CSRF_HEADER = "x-csrf-token"
INVALIDATE_TOPIC = "auth:invalidate"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def media_url(media_id: str | None) -> str | None:
    return f"/media/{media_id}" if media_id else None


def me_from_row(user: User) -> Me:
    return Me(
        id=user.id,
        handle=user.handle,
        display_name=user.display_name,
        avatar_url=media_url(user.avatar_id),
        avatar_thumb_url=media_url(user.avatar_thumb_id),
        bio=user.bio,
        region=user.region,
        verified=user.verified,
        verified_reason=user.verified_reason,
        phone=user.phone,
        email=user.email,
        role=user.role,
        created_at=user.created_at,
    )


@dataclass(slots=True)
class Cached:
    principal: Principal
    me: Me
    token_hash: str
    expires: float
    # `GET /me` answers with these bytes directly: the hottest authenticated read costs no
    # serialisation at all.
    me_json: bytes = b""


class SessionCache:
    def __init__(self, pubsub: PubSub, *, ttl_s: float, max_size: int) -> None:
        self.pubsub = pubsub
        self.ttl_s = ttl_s
        self.max_size = max_size
        self._entries: OrderedDict[str, Cached] = OrderedDict()
        self._by_user: dict[int, set[str]] = {}
        self._by_session: dict[int, str] = {}
        # Bumped by every invalidation: a load that started before one must not cache what
        # it read, or a session revoked during the load would stay valid until its TTL.
        self.generation = 0
        pubsub.on_reset(self.clear)

    async def start(self) -> None:
        await self.pubsub.subscribe(INVALIDATE_TOPIC, self._on_message)

    def get(self, token_hash: str) -> Cached | None:
        entry = self._entries.get(token_hash)
        if entry is None:
            return None
        if entry.expires < time.monotonic():
            self._drop(token_hash)
            return None
        return entry

    def put(self, token_hash: str, principal: Principal, me: Me) -> None:
        if len(self._entries) >= self.max_size:
            self._drop(next(iter(self._entries)))
        self._entries[token_hash] = Cached(
            principal, me, token_hash, time.monotonic() + self.ttl_s, me.model_dump_json().encode()
        )
        self._by_user.setdefault(principal.user_id, set()).add(token_hash)
        self._by_session[principal.session_id] = token_hash

    def _drop(self, token_hash: str) -> None:
        entry = self._entries.pop(token_hash, None)
        if entry is None:
            return
        hashes = self._by_user.get(entry.principal.user_id)
        if hashes is not None:
            hashes.discard(token_hash)
            if not hashes:
                del self._by_user[entry.principal.user_id]
        self._by_session.pop(entry.principal.session_id, None)

    def clear(self) -> None:
        self.generation += 1
        self._entries.clear()
        self._by_user.clear()
        self._by_session.clear()

    def _apply(self, message: dict[str, Any]) -> None:
        self.generation += 1
        for sid in message.get("session_ids", ()):
            token_hash = self._by_session.get(int(sid))
            if token_hash:
                self._drop(token_hash)
        for uid in message.get("user_ids", ()):
            for token_hash in list(self._by_user.get(int(uid), ())):
                self._drop(token_hash)

    def _on_message(self, _topic: str, message: dict[str, Any]) -> None:
        self._apply(message)

    async def invalidate(
        self, *, session_ids: list[int] | None = None, user_ids: list[int] | None = None
    ) -> None:
        """Drop entries here now, then on every other worker."""
        message = {"session_ids": session_ids or [], "user_ids": user_ids or []}
        self._apply(message)
        await self.pubsub.publish(INVALIDATE_TOPIC, message)


class SessionAuthenticator:
    """Implements `core.auth.Authenticator` for cookie and bearer sessions."""

    def __init__(self, db: Database, cache: SessionCache, signer: Signer, clock: Clock) -> None:
        self.db = db
        self.cache = cache
        self.signer = signer
        self.clock = clock

    def csrf_for(self, token_hash: str) -> str:
        return self.signer.hmac_hex("csrf", token_hash)[:32]

    @staticmethod
    def _token(conn: HTTPConnection) -> tuple[str | None, bool]:
        auth = conn.headers.get("authorization")
        if auth and auth[:7].lower() == "bearer ":
            return auth[7:].strip(), False
        return conn.cookies.get(SESSION_COOKIE), True

    async def lookup(self, conn: HTTPConnection) -> Cached | None:
        token, via_cookie = self._token(conn)
        if not token or len(token) > 200:
            return None
        token_hash = hash_token(token)
        entry = self.cache.get(token_hash)
        if entry is None:
            entry = await self._load(token_hash, via_cookie)
            if entry is None:
                return None
        if (entry.principal.via == "cookie") != via_cookie:
            # A web session's token only works as a cookie (where CSRF is checked), an API
            # token only as a bearer header.
            return None
        if via_cookie:
            self._check_csrf(conn, token_hash)
        return entry

    async def principal(self, conn: HTTPConnection) -> Principal | None:
        entry = await self.lookup(conn)
        return entry.principal if entry else None

    def _check_csrf(self, conn: HTTPConnection, token_hash: str) -> None:
        if conn.scope["type"] == "websocket":
            # Browsers send cookies on cross-site WebSocket handshakes; only our own pages
            # may open one.
            origin = conn.headers.get("origin")
            host = conn.headers.get("host", "")
            if origin and origin.split("://", 1)[-1] != host:
                raise CsrfFailed("WebSocket from a foreign origin.")
            return
        if conn.scope["method"] in SAFE_METHODS:
            return
        if conn.headers.get(CSRF_HEADER) != self.csrf_for(token_hash):
            raise CsrfFailed("Send the X-CSRF-Token header with the value of the csrf cookie.")

    async def _load(self, token_hash: str, via_cookie: bool) -> Cached | None:
        now = self.clock.now()
        generation = self.cache.generation
        async with self.db.read() as s:
            row = (
                await s.execute(
                    select(Session, User)
                    .join(User, User.id == Session.user_id)
                    .where(Session.token_hash == token_hash, Session.revoked_at.is_(None))
                )
            ).first()
        if row is None:
            return None
        sess, user = row
        kind = "cookie" if sess.kind == "web" else "bearer"
        if via_cookie != (kind == "cookie"):
            return None
        principal = Principal(user.id, sess.id, user.role, kind)  # type: ignore[arg-type]
        me = me_from_row(user)
        entry = Cached(principal, me, token_hash, 0.0)
        if self.cache.generation == generation:
            self.cache.put(token_hash, principal, me)
        if (now - sess.last_seen_at).total_seconds() > 300:
            async with self.db.write() as uow:
                await uow.session.execute(
                    update(Session).where(Session.id == sess.id).values(last_seen_at=now)
                )
        return entry
