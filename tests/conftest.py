"""Test harness: real databases, a real server, fakes only for what is outside Hutong.

The suite runs on SQLite by default. Set `HUTONG_TEST_DATABASE_URL` (for example
`postgresql+asyncpg://postgres@127.0.0.1:5432/test`) to run the same tests on PostgreSQL, and
`HUTONG_TEST_REDIS_URL` to route pub/sub and rate limits through Redis.

Each test gets a freshly migrated database: on SQLite a copy of a template file migrated once,
on PostgreSQL the migrated schema with every table truncated.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from hutong.app import Container, build_app
from hutong.cli import migrate
from hutong.core.clock import ManualClock
from hutong.core.db import Database
from hutong.models import metadata
from hutong.settings import Settings
from tests.helpers import Api

PG_BASE_URL = os.environ.get("HUTONG_TEST_DATABASE_URL", "")
# Each test run works in its own database on that server, so runs never trample each other.
PG_URL = f"{PG_BASE_URL.rsplit('/', 1)[0]}/hutong_test_{os.getpid()}" if PG_BASE_URL else ""
REDIS_URL = os.environ.get("HUTONG_TEST_REDIS_URL") or None
REDIS_PREFIX = f"hutong-test-{os.getpid()}:"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _create_pg_database(*, drop_only: bool = False) -> None:
    name = PG_URL.rsplit("/", 1)[1]
    admin = create_async_engine(PG_BASE_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if not drop_only:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()


async def _truncate_pg(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    await engine.dispose()


async def _flush_redis() -> None:
    if REDIS_URL:
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(REDIS_URL)
        keys = [k async for k in client.scan_iter(match=REDIS_PREFIX + "*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "settings(**values): override Settings for one test")


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Migrate once per run; tests start from copies (SQLite) or truncations (PostgreSQL)."""
    if PG_URL:
        asyncio.run(_create_pg_database())
        migrate(Settings(database_url=PG_URL, data_dir=tmp_path_factory.mktemp("pg")))
        yield PG_URL
        asyncio.run(_create_pg_database(drop_only=True))
        return
    path = tmp_path_factory.mktemp("template") / "template.db"
    url = f"sqlite+aiosqlite:///{path}"
    migrate(Settings(database_url=url, data_dir=path.parent))
    yield str(path)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A migrated SQLite file of the test's own, in every pass (for code that exists only on
    SQLite: the plain-`sqlite3` twins of realtime and contacts). Migrating runs its own event
    loop, so this fixture is synchronous."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'own.db'}"
    migrate(Settings(database_url=url, data_dir=tmp_path))
    return url


@pytest.fixture
async def sqlite_db(sqlite_url: str) -> AsyncIterator[Database]:
    database = Database(sqlite_url)
    yield database
    await database.dispose()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
async def database_url(template_db: str, data_dir: Path) -> str:
    if PG_URL:
        await _truncate_pg(PG_URL)
        await _flush_redis()
        return PG_URL
    target = data_dir / "hutong.db"
    shutil.copyfile(template_db, target)
    return f"sqlite+aiosqlite:///{target}"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def settings(database_url: str, data_dir: Path, request: pytest.FixtureRequest) -> Settings:
    """Test settings; `@pytest.mark.settings(name=value, ...)` overrides some for one test."""
    marker = request.node.get_closest_marker("settings")
    # Anti-spam limits would trip over tests that befriend or post a lot from one account;
    # the tests of those limits set their own.
    generous = dict.fromkeys(
        ("post", "comment", "message", "friend_request", "report"), "100000/60"
    )
    # A bare `@pytest.mark.settings` means "the platform defaults", limits included.
    platform_defaults = marker is not None and not marker.kwargs
    values = {} if platform_defaults else {"action_limits": generous, "action_limits_new": generous}
    values.update(marker.kwargs if marker else {})
    return Settings(
        **values,
        data_dir=data_dir,
        database_url=database_url,
        redis_url=REDIS_URL,
        redis_prefix=REDIS_PREFIX,
        secret_key="test-secret-key",
        password_profile="test",
        log_level="WARNING",
        access_log=False,
        ws_heartbeat_s=1.0,
    )


@pytest.fixture
def app(settings: Settings, clock: ManualClock) -> FastAPI:
    return build_app(settings, clock=clock)


@pytest.fixture
def container(app: FastAPI) -> Container:
    """The running app's parts, for tests that act at service level."""
    c: Container = app.state.container
    return c


@pytest.fixture
async def server(app: FastAPI) -> AsyncIterator[str]:
    """A real uvicorn server on a free port, in this event loop; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        ws_ping_interval=None,
    )
    srv = uvicorn.Server(config)
    task = asyncio.create_task(srv.serve())
    while not srv.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=10)


@pytest.fixture
async def api(server: str) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(base_url=server, timeout=30) as client:
        yield Api(client, server)


class Workers:
    """Server processes on one PostgreSQL and one Redis: a small cluster for fault tests."""

    def __init__(self, data_dir: Path, n: int) -> None:
        # Each worker listens on two ports (its own and the mini-program origin's), all free
        # and distinct: the default origin, port + 1, may be taken by another worker.
        ports: list[int] = []
        while len(ports) < 2 * n:
            port = free_port()
            if port not in ports:
                ports.append(port)
        self.ports, origins = ports[:n], ports[n:]
        self.procs = [self._spawn(p, o, data_dir) for p, o in zip(self.ports, origins, strict=True)]
        self.urls = [f"http://127.0.0.1:{p}" for p in self.ports]

    @staticmethod
    def _spawn(port: int, origin_port: int, data_dir: Path) -> subprocess.Popen[bytes]:
        env = {
            "HUTONG_MINIAPP_ORIGIN": f"http://127.0.0.1:{origin_port}",
            **os.environ,
            "HUTONG_DATABASE_URL": PG_URL,
            "HUTONG_REDIS_URL": REDIS_URL or "",
            "HUTONG_REDIS_PREFIX": REDIS_PREFIX,
            "HUTONG_SECRET_KEY": "cluster-test-key",
            "HUTONG_DATA_DIR": str(data_dir),
            "HUTONG_PASSWORD_PROFILE": "test",
            "HUTONG_LOG_LEVEL": "WARNING",
            "HUTONG_LOGIN_FAIL_LIMIT_IP": "100000",
            "HUTONG_REGISTER_LIMIT_IP": "100000",
        }
        cmd = [sys.executable, "-m", "hutong.cli", "serve", "--port", str(port), "--no-migrate"]
        return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)

    def wait_ready(self) -> None:
        for port, proc in zip(self.ports, self.procs, strict=True):
            deadline = time.monotonic() + 30
            while True:
                assert proc.poll() is None, "worker exited"
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "worker did not start"
                time.sleep(0.1)

    def kill(self, i: int) -> None:
        """SIGKILL: no shutdown hooks, no goodbyes — as a crashed machine."""
        self.procs[i].kill()
        self.procs[i].wait(timeout=10)

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            p.wait(timeout=10)


@pytest.fixture
def workers(database_url: str, tmp_path: Path) -> Iterator[Workers]:
    """Two `hutong serve` processes sharing this test's PostgreSQL database and Redis."""
    cluster = Workers(tmp_path, 2)
    try:
        cluster.wait_ready()
        yield cluster
    finally:
        cluster.stop()
