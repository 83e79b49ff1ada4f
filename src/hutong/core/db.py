"""Database access: one engine, write transactions that cannot lose updates, events after commit.

SQLite and PostgreSQL run the same code. On SQLite the connection is put in WAL mode and
pysqlite's own transaction handling is switched off (SQLAlchemy's documented recipe), so that we
emit `BEGIN IMMEDIATE` for write transactions ourselves: the write lock is taken when the
transaction starts, so two read-modify-write transactions can never interleave, and a writer
waits (busy_timeout) instead of failing with "database is locked" when it tries to upgrade.
Read transactions use a plain deferred `BEGIN` and never block writers under WAL.

On PostgreSQL a row the transaction will modify must be read with `.with_for_update()` (or
changed with a guarded `UPDATE ... WHERE balance >= :x`); SQLite ignores `FOR UPDATE`, which is
harmless there because the whole write transaction is already exclusive.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import sqlite3
import traceback
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from contextvars import ContextVar
from functools import partial
from typing import Any, ClassVar, TypeVar

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Integer,
    MetaData,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import Connection, Dialect, Engine, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

from hutong.core.batching import Batcher

log = logging.getLogger(__name__)
T = TypeVar("T")
# Set while this task is inside a write transaction, so a nested write does not wait on itself.
_in_write: ContextVar[bool] = ContextVar("hutong_in_write", default=False)
_write_session: ContextVar[AsyncSession | None] = ContextVar("hutong_write_session", default=None)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL ids are 64-bit.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[dt.datetime]):
    """Timestamps are stored in UTC and always come back timezone-aware, on both databases."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class Base(DeclarativeBase):
    """Declarative base shared by every domain, so Alembic sees one metadata."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: UtcDateTime(),
        dict[str, Any]: JSON(),
    }


AfterCommit = Callable[[], Awaitable[None]]


class UnitOfWork:
    """One write transaction: its session plus work to do once it has committed.

    Events must not reach anyone before the data they describe is durable, so publishing is
    queued with `after_commit` and runs only if the commit succeeded.
    """

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._after_commit: list[AfterCommit] = []
        self.info: dict[str, Any] = {}

    def after_commit(self, fn: AfterCommit) -> None:
        self._after_commit.append(fn)

    async def _run_after_commit(self) -> None:
        for fn in self._after_commit:
            try:
                await fn()
            except Exception:
                # The transaction is committed; a failed publish is repaired by clients'
                # sequence-based resync, so it must not turn a success into an error.
                log.exception("after-commit hook failed")


def _sqlite_pragmas(cur: Any) -> None:
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")


def sqlite_connection(url_or_path: str) -> sqlite3.Connection:
    """A plain `sqlite3` connection to the database file the engine uses, set up as the
    engine's are (WAL, `synchronous=NORMAL`, foreign keys, 30 s busy timeout), in autocommit
    mode so the caller's BEGIN is the one used; for writers that run a whole batch in one
    blocking call on a thread of their own (the ledger, chat messages)."""
    path = make_url(url_or_path).database if "://" in url_or_path else url_or_path
    if not path or path == ":memory:":
        raise ValueError("a plain sqlite3 writer needs a database file, not :memory:")
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    _sqlite_pragmas(conn)
    return conn


def sqlite_time(at: dt.datetime) -> str:
    """A UTC time as SQLAlchemy stores it in SQLite (naive ISO text), for plain `sqlite3`."""
    return at.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def from_sqlite_time(text: str | None) -> dt.datetime | None:
    """The aware UTC time of a column SQLAlchemy wrote (`sqlite_time`'s inverse)."""
    return None if text is None else dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def _transaction(conn: sqlite3.Connection, begin: str, fn: Callable[[sqlite3.Connection], T]) -> T:
    conn.execute(begin)
    try:
        out = fn(conn)
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise
    return out


class SqliteThread:
    """A plain `sqlite3` connection to the database file, used only from one thread of its
    own: `read(fn)` and `write(fn)` are one hop there and back with `fn(conn)` inside one
    transaction (a plain deferred `BEGIN` for reads; `BEGIN IMMEDIATE` for writes, queued
    behind the process's write turn like `Database.write`'s writers). Through aiosqlite and
    SQLAlchemy the same statements cost a loop round trip, a thread hop and ORM machinery
    each."""

    def __init__(self, db: Database, name: str) -> None:
        self.db = db
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._conn: sqlite3.Connection | None = None

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._in_transaction, "BEGIN", fn)

    async def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        loop = asyncio.get_running_loop()
        async with self.db.write_turn():
            return await loop.run_in_executor(
                self._executor, self._in_transaction, "BEGIN IMMEDIATE", fn
            )

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._executor, self._close)

    def shutdown(self) -> None:
        """End the thread, after `close`; it cannot be used again."""
        self._executor.shutdown(wait=True)

    def _in_transaction(self, begin: str, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._conn is None:
            self._conn = sqlite_connection(self.db.url)
        return _transaction(self._conn, begin, fn)

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


Step = Callable[[sqlite3.Connection], Any]


class GroupCommit:
    """Small SQLite write transactions that arrive together share one commit.

    `await submit(fn)` queues `fn(conn)`; a `Batcher` (`core/batching.py`) takes everything
    queued (up to `max_batch`) and runs it on a `SqliteThread` as one `BEGIN IMMEDIATE …
    COMMIT`, each `fn` inside a savepoint of its own: an `fn` that raises is undone alone and
    its caller gets the exception, the others commit. One commit carries one step when idle
    and hundreds under load, for any domain's short statements (mini-program orders and
    webhooks). A step must be plain statements (no awaiting); it runs on the writer's
    thread."""

    def __init__(self, db: Database, *, max_batch: int = 256) -> None:
        self.line = SqliteThread(db, "sqlite-group")
        self._batcher: Batcher[Step, Any] = Batcher(
            self._write, max_batch=max_batch, name="sqlite group commit"
        )

    @property
    def batches(self) -> int:
        return self._batcher.batches

    async def submit(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        # Written even if the caller is cancelled: the step is already on its way.
        out: T = await self._batcher.submit(fn)
        return out

    async def _write(self, steps: list[Step]) -> list[Any]:
        return await self.line.write(partial(_steps, steps=steps))

    async def close(self) -> None:
        """Finish what is queued, then close the connection."""
        await self._batcher.close()
        await self.line.close()


def _steps(conn: sqlite3.Connection, *, steps: list[Step]) -> list[Any]:
    """Each step in a savepoint: its result, or what it raised (and its writes undone)."""
    out: list[Any] = []
    for step in steps:
        conn.execute("SAVEPOINT step")
        try:
            out.append(step(conn))
        except Exception as exc:
            conn.execute("ROLLBACK TO step")
            out.append(exc)
        conn.execute("RELEASE step")
    return out


def _install_sqlite_hooks(engine: AsyncEngine | Engine) -> None:
    target = engine.sync_engine if isinstance(engine, AsyncEngine) else engine

    @event.listens_for(target, "connect")
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite so that our BEGIN is the one used.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        _sqlite_pragmas(cur)
        cur.close()

    @event.listens_for(target, "begin")
    def on_begin(conn: Any) -> None:
        if conn.get_execution_options().get("hutong_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


class NestedTransaction(RuntimeWarning):
    """A transaction was opened inside a write transaction (see `Database.read`)."""

    def __init__(self) -> None:
        # Name the Hutong frames that led here: the write that is open is among them.
        where = " <- ".join(
            f"{f.filename.rsplit('/hutong/', 1)[-1]}:{f.lineno}"
            for f in reversed(traceback.extract_stack()[:-3])
            if "/hutong/" in f.filename and not f.filename.endswith("core/db.py")
        )
        super().__init__(
            f"a transaction opened inside Database.write() takes a second connection: {where}"
        )


class Database:
    """The engine and the two kinds of transaction every service uses."""

    def __init__(self, url: str, *, pool_size: int = 10, echo: bool = False) -> None:
        parsed = make_url(url)
        self.url = url
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite:
            self.engine = create_async_engine(
                url,
                echo=echo,
                connect_args={"timeout": 30},
                # Enough for the concurrency two cores can use, and no overflow: a connection
                # opened beyond the pool and closed again costs a thread and a connect (a
                # quarter of a merchant payment's CPU under load); waiting for one costs little.
                pool_size=20,
                max_overflow=0,
                pool_timeout=30,
            )
            _install_sqlite_hooks(self.engine)
        else:
            self.engine = create_async_engine(
                url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
            )
        write_engine = self.engine.execution_options(hutong_write=True)
        self._write_turn: asyncio.Lock | None = asyncio.Lock() if self.is_sqlite else None
        self._read = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        self._write = async_sessionmaker(write_engine, expire_on_commit=False, autoflush=False)
        self._blocking: tuple[Engine, ThreadPoolExecutor] | None = None
        self._reader: SqliteThread | None = None
        self._group: GroupCommit | None = None

    @asynccontextmanager
    async def write(self) -> AsyncIterator[UnitOfWork]:
        """A write transaction. Commits when the block ends, then runs after-commit hooks."""
        if _in_write.get():
            warnings.warn(NestedTransaction(), stacklevel=3)
        turn = self._write_turn if self._write_turn is not None and not _in_write.get() else None
        if turn is not None:
            # SQLite admits one writer at a time anyway; queueing this process's writers here,
            # in order, rather than in SQLite's busy handler (which sleeps and retries, so some
            # writers starve) cuts the tail latency several-fold at the same throughput.
            await turn.acquire()
        token = _in_write.set(True)
        try:
            async with self._write() as session:
                uow = UnitOfWork(session)
                async with session.begin():
                    current = _write_session.set(session)
                    try:
                        yield uow
                    finally:
                        _write_session.reset(current)
        finally:
            _in_write.reset(token)
            if turn is not None:
                turn.release()
        await uow._run_after_commit()

    @asynccontextmanager
    async def write_turn(self) -> AsyncIterator[None]:
        """Hold this process's SQLite write turn, for a writer outside SQLAlchemy (the ledger's
        own `sqlite3` connection), so that it queues with `write()`'s writers rather than in
        SQLite's busy handler. A no-op on PostgreSQL. Awaiting a `write()` of another task
        while holding the turn would wait forever."""
        if self._write_turn is None or _in_write.get():
            yield
            return
        async with self._write_turn:
            yield

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A read-only transaction with a consistent snapshot.

        Never open one inside `write()`: the writer already holds a pooled connection and
        would wait for a second one, so under load every connection is held by a writer
        waiting for another and the pool runs dry (a 503 for everyone). Read what a write needs
        before the write begins, or through the write's own session. Tests turn the warning
        below into an error."""
        if _in_write.get():
            warnings.warn(NestedTransaction(), stacklevel=3)
        async with self._read() as session, session.begin():
            yield session

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A session to read from: inside `write()`, the write's own (it sees the write's
        changes and takes no second connection); elsewhere a read transaction. For helpers
        called both ways (profiles, names); never share it with tasks running concurrently."""
        session = _write_session.get()
        if session is not None:
            yield session
            return
        async with self.read() as s:
            yield s

    async def blocking_write(self, fn: Callable[[Connection], T]) -> T:
        """SQLite only: run `fn(conn)` as one `BEGIN IMMEDIATE … COMMIT` on a dedicated thread
        with a plain (synchronous) SQLAlchemy connection, holding this process's write turn.

        Through aiosqlite every statement is a hop to its thread and back through the event
        loop (~0.1 ms of CPU each, more when the loop is busy); a batch writer that issues ten
        statements per batch pays that ten times. Here the whole transaction is one hop, and
        the statements (the same Core statements, the same column types) run back to back.
        Used by the red-envelope claim batches; the wallet ledger does the same with raw
        `sqlite3`. (It helps where the batch's work is in SQLite; Python-heavy work gains
        little on a thread, since it still needs the GIL.)"""
        if not self.is_sqlite:
            raise RuntimeError("blocking_write is for SQLite")
        if self._blocking is None:
            url = make_url(self.url).set(drivername="sqlite+pysqlite")
            engine = create_engine(
                url, poolclass=StaticPool, connect_args={"timeout": 30, "check_same_thread": False}
            )
            _install_sqlite_hooks(engine)
            self._blocking = (
                engine.execution_options(hutong_write=True),
                ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer"),
            )
        engine, executor = self._blocking

        def run() -> T:
            with engine.begin() as conn:
                return fn(conn)

        async with self.write_turn():
            return await asyncio.get_running_loop().run_in_executor(executor, run)

    async def quick_read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """SQLite only: `fn(conn)` in one read transaction on the database's plain `sqlite3`
        reader thread; for hot paths whose reads are a few indexed lookups, where SQLAlchemy's
        per-statement cost is most of the work."""
        if not self.is_sqlite:
            raise RuntimeError("quick_read is for SQLite")
        if self._reader is None:
            self._reader = SqliteThread(self, "sqlite-reader")
        return await self._reader.read(fn)

    @property
    def group(self) -> GroupCommit:
        """SQLite only: the process's group commit for short write transactions."""
        if not self.is_sqlite:
            raise RuntimeError("group commit of plain statements is for SQLite")
        if self._group is None:
            self._group = GroupCommit(self)
        return self._group

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._group is not None:
            await self._group.close()
            self._group.line.shutdown()
            self._group = None
        if self._reader is not None:
            await self._reader.close()
            self._reader.shutdown()
            self._reader = None
        if self._blocking is not None:
            engine, executor = self._blocking
            executor.shutdown(wait=True)
            engine.dispose()
            self._blocking = None
