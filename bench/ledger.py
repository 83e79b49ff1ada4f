"""Wallet ledger throughput: transfers per second at service level and through the HTTP API.

    python bench/ledger.py [--pg [URL]] [--transfers 20000] [--concurrency 32] [--http-seconds 10]

Service level (the ledger every money movement goes through — group commit, one blocking
`sqlite3` call or one PL/pgSQL round trip per batch): 1,000 wallet accounts funded from the
bank, then `--transfers` transfers between random pairs, each with its own idempotency key and
memo, from `--concurrency` concurrent clients (asyncio tasks):

* `sqlite_transfers_per_s` — SQLite file in WAL mode (goal ≥ 5,000/s);
* `sqlite_hot_merchant_per_s` — every client paying one merchant account;
* with `--pg`: `pg_transfers_per_s` (goal ≥ 3,000/s) and `pg_hot_merchant_per_s` (goal
  ≥ 1,000/s), on a database of its own (`hutong_bench_ledger`, dropped and created), so a
  shared `test` database is never touched.

Through the API (`http_transfers_per_s`): `hutong serve` (SQLite, one worker, pinned to CPU 0)
with 64 users, each a friend of the next, PIN set and wallet topped up; 32 keep-alive
connections (this process, pinned to CPU 1) send `POST /wallet/transfers` to a friend for
`--http-seconds`. That is the whole path: session, PIN check (argon2 — the server runs the
cheap test profile, as every benchmark here does; production argon2 costs ~0.3 s of CPU per
PIN check), friendship and block checks, idempotency, the ledger, the outbox.

Every run ends with `hutong ledger audit` on each database; the JSON says whether it passed.
Prints one JSON object: {"bench": "ledger", "results": {...}, "machine": ..., "commit": ...}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c

c.ensure_venv()
sys.path.insert(0, str(c.ROOT / "src"))

from hutong.cli import migrate  # noqa: E402
from hutong.core.clock import SystemClock  # noqa: E402
from hutong.core.db import Database  # noqa: E402
from hutong.settings import Settings  # noqa: E402
from hutong.wallet import Ledger, WalletService, audit  # noqa: E402
from hutong.wallet.ledger import BANK, MERCHANT, WALLET, Op, memo_text, request_hash  # noqa: E402

ACCOUNTS = 1_000
PG_DEFAULT = "postgresql+asyncpg://postgres@127.0.0.1:5432/hutong_bench_ledger"
PIN = "258036"


# -- service level --------------------------------------------------------------------------


async def ledger_run(url: str, transfers: int, concurrency: int) -> dict[str, Any]:
    """Spread and hot-merchant transfer rates on the database at `url`, then the audit."""
    db = Database(url)
    ledger = Ledger(db, SystemClock())
    try:
        bank = await ledger.account(BANK)
        wallets = [await ledger.account(WALLET, 1 + i) for i in range(ACCOUNTS)]
        merchant = await ledger.account(MERCHANT, 1)
        now = ledger.now_us()
        funded = await asyncio.gather(
            *(ledger.submit(Op("topup", ((bank, -(10**9)), (w, 10**9)), now)) for w in wallets)
        )
        assert all(o.ok for o in funded)
        out: dict[str, Any] = {}
        await _transfers(ledger, wallets, None, 2_000, concurrency)  # warm-up
        for name, hot in (("transfers", None), ("hot_merchant", merchant)):
            batches0, ops0 = ledger.writer.batches, ledger.writer.ops
            cpu0, t0 = time.process_time(), time.perf_counter()
            failed = await _transfers(ledger, wallets, hot, transfers, concurrency)
            wall = time.perf_counter() - t0
            batches = ledger.writer.batches - batches0
            out[f"{name}_per_s"] = round(transfers / wall)
            out[f"{name}_detail"] = {
                "transfers": transfers,
                "refused": failed,
                "seconds": round(wall, 3),
                "batches": batches,
                "mean_batch": round((ledger.writer.ops - ops0) / max(batches, 1), 1),
                "bench_process_cpu_pct": round(100 * (time.process_time() - cpu0) / wall, 1),
            }
        report = await audit(db)
        out["audit"] = {
            "ok": report.ok,
            "transactions": report.transactions,
            "violations": report.violations[:3],
        }
        return out
    finally:
        await ledger.close()
        await db.dispose()


async def _transfers(
    ledger: Ledger, wallets: list[int], hot: int | None, n: int, concurrency: int
) -> int:
    """`n` transfers from `concurrency` tasks; the number refused (there should be none)."""
    left = n
    refused = 0

    async def client(seed: int) -> None:
        nonlocal left, refused
        rnd = random.Random(seed)
        while left > 0:
            left -= 1
            src = rnd.choice(wallets)
            dst = hot if hot is not None else rnd.choice(wallets)
            while dst == src:
                dst = rnd.choice(wallets)
            amount = rnd.randint(1, 5_000)
            op = Op(
                "transfer",
                ((src, -amount), (dst, amount)),
                ledger.now_us(),
                scope=src,
                key=uuid.uuid4().hex,
                request_hash=request_hash({"to": dst, "amount": amount}),
                ref=f"bench:{dst}",
                memo=memo_text({"from": src, "to": dst, "note": "bench"}),
            )
            outcome = await ledger.submit(op)
            refused += not outcome.ok

    await asyncio.gather(*(client(i) for i in range(concurrency)))
    return refused


def fresh_sqlite() -> tuple[str, Path]:
    tmp = Path(tempfile.mkdtemp(prefix="hutong-bench-ledger-"))
    url = f"sqlite+aiosqlite:///{tmp / 'hutong.db'}"
    migrate(Settings(database_url=url, data_dir=tmp))
    return url, tmp


async def fund(wallet: WalletService, user_id: int, pin: str, password: str, fen: int) -> None:
    """A payer for the service-level benchmarks: a payment PIN and `fen` topped up."""
    await wallet.pins.set_pin(user_id, pin, current_pin=None, password=password)
    ledger = wallet.ledger
    bank, account = await ledger.account(BANK), await ledger.account(WALLET, user_id)
    op = Op("topup", ((bank, -fen), (account, fen)), ledger.now_us(), memo="{}")
    assert (await ledger.submit(op)).ok


def fresh_pg(url: str) -> str:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    name = make_url(url).database
    admin_url = make_url(url).set(database="postgres")

    async def recreate() -> None:
        engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        await engine.dispose()

    asyncio.run(recreate())
    migrate(Settings(database_url=url, data_dir=Path(tempfile.mkdtemp())))
    return url


# -- through the API ------------------------------------------------------------------------


async def http_run(seconds: float, connections: int, users: int = 64) -> dict[str, Any]:
    server = c.start_hutong({"HUTONG_WALLET_SWEEP_INTERVAL_S": "3600"}, name="hutong-wallet")
    try:
        port = server.port
        tokens = await c.register_users(port, users, prefix="payer")
        conn = await c.HttpConn.open("127.0.0.1", port)
        ids = []
        for t in tokens:
            status, me = await conn.request("GET", "/me", token=t)
            ids.append(me["id"])
            status, _ = await conn.request(
                "PUT", "/wallet/pin", {"pin": PIN, "password": "bench-password-1"}, t
            )
            assert status == 204, status
            status, card = await conn.request("POST", "/wallet/cards", {"number": "4242" * 4}, t)
            r = conn.build(
                "POST", "/wallet/topups", {"card_id": card["id"], "amount": 5_000_000}, t
            )
            status, _ = await conn.send_raw(_keyed(r))
            assert status == 201, status
        for i, t in enumerate(tokens):  # a ring of friends: i and i + 1
            status, req = await conn.request(
                "POST",
                "/contacts/requests",
                {"to_user_id": ids[(i + 1) % users], "source": "handle"},
                t,
            )
            assert status == 201, (status, req)
            status, _ = await conn.request(
                "POST", f"/contacts/requests/{req['id']}/accept", None, tokens[(i + 1) % users]
            )
            assert status == 200, status
        await conn.close()

        if c.have_taskset():
            os.sched_setaffinity(0, {int(c.CLIENT_CPU)})
        watch = c.CpuWatch(server.pid)
        counts = {"ok": 0, "other": 0}
        deadline = time.perf_counter() + seconds

        async def client(k: int) -> None:
            conn = await c.HttpConn.open("127.0.0.1", port)
            rnd = random.Random(k)
            try:
                while time.perf_counter() < deadline:
                    i = rnd.randrange(users)
                    body = {
                        "to_user_id": ids[(i + 1) % users],
                        "amount": rnd.randint(1, 500),
                        "pin": PIN,
                    }
                    status, _ = await conn.send_raw(
                        _keyed(conn.build("POST", "/wallet/transfers", body, tokens[i]))
                    )
                    counts["ok" if status == 201 else "other"] += 1
            finally:
                await conn.close()

        t0 = time.perf_counter()
        await asyncio.gather(*(client(k) for k in range(connections)))
        wall = time.perf_counter() - t0
        cpu = watch.stop()
        os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
        audit_out = await asyncio.to_thread(
            subprocess.run,
            [str(c.HUTONG), "ledger", "audit", "--json"],
            env={**os.environ, **server.env},
            capture_output=True,
            text=True,
            check=False,
        )
        report = json.loads(audit_out.stdout)
        return {
            "per_s": round(counts["ok"] / wall),
            "detail": {
                "transfers": counts["ok"],
                "not_201": counts["other"],
                "seconds": round(wall, 2),
                "connections": connections,
                **cpu,
            },
            "audit": {"ok": report["ok"], "transactions": report["transactions"]},
        }
    finally:
        server.stop()


def _keyed(request: bytes) -> bytes:
    head, body = request.split(b"\r\n\r\n", 1)
    return head + f"\r\nIdempotency-Key: {uuid.uuid4().hex}".encode() + b"\r\n\r\n" + body


# -- main ---------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--pg", nargs="?", const=PG_DEFAULT, default=None, metavar="URL")
    ap.add_argument("--transfers", type=int, default=20_000)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--http-seconds", type=float, default=10.0)
    ap.add_argument("--no-http", action="store_true")
    args = ap.parse_args()
    load = {"before": os.getloadavg()}
    results: dict[str, Any] = {}
    audits: dict[str, Any] = {}

    c.note("SQLite: service-level transfers")
    url, tmp = fresh_sqlite()
    sqlite = asyncio.run(ledger_run(url, args.transfers, args.concurrency))
    results["sqlite_transfers_per_s"] = sqlite["transfers_per_s"]
    results["sqlite_hot_merchant_per_s"] = sqlite["hot_merchant_per_s"]
    audits["sqlite"] = sqlite.pop("audit")
    results["sqlite_detail"] = sqlite
    subprocess.run(["rm", "-rf", str(tmp)], check=False)

    if args.pg:
        c.note(f"PostgreSQL: service-level transfers on {args.pg.rsplit('/', 1)[-1]}")
        pg = asyncio.run(ledger_run(fresh_pg(args.pg), args.transfers, args.concurrency))
        results["pg_transfers_per_s"] = pg["transfers_per_s"]
        results["pg_hot_merchant_per_s"] = pg["hot_merchant_per_s"]
        audits["pg"] = pg.pop("audit")
        results["pg_detail"] = pg

    if not args.no_http:
        c.note("HTTP: POST /wallet/transfers against hutong serve (SQLite, one worker)")
        http = asyncio.run(http_run(args.http_seconds, args.concurrency))
        results["http_transfers_per_s"] = http["per_s"]
        results["http_detail"] = http["detail"]
        audits["http_sqlite"] = http["audit"]

    results["audit"] = audits
    results["audit_passed"] = all(a["ok"] for a in audits.values())
    results["goals"] = {
        "sqlite_transfers_per_s": 5_000,
        "pg_transfers_per_s": 3_000,
        "pg_hot_merchant_per_s": 1_000,
    }
    load["after"] = os.getloadavg()
    c.emit(c.report("ledger", results, loadavg=load))


if __name__ == "__main__":
    main()
