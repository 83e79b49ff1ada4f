"""The write-transaction helper under real concurrency, and the migration history."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from hutong.cli import migrate
from hutong.core.db import Database
from hutong.models import include_object, metadata
from hutong.settings import Settings

_counters = Table(
    "test_counters",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("value", BigInteger, nullable=False),
    Column("note", String(20)),
)


async def test_200_concurrent_read_modify_write_increments_lose_nothing(database_url: str) -> None:
    db = Database(database_url)
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(_counters.create, checkfirst=True)
            await conn.execute(_counters.delete())
            await conn.execute(_counters.insert().values(id=1, value=0))

        async def increment(i: int) -> None:
            async with db.write() as uow:
                # Read, compute in Python, write back: the pattern that loses updates when
                # transactions interleave.
                current = await uow.session.scalar(
                    select(_counters.c.value).where(_counters.c.id == 1).with_for_update()
                )
                await asyncio.sleep(0)  # invite another task to run in between
                await uow.session.execute(
                    _counters.update()
                    .where(_counters.c.id == 1)
                    .values(value=int(current or 0) + 1, note=str(i))
                )

        await asyncio.gather(*(increment(i) for i in range(200)))
        async with db.read() as s:
            assert await s.scalar(select(_counters.c.value).where(_counters.c.id == 1)) == 200
        async with db.engine.begin() as conn:
            await conn.run_sync(_counters.drop)
    finally:
        await db.dispose()


async def test_rolled_back_transaction_runs_no_after_commit_hooks(database_url: str) -> None:
    db = Database(database_url)
    ran: list[str] = []

    async def hook() -> None:
        ran.append("x")

    try:
        try:
            async with db.write() as uow:
                uow.after_commit(hook)
                await uow.session.execute(text("SELECT 1"))
                raise RuntimeError("boom")
        except RuntimeError:
            pass
        assert ran == []
        async with db.write() as uow:
            uow.after_commit(hook)
        assert ran == ["x"]
    finally:
        await db.dispose()


async def test_sqlite_runs_in_wal_mode(database_url: str) -> None:
    db = Database(database_url)
    try:
        if db.is_sqlite:
            async with db.read() as s:
                assert (await s.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
    finally:
        await db.dispose()


def _migrate_from_empty(url: str, data_dir: Path) -> list[object]:
    migrate(Settings(database_url=url, data_dir=data_dir))

    async def diff() -> list[object]:
        engine = create_async_engine(url)
        async with engine.connect() as conn:
            result: list[object] = await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"include_object": include_object}),
                    metadata,
                )
            )
        await engine.dispose()
        return result

    return asyncio.run(diff())


def test_migrations_from_empty_match_the_models(tmp_path: Path) -> None:
    """The linear Alembic history, applied to an empty database, yields exactly the models."""
    pg = os.environ.get("HUTONG_TEST_DATABASE_URL")
    if pg:
        name = f"hutong_migrations_{os.getpid()}"
        url = pg.rsplit("/", 1)[0] + "/" + name

        async def recreate(drop_only: bool = False) -> None:
            admin = create_async_engine(pg, isolation_level="AUTOCOMMIT")
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                if not drop_only:
                    await conn.execute(text(f'CREATE DATABASE "{name}"'))
            await admin.dispose()

        asyncio.run(recreate())
        try:
            assert _migrate_from_empty(url, tmp_path) == []
        finally:
            asyncio.run(recreate(drop_only=True))
        return
    url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    assert _migrate_from_empty(url, tmp_path) == []
