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
from collections.abc import AsyncIterator
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
from hutong.models import metadata
from hutong.settings import Settings
from tests.helpers import Api

PG_URL = os.environ.get("HUTONG_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("HUTONG_TEST_REDIS_URL") or None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _reset_pg(url: str, *, drop: bool) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        if drop:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        else:
            names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    await engine.dispose()


async def _flush_redis() -> None:
    if REDIS_URL:
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(REDIS_URL)
        await client.flushdb()
        await client.aclose()


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Migrate once per run; tests start from copies (SQLite) or truncations (PostgreSQL)."""
    if PG_URL:
        asyncio.run(_reset_pg(PG_URL, drop=True))
        migrate(Settings(database_url=PG_URL, data_dir=tmp_path_factory.mktemp("pg")))
        return PG_URL
    path = tmp_path_factory.mktemp("template") / "template.db"
    url = f"sqlite+aiosqlite:///{path}"
    migrate(Settings(database_url=url, data_dir=path.parent))
    return str(path)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
async def database_url(template_db: str, data_dir: Path) -> str:
    if PG_URL:
        await _reset_pg(PG_URL, drop=False)
        await _flush_redis()
        return PG_URL
    target = data_dir / "hutong.db"
    shutil.copyfile(template_db, target)
    return f"sqlite+aiosqlite:///{target}"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def settings(database_url: str, data_dir: Path) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        redis_url=REDIS_URL,
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
