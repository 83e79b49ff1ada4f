"""Red envelopes under a rush: a full 500-member group racing for 100-share envelopes.

    python bench/redpackets.py [--pg [URL]] [--envelopes 8] [--sends 200] [--concurrency 32]

Service level (the `RedPackets` service, with the chat, wallet and ledger it uses, on a
database of its own): one group of 500 members; the owner sends `--envelopes` lucky envelopes
of 200 yuan in 100 shares, one after another, and for each all 500 members try to open it,
`--concurrency` at a time (asyncio tasks). Each attempt is one `open` — a success (claim a
share, one ledger op pays it) or a refusal ("all taken", told by the claim batch that saw the
last share go, or remembered).

* `sqlite_grabs_per_s` / `pg_grabs_per_s` — successful-or-refused opens per second (goal
  ≥ 2,000 on each);
* `pg_sends_per_s` (and `sqlite_sends_per_s`) — `--sends` envelopes of 10 shares sent by 32
  group members at once (PIN check with the cheap test argon2 profile, as every benchmark here
  uses; the shares cut and stored, the ledger op, the chat message to 500 members).

PostgreSQL runs on its own database (`hutong_bench_redpackets`, dropped and created). Every run
ends with the ledger audit and the envelope audit; the JSON says whether they passed.
Prints {"bench": "redpackets", "results": {...}, "machine": ..., "commit": ...}.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c

c.ensure_venv()
sys.path.insert(0, str(c.ROOT / "src"))

from ledger import fresh_pg, fresh_sqlite, fund  # noqa: E402

from hutong.app import Container, build_container  # noqa: E402
from hutong.core.errors import HutongError  # noqa: E402
from hutong.redpackets.schemas import SendIn  # noqa: E402
from hutong.settings import Settings  # noqa: E402
from hutong.wallet import audit  # noqa: E402

PG_DEFAULT = "postgresql+asyncpg://postgres@127.0.0.1:5432/hutong_bench_redpackets"
PIN = "258036"
PASSWORD = "bench password 1"  # noqa: S105 -- throwaway accounts in a throwaway database
MEMBERS = 500


async def _setup(box: Container, data_dir: Path) -> tuple[int, list[int], int]:
    ids = []
    for i in range(MEMBERS):
        new = await box.accounts.register(
            f"rp{i}_{os.getpid() % 10000}", PASSWORD, None, device_name="bench", ip=""
        )
        ids.append(new.me.id)
    owner, others = ids[0], ids[1:]
    async with box.db.write() as uow:
        for m in others:
            await box.contacts.make_friends(uow, owner, m)
    senders = ids[:32]
    for uid in senders:
        await fund(box.wallet, uid, PIN, PASSWORD, 10_000_000)
    for uid in ids:  # wallets exist, as they would for members who ever used one
        await box.wallet.wallet_account(uid)
    chat = await box.groups.create(owner, "红包群", others)
    return owner, ids, chat.id


async def run(url: str, data_dir: Path, envelopes: int, sends: int, conc: int) -> dict[str, Any]:
    settings = Settings(
        database_url=url,
        data_dir=data_dir,
        password_profile="test",  # noqa: S106 -- the cheap argon2 profile
        log_level="WARNING",
        secret_key="bench-secret",  # noqa: S106 -- a throwaway database
        wallet_sweep_interval_s=3600.0,
        redpacket_sweep_interval_s=3600.0,
        action_limits=dict.fromkeys(("message", "friend_request"), "1000000/60"),
    )
    box = build_container(settings)
    await box.start()
    try:
        owner, ids, chat = await _setup(box, data_dir)
        rp = box.redpackets
        attempts = won = 0
        elapsed = 0.0
        sem = asyncio.Semaphore(conc)

        async def grab(uid: int, eid: int) -> bool:
            async with sem:
                try:
                    await rp.open(uid, eid)
                except HutongError:
                    return False
                return True

        for _ in range(envelopes):
            body = SendIn(kind="lucky", amount=20_000, shares=100, pin=PIN)
            env = await rp.send(owner, chat, body, str(uuid.uuid4()))
            t0 = time.perf_counter()
            results = await asyncio.gather(*(grab(uid, env.id) for uid in ids))
            elapsed += time.perf_counter() - t0
            attempts += len(results)
            won += sum(results)
        assert won == 100 * envelopes, won

        async def send_one(i: int) -> None:
            body = SendIn(kind="lucky", amount=1000, shares=10, pin=PIN)
            await rp.send(ids[i % 32], chat, body, str(uuid.uuid4()))

        t0 = time.perf_counter()
        sem_send = asyncio.Semaphore(32)

        async def limited(i: int) -> None:
            async with sem_send:
                await send_one(i)

        await asyncio.gather(*(limited(i) for i in range(sends)))
        send_s = time.perf_counter() - t0
        await box.wallet.outbox.drain()
        ledger_report = await audit(box.db)
        envelope_report = await rp.audit()
        return {
            "grabs_per_s": round(attempts / elapsed, 1),
            "sends_per_s": round(sends / send_s, 1),
            "attempts": attempts,
            "opened": won,
            "envelopes": envelopes,
            "sends": sends,
            "audit": {
                "ok": ledger_report.ok and envelope_report.ok,
                "ledger_ok": ledger_report.ok,
                "transactions": ledger_report.transactions,
                "envelopes_ok": envelope_report.ok,
                "envelopes": envelope_report.envelopes,
                "violations": (ledger_report.violations + envelope_report.violations)[:3],
            },
        }
    finally:
        await box.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--pg", nargs="?", const=PG_DEFAULT, default=None, metavar="URL")
    ap.add_argument("--envelopes", type=int, default=8)
    ap.add_argument("--sends", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=32)
    args = ap.parse_args()
    load = {"before": os.getloadavg()}
    results: dict[str, Any] = {}
    audits: dict[str, Any] = {}

    c.note("SQLite: 500 members racing for 100-share envelopes")
    url, tmp = fresh_sqlite()
    sqlite = asyncio.run(run(url, tmp, args.envelopes, args.sends, args.concurrency))
    results["sqlite_grabs_per_s"] = sqlite["grabs_per_s"]
    results["sqlite_sends_per_s"] = sqlite["sends_per_s"]
    audits["sqlite"] = sqlite.pop("audit")
    results["sqlite_detail"] = sqlite
    subprocess.run(["rm", "-rf", str(tmp)], check=False)

    if args.pg:
        c.note(f"PostgreSQL: the same on {args.pg.rsplit('/', 1)[-1]}")
        _, tmp = fresh_sqlite()  # only for its data directory
        pg = asyncio.run(run(fresh_pg(args.pg), tmp, args.envelopes, args.sends, args.concurrency))
        results["pg_grabs_per_s"] = pg["grabs_per_s"]
        results["pg_sends_per_s"] = pg["sends_per_s"]
        audits["pg"] = pg.pop("audit")
        results["pg_detail"] = pg
        subprocess.run(["rm", "-rf", str(tmp)], check=False)

    results["goals"] = {"sqlite_grabs_per_s": 2_000, "pg_grabs_per_s": 2_000}
    results["audit"] = audits
    results["audit_passed"] = all(a["ok"] for a in audits.values())
    load["after"] = os.getloadavg()
    c.emit(c.report("redpackets", results, loadavg=load))


if __name__ == "__main__":
    main()
