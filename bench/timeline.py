"""The microblog home timeline at Weibo scale: a celebrity posting to a million followers, an
ordinary account's fan-out, and home pages of people following two thousand accounts.

    python bench/timeline.py [--pg] [--users 1000000] [--posts 1000000] [--regen]

1. A world is generated straight into the tables (set-based SQL for the users, numpy-made
   follow edges and posts bulk-loaded: SQLite `executemany` in one transaction, PostgreSQL
   `COPY`), then every active user's stored timeline is filled with one INSERT … SELECT, as
   the fan-out worker would have done:
   * `--users` accounts; about 3,000,000 follow edges: one celebrity followed by everyone, 20
     big accounts with 10,000–200,000 followers each (log-spaced), 50 "heavy readers" each
     following 2,000 accounts (the celebrity, the 20, and 1,979 ordinary ones), one ordinary
     poster with exactly 1,000 followers, and the rest power-law (Zipf-like followee choice,
     capped below the celebrity threshold);
   * `--posts` posts, power-law over authors (the celebrity 5,000, each big account 1,000),
     spread over the last 30 days, 90 % public / 6 % followers / 3 % friends / 1 % only-me;
   * 30 % of users active in the last week (the rest are not pushed to).
   It is kept and reused: SQLite in `var/bench/timeline-<users>-<posts>.db`, PostgreSQL in
   database `hutong_bench_timeline` (`HUTONG_BENCH_PG_URL`), with Redis db 12 for pub/sub.
   Posts of the world are not in the search index (search is not measured here).
2. Measured at service level in this process (the code behind the HTTP routes, no HTTP):
   * `celebrity_post_ms`: median of 30 `posts.create` by the celebrity (1,000,000 followers);
   * `ordinary_fanout_s`: median of 5 runs, from calling `posts.create` for the account with
     1,000 followers until its post is in every active follower's stored timeline (the fan-out
     worker runs as in the server: woken after commit);
   * `home_first_page_p99_ms` / `home_next_page_p99_ms`: p99 over 400 reads each of the first
     page (20 posts) and the page after it, by the 50 heavy readers in turn.

Goals on the 2-core machine: celebrity_post_ms ≤ 50, ordinary_fanout_s ≤ 1,
home_first_page_p99_ms ≤ 30. Prints one JSON object; progress goes to stderr. The machine's
load average is reported next to the figures (it is shared).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c

sys.path.insert(0, str(c.ROOT / "src"))

import numpy as np
from tqdm import tqdm

PG_URL = os.environ.get(
    "HUTONG_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/hutong_bench_timeline"
)
REDIS_URL = os.environ.get("HUTONG_BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
SEED = 20261126
CELEB = 1
BIG = list(range(2, 22))
READERS = list(range(22, 72))
POSTER = 72
READER_FOLLOWS = 2000
POSTER_FOLLOWERS = 1000
EDGES_PER_USER = 3
ACTIVE_SHARE = 0.3
THRESHOLD = 10_000
TIMELINE_MAX = 800
VERSION = 1  # bump when the world's shape changes


# -- the world, in memory -------------------------------------------------------------------


class World:
    """Users, edges and posts as numpy arrays (deterministic for a given size)."""

    def __init__(self, users: int, posts: int) -> None:
        self.n = users
        self.p = posts
        rng = np.random.default_rng(SEED)
        self.now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        self.edges = self._edges(rng)
        self.followers = np.bincount(self.edges[:, 1], minlength=users + 1)
        self.following = np.bincount(self.edges[:, 0], minlength=users + 1)
        active = rng.random(users + 1) < ACTIVE_SHARE
        active[READERS] = True
        self.active = active
        self.authors, self.visibility = self._posts(rng)
        self.celebrities = [u for u in [CELEB, *BIG] if self.followers[u] >= THRESHOLD]

    def _ordinary(self) -> np.ndarray:
        return np.arange(POSTER + 1, self.n + 1)

    def _edges(self, rng: np.random.Generator) -> np.ndarray:
        n = self.n
        parts = []
        everyone = np.arange(1, n + 1)
        parts.append(np.column_stack([everyone[everyone != CELEB], np.full(n - 1, CELEB)]))
        counts = np.geomspace(200_000, 10_000, len(BIG)).astype(np.int64)
        for big, count in zip(BIG, counts, strict=True):
            fans = rng.choice(n, size=min(int(count), n - 1), replace=False) + 1
            fans = fans[fans != big]
            parts.append(np.column_stack([fans, np.full(len(fans), big)]))
        ordinary = self._ordinary()
        # Popularity of ordinary accounts: Zipf-like weights over a random ranking.
        weights = 1.0 / np.arange(1, len(ordinary) + 1) ** 0.75
        weights /= weights.sum()
        ranked = rng.permutation(ordinary)
        for reader in READERS:
            picks = rng.choice(ranked, size=READER_FOLLOWS * 2, replace=False, p=weights)
            picks = picks[picks != reader][: READER_FOLLOWS - 1 - len(BIG)]
            followees = np.concatenate([[CELEB], BIG, picks])
            parts.append(np.column_stack([np.full(len(followees), reader), followees]))
        fans = rng.choice(ordinary, size=POSTER_FOLLOWERS, replace=False)
        parts.append(np.column_stack([fans, np.full(POSTER_FOLLOWERS, POSTER)]))
        so_far = sum(len(p) for p in parts)
        rest = max(EDGES_PER_USER * n - so_far, 0)
        followees = rng.choice(ranked, size=rest, p=weights)
        followers = rng.integers(1, n + 1, size=rest)
        # The poster keeps exactly its 1,000 followers.
        keep = followees != POSTER
        parts.append(np.column_stack([followers[keep], followees[keep]]))
        edges = np.concatenate(parts).astype(np.int64)
        edges = edges[edges[:, 0] != edges[:, 1]]
        keys = np.unique(edges[:, 0] * (n + 1) + edges[:, 1])
        edges = np.column_stack([keys // (n + 1), keys % (n + 1)])
        counts = np.bincount(edges[:, 1], minlength=n + 1)
        over = np.where(counts[POSTER + 1 :] > int(THRESHOLD * 0.8))[0] + POSTER + 1
        for followee in over:
            rows = np.where(edges[:, 1] == followee)[0]
            edges = np.delete(edges, rows[int(THRESHOLD * 0.8) :], axis=0)
        return edges

    def _posts(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        fixed = [(CELEB, 5000), *((b, 1000) for b in BIG), (POSTER, 20)]
        fixed += [(r, 10) for r in READERS]
        authors = [np.full(count, uid) for uid, count in fixed]
        rest = self.p - sum(len(a) for a in authors)
        ordinary = self._ordinary()
        weights = 1.0 / np.arange(1, len(ordinary) + 1) ** 0.8
        weights /= weights.sum()
        authors.append(rng.choice(rng.permutation(ordinary), size=rest, p=weights))
        out = rng.permutation(np.concatenate(authors))[: self.p]
        vis = rng.choice(
            np.array(["public", "followers", "friends", "only_me"]),
            size=len(out),
            p=[0.9, 0.06, 0.03, 0.01],
        )
        return out, vis

    def post_time(self, i: int) -> dt.datetime:
        """Post i (0-based) of p, evenly over the 30 days before `now`."""
        return self.now - dt.timedelta(days=30) + dt.timedelta(days=30) * (i / self.p)

    def active_at(self, uid: int) -> dt.datetime:
        if uid in READERS:
            return self.now - dt.timedelta(minutes=10)
        if self.active[uid]:
            return self.now - dt.timedelta(days=1)
        return self.now - dt.timedelta(days=30)

    def meta(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "users": self.n,
            "posts": self.p,
            "edges": len(self.edges),
            "generated_at": self.now.isoformat(),
        }


def chunks(total: int, size: int) -> Iterator[tuple[int, int]]:
    for lo in range(0, total, size):
        yield lo, min(lo + size, total)


# -- SQLite -------------------------------------------------------------------------------------


def sqlite_ts(value: dt.datetime) -> str:
    """SQLAlchemy's SQLite storage format for UtcDateTime (naive UTC, microseconds)."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _migrate(url: str, data_dir: Path) -> None:
    from hutong.cli import migrate
    from hutong.settings import Settings

    migrate(Settings(database_url=url, data_dir=data_dir))


FILL_TIMELINES = """
INSERT INTO mb_timeline (owner_id, post_id, author_id)
SELECT owner_id, post_id, author_id FROM (
  SELECT owner_id, post_id, author_id,
         ROW_NUMBER() OVER (PARTITION BY owner_id ORDER BY post_id DESC) AS rn
  FROM (
    SELECT f.follower_id AS owner_id, p.id AS post_id, p.author_id AS author_id
    FROM mb_follows f
    JOIN mb_accounts a ON a.user_id = f.follower_id AND a.active_at >= {cutoff}
    JOIN mb_posts p ON p.author_id = f.followee_id
    WHERE f.followee_id NOT IN (SELECT user_id FROM mb_celebrities)
      AND p.visibility <> 'only_me'
    UNION ALL
    SELECT p.author_id, p.id, p.author_id
    FROM mb_posts p JOIN mb_accounts a ON a.user_id = p.author_id AND a.active_at >= {cutoff}
  ) AS pushed
) AS ranked
WHERE rn <= {keep}
"""
SET_FLOORS = """
UPDATE mb_accounts SET timeline_floor = (
  SELECT MIN(t.post_id) - 1 FROM mb_timeline t WHERE t.owner_id = mb_accounts.user_id
)
WHERE user_id IN (SELECT owner_id FROM mb_timeline GROUP BY owner_id HAVING COUNT(*) >= {keep})
"""


def sqlite_world(path: Path, make: Callable[[], World]) -> dict[str, Any]:
    meta_path = path.with_suffix(".json")
    if path.exists() and meta_path.exists():
        meta: dict[str, Any] = json.loads(meta_path.read_text())
        if meta.get("version") == VERSION and meta.get("complete"):
            c.note(f"reusing the world in {path}")
            return meta
    world = make()
    for p in (path, path.with_suffix(".db-wal"), path.with_suffix(".db-shm"), meta_path):
        p.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    _migrate(f"sqlite+aiosqlite:///{path}", path.parent)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-400000")
    started = time.perf_counter()
    now = sqlite_ts(world.now)
    bar = tqdm(total=7, desc="world (SQLite)", unit="step", file=sys.stderr)
    db.execute("BEGIN")
    db.execute(
        f"""
        WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < {world.n})
        INSERT INTO users (id, handle, display_name, bio, region, role, verified,
                           verified_reason, password_hash, created_at, updated_at)
        SELECT i, printf('tl%07d', i), printf('用户%d', i), '', '', 'user',
               CASE WHEN i <= 21 THEN 'personal' ELSE '' END, '', '!', '{now}', '{now}'
        FROM seq
        """  # noqa: S608 -- numbers and a timestamp we made
    )
    bar.update()
    db.executemany(
        "INSERT INTO mb_accounts (user_id, followers_count, following_count, posts_count,"
        " active_at, timeline_floor) VALUES (?, ?, ?, ?, ?, 0)",
        (
            (
                uid,
                int(world.followers[uid]),
                int(world.following[uid]),
                0,
                sqlite_ts(world.active_at(uid)),
            )
            for uid in range(1, world.n + 1)
        ),
    )
    bar.update()
    follow_ts = sqlite_ts(world.now - dt.timedelta(days=60))
    for lo, hi in chunks(len(world.edges), 200_000):
        db.executemany(
            "INSERT INTO mb_follows (follower_id, followee_id, created_at) VALUES (?, ?, ?)",
            ((int(a), int(b), follow_ts) for a, b in world.edges[lo:hi]),
        )
    bar.update()
    db.executemany(
        "INSERT INTO mb_celebrities (user_id, since) VALUES (?, ?)",
        [(uid, now) for uid in world.celebrities],
    )
    empty = json.dumps({"topics": [], "mentions": [], "urls": []})
    for lo, hi in chunks(world.p, 100_000):
        db.executemany(
            "INSERT INTO mb_posts (id, author_id, text, visibility, status, images, entities,"
            " chain, reposts_count, comments_count, likes_count, created_at)"
            " VALUES (?, ?, ?, ?, 'published', '[]', ?, '[]', 0, 0, 0, ?)",
            (
                (
                    i + 1,
                    int(world.authors[i]),
                    f"第{i + 1}条微博 bench post {i + 1}",
                    str(world.visibility[i]),
                    empty,
                    sqlite_ts(world.post_time(i)),
                )
                for i in range(lo, hi)
            ),
        )
    db.execute(
        "UPDATE mb_accounts SET posts_count = (SELECT COUNT(*) FROM mb_posts p"
        " WHERE p.author_id = mb_accounts.user_id) WHERE user_id IN"
        " (SELECT DISTINCT author_id FROM mb_posts)"
    )
    bar.update()
    cutoff = f"'{sqlite_ts(world.now - dt.timedelta(days=7))}'"
    db.execute(FILL_TIMELINES.format(cutoff=cutoff, keep=TIMELINE_MAX))
    bar.update()
    db.execute(SET_FLOORS.format(keep=TIMELINE_MAX))
    bar.update()
    db.execute("COMMIT")
    db.execute("ANALYZE")
    bar.update()
    bar.close()
    entries = db.execute("SELECT COUNT(*) FROM mb_timeline").fetchone()[0]
    db.close()
    meta = {
        **world.meta(),
        "timeline_entries": entries,
        "build_s": round(time.perf_counter() - started, 1),
        "complete": True,
    }
    meta_path.write_text(json.dumps(meta))
    return meta


# -- PostgreSQL ---------------------------------------------------------------------------------


async def pg_world(make: Callable[[], World], users: int, regen: bool) -> dict[str, Any]:
    import asyncpg

    raw = PG_URL.replace("postgresql+asyncpg", "postgresql")
    base, name = raw.rsplit("/", 1)
    admin = await asyncpg.connect(f"{base}/postgres")
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if exists and not regen:
            conn = await asyncpg.connect(raw)
            try:
                have = await conn.fetchval(
                    "SELECT to_regclass('bench_meta') IS NOT NULL"
                ) and await conn.fetchval("SELECT meta FROM bench_meta")
            finally:
                await conn.close()
            if have:
                meta: dict[str, Any] = json.loads(have)
                if meta.get("version") == VERSION and meta.get("users") == users:
                    c.note(f"reusing the world in database {name}")
                    return meta
        if exists:
            await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    world = await asyncio.to_thread(make)
    await asyncio.to_thread(_migrate, PG_URL, Path(tempfile.mkdtemp()))
    conn = await asyncpg.connect(raw)
    started = time.perf_counter()
    bar = tqdm(total=7, desc="world (PostgreSQL)", unit="step", file=sys.stderr)
    try:
        await conn.execute(
            """
            INSERT INTO users (id, handle, display_name, bio, region, role, verified,
                               verified_reason, password_hash, created_at, updated_at)
            SELECT i, 'tl' || lpad(i::text, 7, '0'), '用户' || i, '', '', 'user',
                   CASE WHEN i <= 21 THEN 'personal' ELSE '' END, '', '!', $2, $2
            FROM generate_series(1, $1) AS i
            """,
            world.n,
            world.now,
        )
        await conn.execute("SELECT setval('users_id_seq', $1)", world.n)
        bar.update()
        await conn.copy_records_to_table(
            "mb_accounts",
            columns=[
                "user_id",
                "followers_count",
                "following_count",
                "posts_count",
                "active_at",
                "timeline_floor",
            ],
            records=(
                (
                    uid,
                    int(world.followers[uid]),
                    int(world.following[uid]),
                    0,
                    world.active_at(uid),
                    0,
                )
                for uid in range(1, world.n + 1)
            ),
        )
        bar.update()
        follow_ts = world.now - dt.timedelta(days=60)
        await conn.copy_records_to_table(
            "mb_follows",
            columns=["follower_id", "followee_id", "created_at"],
            records=((int(a), int(b), follow_ts) for a, b in world.edges),
        )
        bar.update()
        await conn.executemany(
            "INSERT INTO mb_celebrities (user_id, since) VALUES ($1, $2)",
            [(uid, world.now) for uid in world.celebrities],
        )
        empty = json.dumps({"topics": [], "mentions": [], "urls": []})
        await conn.copy_records_to_table(
            "mb_posts",
            columns=[
                "id",
                "author_id",
                "text",
                "visibility",
                "status",
                "images",
                "entities",
                "chain",
                "reposts_count",
                "comments_count",
                "likes_count",
                "created_at",
            ],
            records=(
                (
                    i + 1,
                    int(world.authors[i]),
                    f"第{i + 1}条微博 bench post {i + 1}",
                    str(world.visibility[i]),
                    "published",
                    "[]",
                    empty,
                    "[]",
                    0,
                    0,
                    0,
                    world.post_time(i),
                )
                for i in range(world.p)
            ),
        )
        await conn.execute("SELECT setval('mb_posts_id_seq', $1)", world.p)
        await conn.execute(
            "UPDATE mb_accounts a SET posts_count = p.n FROM"
            " (SELECT author_id, COUNT(*) AS n FROM mb_posts GROUP BY author_id) p"
            " WHERE a.user_id = p.author_id"
        )
        bar.update()
        await conn.execute("ANALYZE")
        cutoff = f"'{(world.now - dt.timedelta(days=7)).isoformat()}'::timestamptz"
        await conn.execute(FILL_TIMELINES.format(cutoff=cutoff, keep=TIMELINE_MAX))
        bar.update()
        await conn.execute(SET_FLOORS.format(keep=TIMELINE_MAX))
        bar.update()
        await conn.execute("ANALYZE")
        entries = await conn.fetchval("SELECT COUNT(*) FROM mb_timeline")
        meta = {
            **world.meta(),
            "timeline_entries": entries,
            "build_s": round(time.perf_counter() - started, 1),
            "complete": True,
        }
        await conn.execute("CREATE TABLE bench_meta (meta text)")
        await conn.execute("INSERT INTO bench_meta VALUES ($1)", json.dumps(meta))
        bar.update()
    finally:
        bar.close()
        await conn.close()
    return meta


# -- measuring ----------------------------------------------------------------------------------


class WorldClock:
    """The world's `generated_at`, advancing in real time from when the bench started."""

    def __init__(self, start: dt.datetime) -> None:
        self.start = start
        self.t0 = time.monotonic()

    def now(self) -> dt.datetime:
        return self.start + dt.timedelta(seconds=time.monotonic() - self.t0)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def measure(
    url: str, redis_url: str | None, meta: dict[str, Any], reads: int
) -> dict[str, Any]:
    from sqlalchemy import func, select

    from hutong.app import build_container
    from hutong.microblog.models import Account, Follow, TimelineEntry
    from hutong.microblog.schemas import PostIn
    from hutong.settings import Settings

    generous = dict.fromkeys(Settings().action_limits, "1000000/60")
    settings = Settings(
        data_dir=Path(tempfile.mkdtemp(prefix="hutong-bench-tl-")),
        database_url=url,
        redis_url=redis_url,
        redis_prefix="hutong-bench-tl:",
        secret_key="bench",  # noqa: S106
        password_profile="test",  # noqa: S106
        log_level="WARNING",
        access_log=False,
        action_limits=generous,
        action_limits_new=generous,
        microblog_hot_refresh_s=3600,
    )
    clock = WorldClock(dt.datetime.fromisoformat(meta["generated_at"]) + dt.timedelta(seconds=1))
    container = build_container(settings, clock=clock)
    await container.start()
    svc = container.microblog
    try:
        # Warm-up: connections, statement caches, the profile lookups.
        for reader in READERS[:5]:
            await svc.timeline.home(reader, None, 20)
        await svc.posts.create(CELEB, PostIn(text="热身 warm-up"))

        celeb = []
        for i in range(30):
            t = time.perf_counter()
            await svc.posts.create(CELEB, PostIn(text=f"明星第{i}条 #热搜# 大家好"))
            celeb.append((time.perf_counter() - t) * 1000)
        c.note(f"celebrity posts: median {statistics.median(celeb):.1f} ms")

        since = clock.now() - dt.timedelta(seconds=settings.microblog_inactive_after_s)
        async with container.db.read() as s:
            expected = int(
                await s.scalar(
                    select(func.count())
                    .select_from(Follow)
                    .join(Account, Account.user_id == Follow.follower_id)
                    .where(Follow.followee_id == POSTER, Account.active_at >= since)
                )
                or 0
            )
        fanout = []
        for i in range(5):
            t = time.perf_counter()
            out = await svc.posts.create(POSTER, PostIn(text=f"普通人第{i}条"))
            while True:
                async with container.db.read() as s:
                    have = await s.scalar(
                        select(func.count()).where(TimelineEntry.post_id == out.id)
                    )
                # + 1: the author's own timeline entry.
                if (have or 0) >= expected + 1:
                    break
                await asyncio.sleep(0.002)
            fanout.append(time.perf_counter() - t)
        c.note(f"fan-out to {expected} active followers: median {statistics.median(fanout):.3f} s")

        first, nxt = [], []
        for i in tqdm(range(reads), desc="home pages", file=sys.stderr):
            reader = READERS[i % len(READERS)]
            t = time.perf_counter()
            page = await svc.timeline.home(reader, None, 20)
            first.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            await svc.timeline.home(reader, page.next_cursor, 20)
            nxt.append((time.perf_counter() - t) * 1000)
            assert len(page.items) == 20, len(page.items)
        return {
            "celebrity_post_ms": round(statistics.median(celeb), 2),
            "celebrity_post_p99_ms": round(pct(celeb, 99), 2),
            "ordinary_fanout_s": round(statistics.median(fanout), 4),
            "ordinary_fanout_max_s": round(max(fanout), 4),
            "ordinary_fanout_followers": expected,
            "home_first_page_p50_ms": round(statistics.median(first), 2),
            "home_first_page_p99_ms": round(pct(first, 99), 2),
            "home_next_page_p50_ms": round(statistics.median(nxt), 2),
            "home_next_page_p99_ms": round(pct(nxt, 99), 2),
        }
    finally:
        await container.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg", action="store_true", help="PostgreSQL + Redis instead of SQLite")
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--reads", type=int, default=400, help="home pages read (each)")
    parser.add_argument("--regen", action="store_true", help="rebuild the world")
    args = parser.parse_args()
    load_before = os.getloadavg()

    def make() -> World:
        c.note(f"generating {args.users:,} users, ~3M follows, {args.posts:,} posts …")
        return World(args.users, args.posts)

    if args.pg:
        meta = await pg_world(make, args.users, args.regen)
        url, redis_url = PG_URL, REDIS_URL
    else:
        path = c.ROOT / "var" / "bench" / f"timeline-{args.users}-{args.posts}.db"
        if args.regen:
            path.unlink(missing_ok=True)
        meta = await asyncio.to_thread(sqlite_world, path, make)
        url, redis_url = f"sqlite+aiosqlite:///{path}", None
    results = await measure(url, redis_url, meta, args.reads)
    c.emit(
        c.report(
            "timeline",
            results,
            database="postgresql+redis" if args.pg else "sqlite",
            world={k: v for k, v in meta.items() if k != "complete"},
            goals={
                "celebrity_post_ms": 50,
                "ordinary_fanout_s": 1,
                "home_first_page_p99_ms": 30,
            },
            load_average={"before": load_before, "after": os.getloadavg()},
            commit=c.git_commit()["commit"],
        )
    )


if __name__ == "__main__":
    c.ensure_venv()
    asyncio.run(main())
