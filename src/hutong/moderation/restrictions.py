"""Who is muted or banned right now, asked on every checked text.

Each worker caches a user's active restriction for `ttl_s` seconds. A new or lifted sanction
drops the entry here at once and on every other worker (`moderation:sanctions`); after a
pub/sub reconnect the cache is cleared, since messages may have been lost.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select

from hutong.core.clock import Clock
from hutong.core.db import Database
from hutong.core.pubsub import PubSub
from hutong.moderation.models import Sanction

SANCTIONS_TOPIC = "moderation:sanctions"
RESTRICTING = ("mute", "ban")


@dataclass(frozen=True, slots=True)
class Restriction:
    kind: str  # mute | ban
    ends_at: dt.datetime | None  # None: until lifted
    sanction_id: int


class Restrictions:
    def __init__(self, db: Database, pubsub: PubSub, clock: Clock, *, ttl_s: float = 30.0) -> None:
        self.db = db
        self.pubsub = pubsub
        self.clock = clock
        self.ttl_s = ttl_s
        self._cache: dict[int, tuple[Restriction | None, float]] = {}
        pubsub.on_reset(self._cache.clear)

    async def start(self) -> None:
        await self.pubsub.subscribe(SANCTIONS_TOPIC, self._on_message)

    def _on_message(self, _topic: str, message: dict[str, Any]) -> None:
        self._cache.pop(int(message.get("user_id", 0)), None)

    async def changed(self, user_id: int) -> None:
        """A sanction of `user_id` was added or lifted (call after commit)."""
        self._cache.pop(user_id, None)
        await self.pubsub.publish(SANCTIONS_TOPIC, {"user_id": user_id})

    async def active(self, user_id: int) -> Restriction | None:
        """The user's strongest active restriction: a ban, else the longest mute."""
        if not user_id:
            return None
        cached = self._cache.get(user_id)
        if cached is not None and cached[1] > time.monotonic():
            restriction = cached[0]
        else:
            restriction = await self._load(user_id)
            if len(self._cache) > 100_000:
                self._cache.clear()
            self._cache[user_id] = (restriction, time.monotonic() + self.ttl_s)
        if restriction and restriction.ends_at and restriction.ends_at <= self.clock.now():
            return None
        return restriction

    async def _load(self, user_id: int) -> Restriction | None:
        now = self.clock.now()
        async with self.db.read() as s:
            rows = (
                await s.execute(
                    select(Sanction.id, Sanction.kind, Sanction.ends_at).where(
                        Sanction.user_id == user_id,
                        Sanction.kind.in_(RESTRICTING),
                        Sanction.revoked_at.is_(None),
                        or_(Sanction.ends_at.is_(None), Sanction.ends_at > now),
                    )
                )
            ).all()
        if not rows:
            return None
        far = dt.datetime.max.replace(tzinfo=dt.UTC)
        best = max(rows, key=lambda r: (r.kind == "ban", r.ends_at or far))
        return Restriction(best.kind, best.ends_at, best.id)
