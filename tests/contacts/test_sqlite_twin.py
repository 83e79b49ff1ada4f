"""`pair_problems_sqlite`, the plain-`sqlite3` twin of `pair_problems` that chat's group commit
calls on SQLite, gives the same answer for every kind of pair.

It runs against a migrated SQLite file of its own, so it runs in the PostgreSQL pass too."""

from __future__ import annotations

import sqlite3

from sqlalchemy import text

from hutong.contacts import Blocked, NotFriend, pair_problems_sqlite
from hutong.contacts.relations import pair_problems
from hutong.core.db import Database


async def test_the_sqlite_twin_judges_every_pair_as_pair_problems_does(sqlite_db: Database) -> None:
    # 1-2 friends; 1-3 friends but 3 blocked 1; 1-4 friends but 1 blocked 4; 1-5 strangers;
    # 6 is 1's friend on 1's side only (half a friendship: 6 removed 1); 7-8 friends, and
    # 8 blocked someone else (2), which must not leak into 7-8.
    friendships = [(1, 2), (2, 1), (1, 3), (3, 1), (1, 4), (4, 1), (1, 6), (7, 8), (8, 7)]
    blocks = [(3, 1), (1, 4), (8, 2)]
    async with sqlite_db.write() as uow:
        for a, b in friendships:
            await uow.session.execute(
                text(
                    "INSERT INTO friendships (user_id, friend_id, remark, tags, created_at) "
                    "VALUES (:a, :b, '', '[]', '2026-01-01 00:00:00.000000')"
                ),
                {"a": a, "b": b},
            )
        for a, b in blocks:
            await uow.session.execute(
                text(
                    "INSERT INTO contact_blocks (user_id, blocked_id, created_at) "
                    "VALUES (:a, :b, '2026-01-01 00:00:00.000000')"
                ),
                {"a": a, "b": b},
            )
    pairs = [(a, b) for a in range(1, 9) for b in range(1, 9) if a != b]
    pairs += [(1, 2), (1, 3)]  # repeats are answered once

    async with sqlite_db.read() as s:
        expected = await pair_problems(s, pairs)

    def twin(conn: object) -> dict[tuple[int, int], Exception]:
        raw = conn.connection.driver_connection  # type: ignore[attr-defined]
        assert isinstance(raw, sqlite3.Connection)
        return pair_problems_sqlite(raw.cursor(), pairs)

    got = await sqlite_db.blocking_write(twin)
    assert {k: (type(v), str(v)) for k, v in got.items()} == {
        k: (type(v), str(v)) for k, v in expected.items()
    }
    assert {(1, 2), (2, 1), (7, 8), (8, 7), (1, 6)}.isdisjoint(got)
    assert {k for k, v in got.items() if isinstance(v, Blocked)} == {
        (1, 3),
        (3, 1),
        (1, 4),
        (4, 1),
        (2, 8),
        (8, 2),
    }
    assert str(got[(1, 3)]) != str(got[(3, 1)])  # "they blocked you" / "you blocked them"
    assert isinstance(got[(1, 5)], NotFriend)
    assert isinstance(got[(6, 1)], NotFriend)
    empty = await sqlite_db.blocking_write(
        lambda conn: pair_problems_sqlite(conn.connection.driver_connection.cursor(), [])  # type: ignore[union-attr]
    )
    assert empty == {}
