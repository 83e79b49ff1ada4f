"""Appending to users' event logs and reading them back.

Ordering invariant: a user's sequence is advanced with one upsert on `user_sequences` inside the
writer's transaction. On PostgreSQL that row stays locked until commit, and on SQLite the whole
write transaction is exclusive, so a user's events commit in sequence order: a reader that has
seen seq N can never later find a newly committed event below N. Events are published to
`user:<id>` only after commit; a subscriber that misses one (Redis is at-most-once) notices the
gap in sequence numbers and reads the log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite

from hutong.core.clock import Clock
from hutong.core.db import Database, UnitOfWork
from hutong.core.observability import Metrics
from hutong.core.pubsub import PubSub
from hutong.realtime.models import SyncEvent, UserSequence


def user_topic(user_id: int) -> str:
    return f"user:{user_id}"


def session_topic(session_id: int) -> str:
    return f"session:{session_id}"


@dataclass(frozen=True)
class Event:
    seq: int
    kind: str
    payload: dict[str, Any]
    at: str

    def wire(self) -> dict[str, Any]:
        return {
            "type": "event",
            "seq": self.seq,
            "kind": self.kind,
            "payload": self.payload,
            "at": self.at,
        }


@dataclass(frozen=True)
class SyncPage:
    events: list[Event]
    next_since: int
    has_more: bool


class SyncLog:
    def __init__(self, db: Database, pubsub: PubSub, clock: Clock, metrics: Metrics) -> None:
        self.db = db
        self.pubsub = pubsub
        self.clock = clock
        self.metrics = metrics
        dialect = sqlite if db.is_sqlite else postgresql
        self._upsert = dialect.insert

    async def _next_seq(self, uow: UnitOfWork, user_id: int) -> int:
        stmt = self._upsert(UserSequence).values(user_id=user_id, last_seq=1)
        stmt = stmt.on_conflict_do_update(
            index_elements=[UserSequence.user_id],
            set_={"last_seq": UserSequence.last_seq + 1},
        ).returning(UserSequence.last_seq)
        return int((await uow.session.execute(stmt)).scalar_one())

    async def emit(
        self, uow: UnitOfWork, user_ids: list[int] | set[int], kind: str, payload: dict[str, Any]
    ) -> dict[int, int]:
        """Append one event to each user's log; publish it once the transaction commits.

        Returns the sequence number each user got.
        """
        now = self.clock.now()
        at = now.isoformat()
        seqs: dict[int, int] = {}
        # Sorted so two transactions touching the same users lock them in the same order.
        for uid in sorted(set(user_ids)):
            seqs[uid] = await self._next_seq(uow, uid)
        if not seqs:
            return seqs
        await uow.session.execute(
            insert(SyncEvent),
            [
                {"user_id": u, "seq": s, "kind": kind, "payload": payload, "created_at": now}
                for u, s in seqs.items()
            ],
        )

        async def publish() -> None:
            self.metrics.events.inc(len(seqs))
            for uid, seq in seqs.items():
                await self.pubsub.publish(user_topic(uid), Event(seq, kind, payload, at).wire())

        uow.after_commit(publish)
        return seqs

    async def since(self, user_id: int, since: int, limit: int) -> SyncPage:
        async with self.db.read() as session:
            rows = (
                await session.execute(
                    select(SyncEvent.seq, SyncEvent.kind, SyncEvent.payload, SyncEvent.created_at)
                    .where(SyncEvent.user_id == user_id, SyncEvent.seq > since)
                    .order_by(SyncEvent.seq)
                    .limit(limit + 1)
                )
            ).all()
        events = [Event(r.seq, r.kind, r.payload, r.created_at.isoformat()) for r in rows[:limit]]
        return SyncPage(
            events=events,
            next_since=events[-1].seq if events else since,
            has_more=len(rows) > limit,
        )

    async def last_seq(self, user_id: int) -> int:
        async with self.db.read() as session:
            value = await session.scalar(
                select(UserSequence.last_seq).where(UserSequence.user_id == user_id)
            )
        return int(value or 0)

    async def publish_ephemeral(self, topic: str, kind: str, payload: dict[str, Any]) -> None:
        """Deliver something that is never stored (typing, presence, QR-login progress)."""
        await self.pubsub.publish(topic, {"type": "ephemeral", "kind": kind, "payload": payload})
