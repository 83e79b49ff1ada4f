"""The plain-`sqlite3` parts of `Database`: the group commit of short write steps and the
reader thread. They exist only on SQLite, so these run on a SQLite file in every pass."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from hutong.core.db import Database


def _setup(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE IF NOT EXISTS t_counts (k TEXT PRIMARY KEY, n INTEGER NOT NULL)")
    conn.execute("CREATE TABLE IF NOT EXISTS t_log (id INTEGER PRIMARY KEY, k TEXT NOT NULL)")


async def test_concurrent_steps_share_commits_and_lose_nothing(sqlite_db: Database) -> None:
    await sqlite_db.group.submit(_setup)

    def bump(conn: sqlite3.Connection, key: str) -> int:
        conn.execute(
            "INSERT INTO t_counts (k, n) VALUES (?, 1) ON CONFLICT (k) DO UPDATE SET n = n + 1",
            (key,),
        )
        return int(conn.execute("SELECT n FROM t_counts WHERE k = ?", (key,)).fetchone()[0])

    # 400 read-modify-write steps from 400 tasks at once, on four counters.
    seen = await asyncio.gather(
        *(sqlite_db.group.submit(lambda c, i=i: bump(c, f"k{i % 4}")) for i in range(400))
    )
    totals = await sqlite_db.quick_read(
        lambda c: dict(c.execute("SELECT k, n FROM t_counts").fetchall())
    )
    assert totals == {f"k{i}": 100 for i in range(4)}
    for k in range(4):  # each step saw its own increment: 1..100 once each
        assert sorted(seen[k::4]) == list(range(1, 101))
    assert sqlite_db.group.batches < 400  # they shared commits


async def test_a_failing_step_is_undone_alone_and_its_caller_gets_the_error(
    sqlite_db: Database,
) -> None:
    await sqlite_db.group.submit(_setup)

    def write(conn: sqlite3.Connection, key: str, fail: bool) -> str:
        conn.execute("INSERT INTO t_log (k) VALUES (?)", (key,))
        if fail:
            raise ValueError(key)
        return key

    results = await asyncio.gather(
        *(sqlite_db.group.submit(lambda c, i=i: write(c, f"s{i}", i % 3 == 0)) for i in range(30)),
        return_exceptions=True,
    )
    failed = {str(r) for r in results if isinstance(r, ValueError)}
    assert failed == {f"s{i}" for i in range(30) if i % 3 == 0}
    stored = await sqlite_db.quick_read(
        lambda c: {r[0] for r in c.execute("SELECT k FROM t_log").fetchall()}
    )
    assert stored == {f"s{i}" for i in range(30) if i % 3}  # the failed steps left nothing


async def test_a_database_error_in_a_step_is_the_callers_and_the_batch_goes_on(
    sqlite_db: Database,
) -> None:
    await sqlite_db.group.submit(_setup)
    await sqlite_db.group.submit(lambda c: c.execute("INSERT INTO t_counts VALUES ('a', 1)"))
    dup = sqlite_db.group.submit(lambda c: c.execute("INSERT INTO t_counts VALUES ('a', 2)"))
    other = sqlite_db.group.submit(lambda c: c.execute("INSERT INTO t_counts VALUES ('b', 2)"))
    results = await asyncio.gather(dup, other, return_exceptions=True)
    assert isinstance(results[0], sqlite3.IntegrityError)
    rows = await sqlite_db.quick_read(lambda c: c.execute("SELECT k, n FROM t_counts").fetchall())
    assert sorted(rows) == [("a", 1), ("b", 2)]


async def test_steps_queue_with_the_engines_writers(sqlite_db: Database) -> None:
    """The group commit takes the process's write turn, so SQLAlchemy writers and steps
    interleave without "database is locked"."""
    from sqlalchemy import text

    await sqlite_db.group.submit(_setup)

    async def orm_write(i: int) -> None:
        async with sqlite_db.write() as uow:
            await uow.session.execute(text("INSERT INTO t_log (k) VALUES (:k)"), {"k": f"o{i}"})

    await asyncio.gather(
        *(orm_write(i) for i in range(40)),
        *(
            sqlite_db.group.submit(
                lambda c, i=i: c.execute("INSERT INTO t_log (k) VALUES (?)", (f"g{i}",))
            )
            for i in range(40)
        ),
    )
    n = await sqlite_db.quick_read(lambda c: c.execute("SELECT count(*) FROM t_log").fetchone())
    assert n[0] == 80


async def test_the_plain_sqlite3_parts_refuse_postgresql() -> None:
    db = Database("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    with pytest.raises(RuntimeError):
        await db.quick_read(lambda c: None)
    with pytest.raises(RuntimeError):
        db.group  # noqa: B018
    await db.dispose()
