"""Appending to users' event logs and reading them back.

Ordering invariant: a user's sequence is advanced with one upsert on `user_sequences` inside the
writer's transaction. On PostgreSQL that row stays locked until commit, and on SQLite the whole
write transaction is exclusive, so a user's events commit in sequence order: a reader that has
seen seq N can never later find a newly committed event below N. Events are published to
`user:<id>` only after commit; a subscriber that misses one (Redis is at-most-once) notices the
gap in sequence numbers and reads the log.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from hutong.core.clock import Clock
from hutong.core.db import AfterCommit, Database, UnitOfWork, sqlite_time
from hutong.core.observability import Metrics
from hutong.core.pubsub import PubSub
from hutong.realtime.models import SyncEvent, UserSequence

Expander = Callable[[int, list[dict[str, Any]]], Awaitable[list[dict[str, Any]]]]


# Core inserts (no ORM bulk machinery for hundreds of rows at a time).
SYNC_EVENTS = cast(Table, SyncEvent.__table__)
# (user_id, seq, kind, stored payload, pushed payload)
_Appended = tuple[int, int, str, dict[str, Any], dict[str, Any]]
_SQLITE_NEXT_SEQS = (
    "INSERT INTO user_sequences (user_id, last_seq) "
    "SELECT value ->> 0, value ->> 1 FROM json_each(?) WHERE true "
    "ON CONFLICT (user_id) DO UPDATE SET last_seq = user_sequences.last_seq + excluded.last_seq "
    "RETURNING user_id, last_seq"
)
_SQLITE_APPEND = (
    "INSERT INTO sync_events (user_id, seq, kind, payload, created_at) VALUES (?, ?, ?, ?, ?)"
)


def _wanted(
    events: list[tuple[list[int], str, dict[str, Any]]],
    live: list[dict[str, Any] | None] | None,
) -> tuple[list[tuple[int, str, dict[str, Any], dict[str, Any]]], dict[int, int]]:
    """Each event once per distinct user, in order, with what to push; events per user."""
    pushes = live if live is not None else [None] * len(events)
    if len(pushes) != len(events):
        raise ValueError("live must be parallel to events")
    wanted = [
        (uid, kind, payload, push if push is not None else payload)
        for (ids, kind, payload), push in zip(events, pushes, strict=True)
        for uid in sorted(set(ids))
    ]
    counts: dict[int, int] = {}
    for uid, *_ in wanted:
        counts[uid] = counts.get(uid, 0) + 1
    return wanted, counts


def _numbered(
    wanted: list[tuple[int, str, dict[str, Any], dict[str, Any]]],
    counts: dict[int, int],
    last: dict[int, int],
) -> list[_Appended]:
    """Consecutive sequence numbers per user, in the order given, ending at `last`."""
    next_seq = {uid: last[uid] - n + 1 for uid, n in counts.items()}
    appended: list[_Appended] = []
    for uid, kind, payload, push in wanted:
        appended.append((uid, next_seq[uid], kind, payload, push))
        next_seq[uid] += 1
    return appended


async def _nothing() -> None:
    return None


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
        self._expanders: dict[str, Expander] = {}

    def register_expander(self, kind: str, expander: Expander) -> None:
        """Let a domain store a small pointer per user and expand it when read.

        A group message goes to hundreds of logs; each log row holds only `{chat_id, seq}` and
        the chat domain turns a batch of them back into messages (as they are now: a recalled
        message comes back recalled) when `/sync` or a reconnecting socket reads the log.
        """
        self._expanders[kind] = expander

    async def _next_seqs(self, uow: UnitOfWork, user_ids: list[int]) -> dict[int, int]:
        # One statement for any number of users. Rows are sorted so two transactions that touch
        # the same users lock them in the same order.
        stmt = self._upsert(UserSequence).values(
            [{"user_id": uid, "last_seq": 1} for uid in user_ids]
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[UserSequence.user_id],
            set_={"last_seq": UserSequence.last_seq + 1},
        ).returning(UserSequence.user_id, UserSequence.last_seq)
        rows = (await uow.session.execute(stmt)).all()
        return {int(r[0]): int(r[1]) for r in rows}

    async def emit(
        self,
        uow: UnitOfWork,
        user_ids: list[int] | set[int],
        kind: str,
        payload: dict[str, Any],
        *,
        live: dict[str, Any] | None = None,
    ) -> dict[int, int]:
        """Append one event to each user's log; publish it once the transaction commits.

        `payload` is what the log stores; `live`, when given, is what is pushed to connected
        sockets instead (a pointer is stored, the full object is pushed). Returns the sequence
        number each user got.
        """
        ids = sorted(set(user_ids))
        if not ids:
            return {}
        now = self.clock.now()
        at = now.isoformat()
        seqs = await self._next_seqs(uow, ids)
        await uow.session.execute(
            insert(SYNC_EVENTS),
            [
                {"user_id": u, "seq": s, "kind": kind, "payload": payload, "created_at": now}
                for u, s in seqs.items()
            ],
        )
        pushed = payload if live is None else live

        async def publish() -> None:
            self.metrics.events.inc(len(seqs))
            await self.pubsub.publish_many(
                [
                    (user_topic(uid), Event(seq, kind, pushed, at).wire())
                    for uid, seq in seqs.items()
                ]
            )

        uow.after_commit(publish)
        return seqs

    async def emit_many(
        self,
        uow: UnitOfWork,
        events: list[tuple[list[int], str, dict[str, Any]]],
        *,
        live: list[dict[str, Any] | None] | None = None,
    ) -> None:
        """Append many `(user_ids, kind, payload)` events in order, in two statements however
        many there are (an outbox relay delivering a backlog, a batch of chat messages). A user
        named by several events gets consecutive sequence numbers in the order given. `live`,
        parallel to `events`, is what to push instead of the stored payload (as in `emit`)."""
        wanted, counts = _wanted(events, live)
        if not wanted:
            return
        stmt = self._upsert(UserSequence).values(
            [{"user_id": uid, "last_seq": n} for uid, n in sorted(counts.items())]
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[UserSequence.user_id],
            set_={"last_seq": UserSequence.last_seq + stmt.excluded.last_seq},
        ).returning(UserSequence.user_id, UserSequence.last_seq)
        last = {int(r[0]): int(r[1]) for r in (await uow.session.execute(stmt)).all()}
        now = self.clock.now()
        appended = _numbered(wanted, counts, last)
        await uow.session.execute(
            insert(SYNC_EVENTS),
            [
                {"user_id": u, "seq": q, "kind": k, "payload": p, "created_at": now}
                for u, q, k, p, _ in appended
            ],
        )
        uow.after_commit(self._publisher(appended, now.isoformat()))

    def emit_many_sqlite(
        self,
        cur: sqlite3.Cursor,
        events: list[tuple[list[int], str, dict[str, Any]]],
        *,
        live: list[dict[str, Any] | None] | None = None,
    ) -> AfterCommit:
        """`emit_many` in plain `sqlite3` statements on `cur`, inside the caller's transaction,
        for a writer that runs its whole SQLite transaction in one blocking call on a thread
        (chat's group commit). The same rows and sequence numbers, in two statements. Nothing
        is published here: the caller awaits the returned function once it has committed."""
        wanted, counts = _wanted(events, live)
        if not wanted:
            return _nothing
        # Fixed statements (the rows travel as one JSON parameter), so sqlite3's statement
        # cache keeps them prepared; `json.dumps` is what SQLAlchemy's JSON type stores.
        last = {
            int(u): int(q)
            for u, q in cur.execute(_SQLITE_NEXT_SEQS, (json.dumps(sorted(counts.items())),))
        }
        now = self.clock.now()
        appended = _numbered(wanted, counts, last)
        stamp = sqlite_time(now)
        # An event to many users is one payload object: encode it once.
        texts: dict[int, str] = {}
        rows = []
        for u, q, k, p, _ in appended:
            text = texts.get(id(p))
            if text is None:
                text = texts[id(p)] = json.dumps(p)
            rows.append((u, q, k, text, stamp))
        cur.executemany(_SQLITE_APPEND, rows)
        return self._publisher(appended, now.isoformat())

    def _publisher(self, appended: list[_Appended], at: str) -> AfterCommit:
        async def publish() -> None:
            self.metrics.events.inc(len(appended))
            await self.pubsub.publish_many(
                [(user_topic(u), Event(q, k, push, at).wire()) for u, q, k, _, push in appended]
            )

        return publish

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
        events = await self._expand(user_id, events)
        return SyncPage(
            events=events,
            next_since=events[-1].seq if events else since,
            has_more=len(rows) > limit,
        )

    async def _expand(self, user_id: int, events: list[Event]) -> list[Event]:
        wanted = {e.kind for e in events} & self._expanders.keys()
        if not wanted:
            return events
        out = list(events)
        for kind in wanted:
            idx = [i for i, e in enumerate(out) if e.kind == kind]
            payloads = await self._expanders[kind](user_id, [out[i].payload for i in idx])
            for i, payload in zip(idx, payloads, strict=True):
                e = out[i]
                out[i] = Event(e.seq, e.kind, payload, e.at)
        return out

    async def last_seq(self, user_id: int) -> int:
        async with self.db.read() as session:
            value = await session.scalar(
                select(UserSequence.last_seq).where(UserSequence.user_id == user_id)
            )
        return int(value or 0)

    async def publish_ephemeral(self, topic: str, kind: str, payload: dict[str, Any]) -> None:
        """Deliver something that is never stored (typing, presence, QR-login progress)."""
        await self.pubsub.publish(topic, {"type": "ephemeral", "kind": kind, "payload": payload})
