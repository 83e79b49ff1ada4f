"""Crash: a transfer load against a real server process, SIGKILL, restart. The audit passes,
every transfer answered 201 is in the journal, and unanswered requests retried with their
keys settle exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from hutong.core.db import Database
from hutong.settings import Settings
from hutong.wallet.ledger.models import LedgerTransaction
from tests.conftest import free_port
from tests.helpers import PASSWORD
from tests.wallet.util import CARD, PIN, new_key


def server_env(settings: Settings, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUTONG_")}
    return {
        **env,
        "HUTONG_DATA_DIR": str(data_dir),
        "HUTONG_DATABASE_URL": settings.database_url,
        "HUTONG_SECRET_KEY": "crash-test-key",
        "HUTONG_PASSWORD_PROFILE": "test",
        "HUTONG_LOG_LEVEL": "WARNING",
        "HUTONG_REGISTER_LIMIT_IP": "100000",
        # The second socket on a free port of its own, the same across the restart (by
        # default it is the next port, which another process may hold).
        "HUTONG_MINIAPP_ORIGIN": f"http://127.0.0.1:{free_port()}",
    }


def spawn(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "hutong.cli", "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def start(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    proc = await asyncio.to_thread(spawn, env, port, log)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        for _ in range(300):
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get("/readyz")).status_code == 200:
                    return proc
            if proc.poll() is not None:
                break
            await asyncio.sleep(0.1)
    raise RuntimeError(await asyncio.to_thread(log.read_text))


async def user(client: httpx.AsyncClient, handle: str) -> dict[str, Any]:
    creds = {"handle": handle, "password": PASSWORD}
    assert (await client.post("/auth/register", json=creds)).status_code == 201
    body = (await client.post("/auth/token", json=creds)).json()
    headers = {"Authorization": f"Bearer {body['token']}"}
    r = await client.put("/wallet/pin", headers=headers, json={"pin": PIN, "password": PASSWORD})
    assert r.status_code == 204, r.text
    card = (await client.post("/wallet/cards", headers=headers, json={"number": CARD})).json()
    r = await client.post(
        "/wallet/topups",
        headers={**headers, "Idempotency-Key": new_key()},
        json={"card_id": card["id"], "amount": 1_000_000},
    )
    assert r.status_code == 201, r.text
    return {"id": body["user"]["id"], "headers": headers}


async def befriend(client: httpx.AsyncClient, a: dict[str, Any], b: dict[str, Any]) -> None:
    r = await client.post(
        "/contacts/requests", headers=a["headers"], json={"to_user_id": b["id"], "source": "handle"}
    )
    assert r.status_code == 201, r.text
    r = await client.post(f"/contacts/requests/{r.json()['id']}/accept", headers=b["headers"])
    assert r.status_code == 200, r.text


async def test_sigkill_under_load_loses_no_answered_transfer(
    settings: Settings, tmp_path: Path
) -> None:
    env = server_env(settings, tmp_path / "server")
    port = free_port()
    log = tmp_path / "server.log"
    proc = await start(env, port, log)
    base = f"http://127.0.0.1:{port}"
    answered: list[int] = []
    enough = asyncio.Event()
    unanswered: list[tuple[dict[str, Any], dict[str, Any], str]] = []
    try:
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            people = [await user(client, f"crash{i}") for i in range(4)]
            for i, a in enumerate(people):
                for b in people[i + 1 :]:
                    await befriend(client, a, b)

            async def load(n: int) -> None:
                sender, receiver = people[n % 4], people[(n + 1) % 4]
                while True:
                    key = new_key()
                    body = {"to_user_id": receiver["id"], "amount": 100 + n, "pin": PIN}
                    try:
                        r = await client.post(
                            "/wallet/transfers",
                            json=body,
                            headers={**sender["headers"], "Idempotency-Key": key},
                        )
                    except httpx.HTTPError:
                        unanswered.append((sender, body, key))
                        return
                    assert r.status_code == 201, r.text
                    answered.append(int(r.json()["id"]))
                    if len(answered) >= 150:
                        enough.set()

            workers = [asyncio.create_task(load(n)) for n in range(16)]
            await enough.wait()
            proc.send_signal(signal.SIGKILL)
            await asyncio.gather(*workers)
        proc.wait()

        proc = await start(env, port, log)
        audit = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "hutong.cli", "ledger", "audit"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert audit.returncode == 0, audit.stdout + audit.stderr
        db = Database(settings.database_url)
        try:
            async with db.read() as s:
                kinds = dict(
                    (
                        await s.execute(
                            select(LedgerTransaction.id, LedgerTransaction.kind).where(
                                LedgerTransaction.id.in_(answered)
                            )
                        )
                    ).all()
                )
        finally:
            await db.dispose()
        assert len(answered) >= 150
        assert all(kinds.get(tid) == "transfer.send" for tid in answered)
        # Requests cut off by the kill: retried with their keys, each lands exactly once.
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            for sender, body, key in unanswered:
                headers = {**sender["headers"], "Idempotency-Key": key}
                first = await client.post("/wallet/transfers", json=body, headers=headers)
                again = await client.post("/wallet/transfers", json=body, headers=headers)
                assert first.status_code == again.status_code == 201, first.text
                assert first.json()["id"] == again.json()["id"]
        audit = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "hutong.cli", "ledger", "audit"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert audit.returncode == 0, audit.stdout + audit.stderr
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(10)
