"""Contact-book matching against a million registered phones, and decoding a photographed QR.

    python bench/contacts.py [--users 1000000] [--upload 10000] [--runs 5] [--no-pg]

1. A generated world of `--users` accounts, each with a distinct phone number, is written
   straight into the tables (SQLite: one `executemany` transaction; PostgreSQL: `COPY`), with
   the contacts match directory filled as the accounts hook would fill it, and 5 % of users
   hiding from phone matching. It is kept and reused by later runs: SQLite in
   `var/bench/contacts-<users>.db`, PostgreSQL in database `hutong_bench_contacts`
   (`HUTONG_BENCH_PG_URL` to change; skipped if PostgreSQL does not answer).
2. `match_10k_of_1m_ms[_pg]`: median wall time of `ContactsService.matching.match()` — the
   service call behind `POST /contacts/match`, including the daily-quota write, the directory
   lookup with privacy and block filtering, friend flags and the profiles of the matches — for
   `--upload` SHA-256 digests, half of them registered numbers, a fresh sample every run.
3. `qr_decode_ms`: median time to decode a 1280×960 JPEG "photo" of a personal QR code (busy
   background, rotation, blur, noise; `decode_photo`, the function behind `POST /contacts/scan`).

Goal: matching ≤ 1,000 ms on each database. Prints one JSON object; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c

sys.path.insert(0, str(c.ROOT))
sys.path.insert(0, str(c.ROOT / "src"))

PG_URL = os.environ.get(
    "HUTONG_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/hutong_bench_contacts"
)
USER_COLUMNS = (
    "id",
    "handle",
    "display_name",
    "bio",
    "region",
    "phone",
    "role",
    "verified",
    "verified_reason",
    "password_hash",
    "created_at",
    "updated_at",
)
HIDDEN_EVERY = 20  # 5 % of users do not allow being found by phone


def world(n: int) -> list[str]:
    """`n` distinct mainland mobile numbers, the same ones on every run."""
    rng = random.Random(20261126)
    return [f"+8613{x:09d}" for x in rng.sample(range(10**9), n)]


def upload(phones: list[str], size: int, seed: int) -> list[str]:
    """`size` digests: half registered numbers, half numbers nobody has."""
    rng = random.Random(seed)
    registered = rng.sample(phones, size // 2)
    taken = set(phones)
    strangers: list[str] = []
    while len(strangers) < size - len(registered):
        candidate = f"+8615{rng.randrange(10**9):09d}"
        if candidate not in taken:
            strangers.append(candidate)
    entries = registered + strangers
    rng.shuffle(entries)
    return [hashlib.sha256(p.encode()).hexdigest() for p in entries]


def _migrate(url: str, data_dir: Path) -> None:
    from hutong.cli import migrate
    from hutong.settings import Settings

    migrate(Settings(database_url=url, data_dir=data_dir))


# -- SQLite ---------------------------------------------------------------------------------


def sqlite_world(path: Path, phones: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    _migrate(f"sqlite+aiosqlite:///{path}", path.parent)
    db = sqlite3.connect(path, isolation_level=None)
    try:
        have = db.execute("SELECT count(*) FROM contact_directory WHERE kind = 'phone'").fetchone()
        if have[0] == len(phones):
            c.note(f"reusing {len(phones):,} phones in {path}")
            return
        c.note(f"writing {len(phones):,} users and phones into {path} …")
        started = time.perf_counter()
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=OFF")
        db.execute("BEGIN")
        for table in ("contact_directory", "contact_settings", "users"):
            db.execute(f"DELETE FROM {table}")  # noqa: S608 -- fixed table names
        cols = ", ".join(USER_COLUMNS)
        marks = ", ".join("?" * len(USER_COLUMNS))
        batch = 50_000
        for lo in range(0, len(phones), batch):
            chunk = list(enumerate(phones[lo : lo + batch], lo + 1))
            db.executemany(
                f"INSERT INTO users ({cols}) VALUES ({marks})",  # noqa: S608
                [
                    (i, f"m{i}", f"Member {i}", "", "", p, "user", "", "", "x", now, now)
                    for i, p in chunk
                ],
            )
            db.executemany(
                "INSERT INTO contact_directory (user_id, kind, digest) VALUES (?, 'phone', ?)",
                [(i, hashlib.sha256(p.encode()).digest()) for i, p in chunk],
            )
        db.executemany(
            "INSERT INTO contact_settings (user_id, findable_by_handle, findable_by_phone,"
            " findable_by_email, findable_by_qr, require_approval, qr_version, updated_at)"
            " VALUES (?, 1, 0, 1, 1, 1, 1, ?)",
            [(i, now) for i in range(HIDDEN_EVERY, len(phones) + 1, HIDDEN_EVERY)],
        )
        db.execute("COMMIT")
        db.execute("ANALYZE")
        c.note(f"written in {time.perf_counter() - started:.1f} s")
    finally:
        db.close()


# -- PostgreSQL -----------------------------------------------------------------------------


async def pg_world(url: str, phones: list[str], data_dir: Path) -> None:
    import asyncpg

    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    base, name = dsn.rsplit("/", 1)
    admin = await asyncpg.connect(base + "/postgres")
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    await asyncio.to_thread(_migrate, url, data_dir)
    conn = await asyncpg.connect(dsn)
    try:
        have = await conn.fetchval("SELECT count(*) FROM contact_directory WHERE kind = 'phone'")
        if have == len(phones):
            c.note(f"reusing {len(phones):,} phones in PostgreSQL database {name}")
            return
        c.note(f"copying {len(phones):,} users and phones into PostgreSQL {name} …")
        started = time.perf_counter()
        now = dt.datetime.now(dt.UTC)
        async with conn.transaction():
            await conn.execute("TRUNCATE users, contact_directory, contact_settings CASCADE")
            await conn.copy_records_to_table(
                "users",
                columns=list(USER_COLUMNS),
                records=(
                    (i, f"m{i}", f"Member {i}", "", "", p, "user", "", "", "x", now, now)
                    for i, p in enumerate(phones, 1)
                ),
            )
            await conn.copy_records_to_table(
                "contact_directory",
                columns=["user_id", "kind", "digest"],
                records=(
                    (i, "phone", hashlib.sha256(p.encode()).digest())
                    for i, p in enumerate(phones, 1)
                ),
            )
            await conn.copy_records_to_table(
                "contact_settings",
                columns=[
                    "user_id",
                    "findable_by_handle",
                    "findable_by_phone",
                    "findable_by_email",
                    "findable_by_qr",
                    "require_approval",
                    "qr_version",
                    "updated_at",
                ],
                records=(
                    (i, True, False, True, True, True, 1, now)
                    for i in range(HIDDEN_EVERY, len(phones) + 1, HIDDEN_EVERY)
                ),
            )
            await conn.execute(
                "SELECT setval(pg_get_serial_sequence('users', 'id'), $1)", len(phones)
            )
        await conn.execute("ANALYZE users")
        await conn.execute("ANALYZE contact_directory")
        await conn.execute("ANALYZE contact_settings")
        c.note(f"copied in {time.perf_counter() - started:.1f} s")
    finally:
        await conn.close()


# -- measuring ------------------------------------------------------------------------------


async def time_matching(
    url: str, phones: list[str], size: int, runs: int, data_dir: Path
) -> dict[str, Any]:
    from hutong.app import build_container
    from hutong.settings import Settings

    settings = Settings(
        database_url=url,
        data_dir=data_dir,
        secret_key="bench",  # noqa: S106 -- a throwaway key for a local run
        log_level="WARNING",
        contacts_match_daily_numbers=10**9,
        contacts_match_daily_uploads=10**6,
    )
    container = build_container(settings)
    viewer = 1
    try:
        # One untimed call warms the connection pool and the statement caches.
        await container.contacts.matching.match(viewer, upload(phones, 100, 0), None)
        times: list[float] = []
        found: list[int] = []
        for run in range(runs):
            entries = upload(phones, size, run + 1)
            started = time.perf_counter()
            out = await container.contacts.matching.match(viewer, entries, None)
            times.append((time.perf_counter() - started) * 1000)
            found.append(len(out.matches))
    finally:
        await container.stop()
    return {
        "median_ms": round(statistics.median(times), 1),
        "runs_ms": [round(t, 1) for t in times],
        "matches_per_run": found,
    }


def time_qr_decode(runs: int) -> dict[str, Any]:
    from hutong.contacts.qr import decode_photo
    from hutong.core.qrcodes import qr_png
    from hutong.core.signing import Signer
    from tests.contacts.photos import photo_of

    url = "https://hutong.example/qr/" + Signer("bench").sign("u", "123456:1")
    png = qr_png(url)
    shots = [
        photo_of(png, size=(1280, 960), angle=a, blur=b, noise=n, seed=i, code_fraction=f)
        for i, (a, b, n, f) in enumerate(
            [(17, 1.2, 10, 0.45), (-30, 1.5, 14, 0.35), (5, 0.8, 8, 0.25), (60, 2.0, 12, 0.4)]
        )
    ]
    times: list[float] = []
    decoded = 0
    for i in range(runs):
        data = shots[i % len(shots)]
        started = time.perf_counter()
        texts = decode_photo(data, 8 * 1024 * 1024)
        times.append((time.perf_counter() - started) * 1000)
        decoded += texts == [url]
    return {
        "median_ms": round(statistics.median(times), 1),
        "decoded": f"{decoded}/{runs}",
        "image": "1280x960 JPEG",
    }


async def pg_available(url: str) -> bool:
    import asyncpg

    dsn = url.replace("postgresql+asyncpg://", "postgresql://").rsplit("/", 1)[0] + "/postgres"
    try:
        conn = await asyncio.wait_for(asyncpg.connect(dsn), 5)
    except Exception as exc:
        c.note(f"PostgreSQL not available ({exc}); skipping the _pg figure")
        return False
    await conn.close()
    return True


async def main(args: argparse.Namespace) -> dict[str, Any]:
    phones = world(args.users)
    label = f"{args.upload // 1000}k_of_{args.users // 1_000_000 or args.users}" + (
        "m" if args.users >= 1_000_000 else ""
    )
    results: dict[str, Any] = {}
    details: dict[str, Any] = {"users": args.users, "upload": args.upload, "runs": args.runs}
    with tempfile.TemporaryDirectory(prefix="hutong-bench-contacts-") as tmp:
        data_dir = Path(tmp)
        path = c.ROOT / "var" / "bench" / f"contacts-{args.users}.db"
        await asyncio.to_thread(sqlite_world, path, phones)
        c.note("matching on SQLite …")
        lite = await time_matching(
            f"sqlite+aiosqlite:///{path}", phones, args.upload, args.runs, data_dir
        )
        results[f"match_{label}_ms"] = lite["median_ms"]
        details["sqlite"] = lite
        if not args.no_pg and await pg_available(PG_URL):
            await pg_world(PG_URL, phones, data_dir)
            c.note("matching on PostgreSQL …")
            pg = await time_matching(PG_URL, phones, args.upload, args.runs, data_dir)
            results[f"match_{label}_ms_pg"] = pg["median_ms"]
            details["postgresql"] = pg
        else:
            results[f"match_{label}_ms_pg"] = None
    c.note("decoding photographed QR codes …")
    qr = await asyncio.to_thread(time_qr_decode, args.qr_runs)
    results["qr_decode_ms"] = qr["median_ms"]
    details["qr_decode"] = qr
    details["goal_ms"] = 1000
    return c.report("contacts", results, details=details, commit=c.git_commit()["commit"])


if __name__ == "__main__":
    c.ensure_venv()
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--upload", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--qr-runs", type=int, default=21)
    parser.add_argument("--no-pg", action="store_true")
    c.emit(asyncio.run(main(parser.parse_args())))
