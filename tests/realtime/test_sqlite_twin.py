"""`SyncLog.emit_many_sqlite`, the plain-`sqlite3` twin of `emit_many` that chat's group commit
calls on SQLite, appends exactly what `emit_many` appends.

It runs against a migrated SQLite file of its own, so it runs in the PostgreSQL pass too."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from sqlalchemy import text

from hutong.core.clock import ManualClock
from hutong.core.db import Database
from hutong.core.observability import Metrics
from hutong.core.pubsub import InProcessPubSub
from hutong.realtime import SyncLog, user_topic


def _cursor(conn: Any) -> sqlite3.Cursor:
    raw = conn.connection.driver_connection
    assert isinstance(raw, sqlite3.Connection)
    return raw.cursor()


async def test_the_sqlite_twin_appends_and_publishes_what_emit_many_does(
    sqlite_db: Database,
) -> None:
    clock = ManualClock()
    pubsub = InProcessPubSub()
    log = SyncLog(sqlite_db, pubsub, clock, Metrics())
    frames: list[tuple[str, dict[str, Any]]] = []
    for uid in (1, 2, 3, 4):
        await pubsub.subscribe(user_topic(uid), lambda t, m: frames.append((t, m)))
    # Several events per user (consecutive numbers, in order), a user named twice in one
    # event (once), text that JSON escapes, and pushed payloads that differ from stored ones.
    events: list[tuple[list[int], str, dict[str, Any]]] = [
        ([2, 1], "t.a", {"n": 1, "text": '你好 🙂 "q"'}),
        ([2, 3, 2], "t.b", {"n": 2}),
        ([1], "t.a", {"n": 3, "list": [1, None, True]}),
    ]
    live: list[dict[str, Any] | None] = [{"full": 1}, None, {"full": 3}]

    async with sqlite_db.write() as uow:
        await log.emit_many(uow, events, live=live)
    by_orm = list(frames)
    frames.clear()
    publish = await sqlite_db.blocking_write(
        lambda conn: log.emit_many_sqlite(_cursor(conn), events, live=live)
    )
    assert frames == [], "nothing is published before the caller says the batch committed"
    await publish()
    by_twin = list(frames)

    # Each user's numbers continue where emit_many left them, for the same events.
    first = {1: 2, 2: 2, 3: 1}
    assert [t for t, _ in by_twin] == [t for t, _ in by_orm]
    for (topic, a), (_, b) in zip(by_orm, by_twin, strict=True):
        uid = int(topic.split(":")[1])
        assert b == {**a, "seq": a["seq"] + first[uid]}
    assert [(t, m["seq"], m["payload"]) for t, m in by_orm] == [
        ("user:1", 1, {"full": 1}),
        ("user:2", 1, {"full": 1}),
        ("user:2", 2, {"n": 2}),
        ("user:3", 1, {"n": 2}),
        ("user:1", 2, {"full": 3}),
    ]
    for uid, n in first.items():
        page = await log.since(uid, 0, 100)
        assert [e.seq for e in page.events] == list(range(1, 2 * n + 1))
        stored = [(e.kind, e.payload, e.at) for e in page.events]
        assert stored[n:] == stored[:n]
        assert await log.last_seq(uid) == 2 * n
    # Stored byte for byte as SQLAlchemy stores them (JSON text, timestamps).
    async with sqlite_db.read() as s:
        rows = (
            await s.execute(
                text(
                    "SELECT user_id, seq, payload, created_at FROM sync_events "
                    "ORDER BY user_id, seq"
                )
            )
        ).all()
    for uid, n in first.items():
        mine = [(r[2], r[3]) for r in rows if r[0] == uid]
        assert mine[n:] == mine[:n]

    # A user with no log yet starts at 1; no events at all is a no-op that publishes nothing.
    publish = await sqlite_db.blocking_write(
        lambda conn: log.emit_many_sqlite(_cursor(conn), [([4], "t.c", {})])
    )
    await publish()
    assert [(t, m["seq"]) for t, m in frames[-1:]] == [("user:4", 1)]
    frames.clear()
    publish = await sqlite_db.blocking_write(lambda conn: log.emit_many_sqlite(_cursor(conn), []))
    await publish()
    assert frames == []
    with pytest.raises(ValueError, match="parallel"):
        await sqlite_db.blocking_write(
            lambda conn: log.emit_many_sqlite(_cursor(conn), events, live=[None])
        )
