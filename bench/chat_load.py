"""Chat under load: throughput, delivery latency, a 500-member group, idle sockets, resync.

    python bench/chat_load.py [--quick] [--pg] [--worktree] [--no-deflate]

Builds a world in a fresh database before the server starts, through the service layer
(`build_container`: users registered with API sessions, friendships with `make_friends`, one
direct chat per pair of users 2i/2i+1, one group of the first `--group` users), then starts
`hutong serve` (SQLite, one worker, pinned to CPU 0; `--pg`: PostgreSQL + Redis, two workers on
two ports, both pinned to CPU 0) and drives it from this process (asyncio + uvloop, pinned to
CPU 1) with the `websockets` client and keep-alive HTTP/1.1 connections. Phases, in order:

  idle_conn_kib      server VmRSS growth per socket while `--users` idle sockets connect
                     (after a warm-up of a few sockets), summed over the workers
  direct_msgs_per_s  `--senders` users each send to their direct chat as fast as answered
                     (closed loop), all users connected; a message counts once its 201 came
                     back and the peer's socket got it; messages / (last delivery - start)
  p50_ms / p99_ms    open loop at `--rate` msgs/s spread over the senders: ms from the
                     scheduled send time until the peer's socket has the message
  group500_p99_ms    the group owner sends 20 messages (after one warm-up) one after another;
                     ms from the send until the last of the group's members has it (p99 of 20
                     samples, nearest rank, is the largest)
  resync_1000_s      every socket closes (its last seq kept); `--resync-msgs` messages are sent
                     over all direct chats meanwhile; every user reconnects at once with
                     `since=<last seq>`; seconds until each has every message of its chat.
                     Each socket checks: log seq +1 each time (gaps), nothing twice
                     (duplicates), no chat message twice, every expected message present.

`--quick`: 100 users, 20 senders, a 50-member group, 1,000 resync messages, 4 s phases (the
goals apply to the full run only). Throttles are lifted (registration, sign-in, every anti-spam
action limit the measured code configures). A phase that stalls is cut short after
`stall_s` (120 s, quick 30 s) and what was abandoned is reported; every send's HTTP status is
counted per phase, and so are sockets the server closed on its own and the server's logged
warnings and exceptions.

The client offers permessage-deflate as the websockets library (and browsers) do;
`--no-deflate` turns it off. Figures are end to end and include this client's own cost: the
client's CPU share is reported per phase (near 100% means the client, not the server, limited
the figure), and server CPU per message, which other load hardly moves. Other processes' CPU
share (`foreign_cpu_pct`, % of one core; with `--pg` it includes PostgreSQL and Redis) and the
load average are reported too: this is a shared two-core machine. Measures the committed HEAD
(exported to a temporary directory) unless `--worktree` or `--src DIR` is given. `--py-spy DIR`
samples the servers during the measured phases (collapsed stacks per phase and pid). Prints one
JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _chat_clients as cc
import _common as c

GOALS = {
    "direct_msgs_per_s": (">=", 1000),
    "p99_ms": ("<=", 100),
    "group500_p99_ms": ("<=", 300),
    "idle_conn_kib": ("<=", 50),
    "resync_1000_s": ("<=", 10),
}
PASSWORD = "bench-password-1"  # noqa: S105 -- throwaway benchmark users
PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"
# Anti-spam limits far above anything the benchmark does, for every action the measured code
# configures (a dict setting given through the environment replaces the whole default).
NO_LIMIT = "100000000/60"


@dataclass
class Size:
    users: int = 1000
    senders: int = 200
    group: int = 500
    rate: float = 500.0
    duration: float = 15.0
    warmup: float = 3.0
    group_rounds: int = 20
    resync_msgs: int = 10_000


QUICK = Size(
    users=100, senders=20, group=50, duration=4.0, warmup=1.0, group_rounds=10, resync_msgs=1000
)


# -- the world, built in the server's database before it starts -----------------------------


async def build_world(n_users: int, group: int) -> dict[str, Any]:
    """Runs in a subprocess that imports the measured Hutong (see `--build-world`)."""
    from hutong.app import build_container
    from hutong.settings import Settings

    container = build_container(Settings())
    await container.start()
    t0 = time.perf_counter()
    try:
        # Few at a time: SQLite writes one at a time anyway, and a service that needs a second
        # pooled connection inside its write transaction must not find the pool exhausted.
        sem = asyncio.Semaphore(4)

        async def register(i: int) -> tuple[int, str]:
            async with sem:
                new = await container.accounts.register(
                    f"cb{i:05d}", PASSWORD, f"Bench {i}", device_name="chat_load", ip="", kind="api"
                )
                return new.me.id, new.token

        users = await asyncio.gather(*(register(i) for i in range(n_users)))
        ids = [u for u, _ in users]
        pairs = [(2 * i, 2 * i + 1) for i in range(n_users // 2)]
        owner_pairs = [(0, j) for j in range(1, group) if j != 1]
        async with container.db.write() as uow:
            for a, b in pairs + owner_pairs:
                await container.contacts.make_friends(uow, ids[a], ids[b])

        async def direct(a: int, b: int) -> list[int]:
            async with sem:
                chat = await container.chats.open_direct(ids[a], ids[b])
                return [chat.id, a, b]

        directs = await asyncio.gather(*(direct(a, b) for a, b in pairs))
        grp = await container.groups.create(
            ids[0], "Bench group", [ids[j] for j in range(1, group)]
        )
    finally:
        await container.stop()
    return {
        "users": [{"id": u, "token": t} for u, t in users],
        "directs": directs,
        "group": {"chat_id": grp.id, "members": list(range(group))},
        "build_s": round(time.perf_counter() - t0, 2),
    }


def hutong_env(src: Path | None, extra: dict[str, str]) -> dict[str, str]:
    """The environment of a Hutong subprocess: no HUTONG_* from the caller, `extra` on top."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUTONG_")}
    if src is not None:
        env["PYTHONPATH"] = str(src / "src")
    env.update(extra)
    return env


def unlimited_actions(src: Path | None) -> dict[str, str]:
    """HUTONG_ACTION_LIMITS(_NEW) that lift every anti-spam limit the measured code knows."""
    code = (
        "import json; from hutong.settings import Settings; s = Settings(); "
        "print(json.dumps(sorted({*s.action_limits, *s.action_limits_new})))"
    )
    out = subprocess.run(
        [str(c.VENV_PY), "-c", code],
        env=hutong_env(src, {}),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    limits = json.dumps(dict.fromkeys(json.loads(out), NO_LIMIT))
    return {"HUTONG_ACTION_LIMITS": limits, "HUTONG_ACTION_LIMITS_NEW": limits}


def prepare(src: Path | None, env: dict[str, str], size: Size, work: Path) -> dict[str, Any]:
    """Migrate the empty database and build the world in it; the world as JSON."""
    full = hutong_env(src, env)
    subprocess.run([str(c.HUTONG), "migrate"], env=full, cwd=work, check=True, capture_output=True)
    out = work / "world.json"
    c.note(
        f"building the world: {size.users} users, {size.users // 2} direct chats, "
        f"a {size.group}-member group"
    )
    subprocess.run(
        [
            str(c.VENV_PY),
            str(Path(__file__).resolve()),
            "--build-world",
            str(out),
            "--users",
            str(size.users),
            "--group",
            str(size.group),
        ],
        env=full,
        cwd=work,
        check=True,
    )
    world: dict[str, Any] = json.loads(out.read_text())
    c.note(f"world built in {world['build_s']} s")
    return world


async def pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


# -- measuring helpers ------------------------------------------------------------------------


class Watch:
    """CPU shares over a phase (servers, this client, everyone else) and the load average."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.hz = os.sysconf("SC_CLK_TCK")
        self.busy0 = c._busy_ticks()
        self.srv0 = sum(c._proc_ticks(p) for p in pids)
        self.me0 = self._me()
        self.t0 = time.monotonic()
        self.started = time.strftime("%H:%M:%S")
        self.load0 = os.getloadavg()[0]

    @staticmethod
    def _me() -> float:
        t = os.times()
        return t.user + t.system

    def stop(self) -> dict[str, Any]:
        wall = time.monotonic() - self.t0
        srv = (sum(c._proc_ticks(p) for p in self.pids) - self.srv0) / self.hz
        me = self._me() - self.me0
        busy = (c._busy_ticks() - self.busy0) / self.hz
        return {
            "started": self.started,
            "wall_s": round(wall, 2),
            "server_cpu_s": round(srv, 2),
            "server_cpu_pct": round(100 * srv / wall, 1),
            "client_cpu_pct": round(100 * me / wall, 1),
            "foreign_cpu_pct": round(max(0.0, 100 * (busy - srv - me) / wall), 1),
            "load_start": round(self.load0, 2),
            "load_end": round(os.getloadavg()[0], 2),
        }


class Bench:
    def __init__(
        self, world: dict[str, Any], ports: list[int], pids: list[int], size: Size, deflate: bool
    ) -> None:
        self.size = size
        self.ports = ports
        self.pids = pids
        self.compression = "deflate" if deflate else None
        self.tracker = cc.Tracker()
        self.users = [
            cc.User(i, u["id"], u["token"], ports[i % len(ports)], self.tracker)
            for i, u in enumerate(world["users"])
        ]
        self.directs: list[tuple[int, int, int]] = [tuple(d) for d in world["directs"]]
        self.chat_of = {a: (chat, b) for chat, a, b in self.directs}
        self.chat_of.update({b: (chat, a) for chat, a, b in self.directs})
        self.group_id: int = world["group"]["chat_id"]
        self.group_members: list[int] = world["group"]["members"]
        self.ids = 0
        self.profile_dir: Path | None = None
        self.quiet_wait_s = 10.0
        # How long a phase may overrun before the rest of its work is abandoned (and reported).
        self.stall_s = 120.0
        self.connect_concurrency = 100
        # HTTP status of every send in the current phase (0: the connection broke).
        self.statuses: dict[int, int] = {}

    @contextlib.asynccontextmanager
    async def profiled(self, phase: str) -> Any:
        """With `--py-spy DIR`: sample every server during the phase (py-spy on the client CPU),
        writing collapsed stacks to DIR/<phase>-<pid>.txt."""
        if self.profile_dir is None:
            yield
            return
        spies = []
        for pid in self.pids:
            out = self.profile_dir / f"{phase}-{pid}.txt"
            cmd = [str(c.VENV_PY.parent / "py-spy"), "record", "--pid", str(pid), "--rate", "250"]
            cmd += ["--format", "raw", "--nonblocking", "-o", str(out)]
            spies.append(
                await asyncio.create_subprocess_exec(
                    *c.pinned(cmd, c.CLIENT_CPU),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        await asyncio.sleep(1.0)
        try:
            yield
        finally:
            for spy in spies:
                spy.send_signal(signal.SIGINT)
            for spy in spies:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(spy.wait(), 30)

    def cid(self, tag: str) -> str:
        self.ids += 1
        return f"{tag}{self.ids}"

    def port_of(self, user: int) -> int:
        """A user's HTTP requests go to the worker holding their socket."""
        return self.ports[user % len(self.ports)]

    async def senders(self, users: list[int]) -> list[cc.Sender]:
        return await asyncio.gather(*(cc.Sender(self.port_of(u)).open() for u in users))

    # -- idle sockets ---------------------------------------------------------------------

    async def idle(self) -> dict[str, Any]:
        warm = self.users[: min(10, len(self.users))]
        await cc.open_all(warm, compression=self.compression, concurrency=None)
        await cc.close_all(warm)
        await asyncio.sleep(1.0)
        before = sum(cc.rss_kib(p) for p in self.pids)
        watch = Watch(self.pids)
        t0 = time.perf_counter()
        await cc.open_all(
            self.users, compression=self.compression, concurrency=self.connect_concurrency
        )
        connect_s = time.perf_counter() - t0
        await asyncio.sleep(2.0)
        after = sum(cc.rss_kib(p) for p in self.pids)
        n = len(self.users)
        c.note(f"idle: {n} sockets in {connect_s:.1f} s, RSS {before} -> {after} KiB")
        return {
            "idle_conn_kib": round((after - before) / n, 1),
            "rss_before_kib": before,
            "rss_after_kib": after,
            "sockets": n,
            "connect_s": round(connect_s, 2),
            "connect_concurrency": self.connect_concurrency,
            "cpu": watch.stop(),
        }

    # -- direct throughput, closed loop -----------------------------------------------------

    def sender_users(self) -> list[int]:
        """One sender per direct chat, in as many chats as senders; the first member of even
        chats and the second of odd ones, so that with two workers senders are spread too."""
        return [a if k % 2 == 0 else b for k, (_, a, b) in enumerate(self.directs)][
            : self.size.senders
        ]

    async def closed_loop(self, seconds: float, tag: str) -> dict[str, Any]:
        who = self.sender_users()
        conns = await self.senders(who)
        self.tracker.reset()
        stop = asyncio.Event()
        ok = failed = 0
        replies: list[float] = []

        async def loop(user: int, sender: cc.Sender) -> None:
            nonlocal ok, failed
            chat, peer = self.chat_of[user]
            token = self.users[user].token
            while not stop.is_set():
                cid = self.cid(tag)
                t = time.perf_counter()
                self.tracker.expect(cid, (peer,), t)
                status, _ = await sender.send(token, chat, cid, f"hello {cid} 你好")
                self.statuses[status] = self.statuses.get(status, 0) + 1
                replies.append(time.perf_counter() - t)
                if status == 201:
                    ok += 1
                else:
                    failed += 1
                    self.tracker.forget(cid)

        watch = Watch(self.pids)
        t0 = time.perf_counter()
        tasks = [asyncio.create_task(loop(u, s)) for u, s in zip(who, conns, strict=True)]
        await asyncio.sleep(seconds)
        stop.set()
        await asyncio.gather(*tasks)
        t_sent = time.perf_counter()
        timed_out = False
        try:
            await asyncio.wait_for(self.tracker.drained.wait(), 180)
        except TimeoutError:
            timed_out = True
        cpu = watch.stop()
        await asyncio.gather(*(s.close() for s in conns))
        delivered = self.tracker.completed
        end = max(self.tracker.last_done, t_sent)
        return {
            "msgs_per_s": round(delivered / (end - t0), 1),
            "answered_per_s": round(ok / (t_sent - t0), 1),
            "answered": ok,
            "non_201": failed,
            "delivered": delivered,
            "undelivered": len(self.tracker.pending),
            "timed_out": timed_out,
            "elapsed_s": round(end - t0, 2),
            "senders": len(who),
            "reply_p50_ms": cc.ms(cc.pct(replies, 50)),
            "reply_p99_ms": cc.ms(cc.pct(replies, 99)),
            "delivery_p50_ms": cc.ms(cc.pct(self.tracker.latencies, 50)),
            "delivery_p99_ms": cc.ms(cc.pct(self.tracker.latencies, 99)),
            "server_cpu_us_per_msg": round(cpu["server_cpu_s"] * 1e6 / max(delivered, 1)),
            "cpu": cpu,
        }

    async def direct(self) -> dict[str, Any]:
        warm = await self.closed_loop(self.size.warmup, "w") if self.size.warmup else {}
        async with self.profiled("direct"):
            res = await self.closed_loop(self.size.duration, "t")
        res["warmup"] = {k: warm.get(k) for k in ("msgs_per_s", "non_201", "elapsed_s")}
        c.note(
            f"direct: {res['msgs_per_s']} msgs/s delivered ({res['answered']} answered, "
            f"{res['non_201']} failed), server cpu {res['cpu']['server_cpu_pct']}%, "
            f"client cpu {res['cpu']['client_cpu_pct']}%"
        )
        return res

    # -- latency at a fixed offered rate, open loop -----------------------------------------

    async def open_loop(self, rate: float, seconds: float, tag: str) -> dict[str, Any]:
        who = self.sender_users()
        conns = await self.senders(who)
        queues: list[asyncio.Queue[tuple[str, float] | None]] = [asyncio.Queue() for _ in who]
        self.tracker.reset()
        ok = failed = abandoned = 0
        # A server that stalls (e.g. a pool deadlock) must not hold the benchmark for hours.
        give_up = time.perf_counter() + seconds + self.stall_s
        replies: list[float] = []

        async def worker(k: int) -> None:
            nonlocal ok, failed
            user, sender, q = who[k], conns[k], queues[k]
            chat, peer = self.chat_of[user]
            token = self.users[user].token
            nonlocal abandoned
            while (job := await q.get()) is not None:
                cid, due = job
                if time.perf_counter() > give_up:
                    abandoned += 1
                    continue
                self.tracker.expect(cid, (peer,), due)
                status, _ = await sender.send(token, chat, cid, f"hello {cid} 你好")
                self.statuses[status] = self.statuses.get(status, 0) + 1
                replies.append(time.perf_counter() - due)
                if status == 201:
                    ok += 1
                else:
                    failed += 1
                    self.tracker.forget(cid)

        workers = [asyncio.create_task(worker(k)) for k in range(len(who))]
        total = int(rate * seconds)
        watch = Watch(self.pids)
        t0 = time.perf_counter()
        for i in range(total):
            due = t0 + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            queues[i % len(who)].put_nowait((self.cid(tag), due))
        for q in queues:
            q.put_nowait(None)
        await asyncio.gather(*workers)
        timed_out = False
        try:
            await asyncio.wait_for(self.tracker.drained.wait(), 180)
        except TimeoutError:
            timed_out = True
        cpu = watch.stop()
        await asyncio.gather(*(s.close() for s in conns))
        lat = self.tracker.latencies
        return {
            "p50_ms": cc.ms(cc.pct(lat, 50)),
            "p90_ms": cc.ms(cc.pct(lat, 90)),
            "p99_ms": cc.ms(cc.pct(lat, 99)),
            "max_ms": cc.ms(max(lat) if lat else None),
            "offered_per_s": rate,
            "offered": total,
            "abandoned": abandoned,
            "answered": ok,
            "non_201": failed,
            "delivered": self.tracker.completed,
            "undelivered": len(self.tracker.pending),
            "timed_out": timed_out,
            "reply_p50_ms": cc.ms(cc.pct(replies, 50)),
            "reply_p99_ms": cc.ms(cc.pct(replies, 99)),
            "server_cpu_us_per_msg": round(
                cpu["server_cpu_s"] * 1e6 / max(self.tracker.completed, 1)
            ),
            "cpu": cpu,
        }

    async def latency(self) -> dict[str, Any]:
        warm = (
            await self.open_loop(self.size.rate, self.size.warmup, "lw") if self.size.warmup else {}
        )
        async with self.profiled("latency"):
            res = await self.open_loop(self.size.rate, self.size.duration, "l")
        res["warmup"] = {k: warm.get(k) for k in ("p99_ms", "non_201")}
        c.note(
            f"latency at {self.size.rate:g}/s: p50 {res['p50_ms']} ms, p99 {res['p99_ms']} ms, "
            f"server cpu {res['cpu']['server_cpu_pct']}%"
        )
        return res

    # -- one message to a big group ---------------------------------------------------------

    async def group(self) -> dict[str, Any]:
        owner = self.group_members[0]
        [sender] = await self.senders([owner])
        token = self.users[owner].token
        self.tracker.reset()
        samples: list[float] = []
        replies: list[float] = []
        failed = timeouts = 0
        watch = Watch(self.pids)
        give_up = time.perf_counter() + self.stall_s
        for r in range(self.size.group_rounds + 1):  # the first one warms up
            if time.perf_counter() > give_up:
                break
            cid = self.cid("g")
            t = time.perf_counter()
            pending = self.tracker.expect(cid, self.group_members, t)
            status, _ = await sender.send(token, self.group_id, cid, f"group {r} 大家好")
            self.statuses[status] = self.statuses.get(status, 0) + 1
            reply = time.perf_counter() - t
            if status != 201:
                failed += 1
                self.tracker.forget(cid)
                continue
            try:
                await asyncio.wait_for(pending.done.wait(), 30)
            except TimeoutError:
                timeouts += 1
                self.tracker.forget(cid)
                continue
            if r:
                samples.append(pending.t_done - t)
                replies.append(reply)
            await asyncio.sleep(0.2)
        cpu = watch.stop()
        await sender.close()
        res = {
            "p50_ms": cc.ms(cc.pct(samples, 50)),
            "p99_ms": cc.ms(cc.pct(samples, 99)),
            "max_ms": cc.ms(max(samples) if samples else None),
            "samples_ms": [cc.ms(s) for s in samples],
            "reply_p50_ms": cc.ms(cc.pct(replies, 50)),
            "members": len(self.group_members),
            "non_201": failed,
            "timeouts": timeouts,
            "cpu": cpu,
        }
        c.note(
            f"group of {len(self.group_members)}: p50 {res['p50_ms']} ms, p99 {res['p99_ms']} ms"
        )
        return res

    # -- everyone drops, messages pile up, everyone comes back -------------------------------

    async def resync(self) -> dict[str, Any]:
        await cc.close_all(self.users)
        await asyncio.sleep(1.0)
        n = self.size.resync_msgs
        jobs: asyncio.Queue[int] = asyncio.Queue()
        for k in range(n):
            jobs.put_nowait(k)
        failed = 0
        per_chat = len(self.directs)
        conns = [
            await cc.Sender(self.ports[k % len(self.ports)]).open()
            for k in range(min(self.size.senders, n))
        ]

        give_up = time.perf_counter() + self.stall_s + n / 50

        async def send_all(sender: cc.Sender) -> None:
            nonlocal failed
            while not jobs.empty() and time.perf_counter() < give_up:
                k = jobs.get_nowait()
                chat, a, b = self.directs[k % per_chat]
                me, peer = (a, b) if (k // per_chat) % 2 == 0 else (b, a)
                status, body = await sender.send(
                    self.users[me].token, chat, self.cid("r"), f"while you were away {k}"
                )
                self.statuses[status] = self.statuses.get(status, 0) + 1
                if status != 201 or body is None:
                    failed += 1
                    continue
                key = (int(body["chat_id"]), int(body["seq"]))
                self.users[me].want.add(key)
                self.users[peer].want.add(key)

        c.note(f"resync: all sockets closed; sending {n} messages")
        t = time.perf_counter()
        await asyncio.gather(*(send_all(s) for s in conns))
        send_s = time.perf_counter() - t
        await asyncio.gather(*(s.close() for s in conns))
        expected = {u.index: len(u.want) for u in self.users}
        before = {u.index: u.last_seq for u in self.users}
        for u in self.users:
            u.got_all = asyncio.Event()
            if not u.want:
                u.got_all.set()
        c.wait_for_quiet(max_wait_s=self.quiet_wait_s)
        async with self.profiled("resync"):  # py-spy attaches before the clock starts
            watch = Watch(self.pids)
            t0 = time.perf_counter()
            timed_out = False
            try:
                await asyncio.wait_for(
                    asyncio.gather(
                        cc.open_all(self.users, compression=self.compression, concurrency=None),
                        *(u.got_all.wait() for u in self.users),
                    ),
                    120,
                )
            except TimeoutError:
                timed_out = True
            resync_s = time.perf_counter() - t0
            cpu = watch.stop()
        not_caught_up = sum(1 for u in self.users if u.want)
        res = {
            "resync_s": round(resync_s, 3),
            "clients": len(self.users),
            "messages_sent": n - failed - jobs.qsize(),
            "non_201": failed,
            "not_sent_in_time": jobs.qsize(),
            "send_s": round(send_s, 2),
            "send_per_s": round((n - failed - jobs.qsize()) / send_s, 1),
            "events_replayed": sum(u.last_seq - before[u.index] for u in self.users),
            "events_expected": sum(expected.values()),
            "clients_missing_messages": not_caught_up,
            "messages_missing": sum(len(u.want) for u in self.users),
            "timed_out": timed_out,
            "cpu": cpu,
        }
        c.note(
            f"resync: {len(self.users)} clients caught up on {res['events_replayed']} events "
            f"in {resync_s:.2f} s (sent {n} at {res['send_per_s']}/s)"
        )
        return res

    def checks(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for u in self.users:
            for k, v in u.checks().items():
                total[k] = total.get(k, 0) + v
        total["clients_with_errors"] = sum(1 for u in self.users if any(u.checks().values()))
        return total


async def drive(bench: Bench, skip: set[str]) -> dict[str, Any]:
    detail: dict[str, Any] = {}
    phases = {
        "direct": bench.direct,
        "latency": bench.latency,
        "group": bench.group,
        "resync": bench.resync,
    }
    detail["idle"] = await bench.idle()
    for name, phase in phases.items():
        if name in skip:
            continue
        bench.statuses = {}
        if name == "group":
            async with bench.profiled("group"):
                detail[name] = await phase()
        else:
            detail[name] = await phase()
        # Every send's HTTP status in the phase, warm-up included (0: connection broke).
        detail[name]["statuses"] = {str(k): v for k, v in sorted(bench.statuses.items())}
    await cc.close_all(bench.users)
    detail["checks"] = bench.checks()
    return detail


def summarise(detail: dict[str, Any], size: Size) -> dict[str, Any]:
    def get(phase: str, key: str) -> Any:
        return detail[phase][key] if phase in detail else None

    checks = detail["checks"]
    results: dict[str, Any] = {
        "direct_msgs_per_s": get("direct", "msgs_per_s"),
        "p50_ms": get("latency", "p50_ms"),
        "p99_ms": get("latency", "p99_ms"),
        "group500_p99_ms": get("group", "p99_ms"),
        "idle_conn_kib": get("idle", "idle_conn_kib"),
        "resync_1000_s": get("resync", "resync_s"),
        # Checked on every socket over the whole run, the resync included.
        "resync_gaps": checks["gaps"],
        "resync_duplicates": checks["duplicates"] + checks["message_duplicates"],
        "resync_messages_missing": get("resync", "messages_missing"),
        "checks": detail["checks"],
        "scale": asdict(size),
    }
    met = {}
    for key, (op, goal) in GOALS.items():
        value = results[key]
        met[key] = value is not None and (value >= goal if op == ">=" else value <= goal)
    results["goals"] = {k: f"{op} {g}" for k, (op, g) in GOALS.items()}
    results["goal_met"] = met
    return results


UNITS = {
    "direct_msgs_per_s": "direct messages answered 201 and received by the peer's socket, per "
    "second (closed loop, all users connected)",
    "p50_ms/p99_ms": "ms from the scheduled send to the peer's socket having it, open loop at "
    "`scale.rate` msgs/s",
    "group500_p99_ms": "ms from the send until the last member's socket has it (nearest rank)",
    "idle_conn_kib": "server VmRSS growth per connected idle socket, KiB (all workers)",
    "resync_1000_s": "s from every client reconnecting at once to the last one having all its "
    "missed messages",
    "checks": "summed over every socket and the whole run: log seq gaps, duplicate events, chat "
    "messages received twice, pointer expansions that came back missing",
}


def log_events(path: Path) -> dict[str, Any]:
    """What a server logged: a count per event (structured JSON lines) and per exception (the
    last line of each traceback), the first warning or error, and the last lines."""
    events: dict[str, int] = {}
    exceptions: dict[str, int] = {}
    first_problem = None
    lines = path.read_text(errors="replace").splitlines()
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            entry = None
        if isinstance(entry, dict):
            event = str(entry.get("event", "?"))
            events[event] = events.get(event, 0) + 1
            if first_problem is None and entry.get("level") in {"warning", "error", "critical"}:
                first_problem = line[:1000]
        elif re.match(r"^[\w.]+(Error|Exception|Timeout)\w*:", line):
            key = line[:120]
            exceptions[key] = exceptions.get(key, 0) + 1
    return {
        "events": events,
        "exceptions": exceptions,
        "first_problem": first_problem,
        "last": [x[:300] for x in lines[-3:]],
    }


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="100 users, short phases (smoke test)")
    p.add_argument("--pg", action="store_true", help="PostgreSQL + Redis, two workers")
    p.add_argument("--worktree", action="store_true", help="measure the working tree, not HEAD")
    p.add_argument(
        "--src", type=Path, metavar="DIR", help="measure the checkout at DIR (e.g. a prototype)"
    )
    p.add_argument("--no-deflate", action="store_true", help="do not offer permessage-deflate")
    p.add_argument(
        "--connect-concurrency",
        type=int,
        default=100,
        help="WebSocket handshakes in flight at once while the idle sockets connect",
    )
    p.add_argument("--users", type=int)
    p.add_argument("--senders", type=int)
    p.add_argument("--group", type=int)
    p.add_argument("--rate", type=float)
    p.add_argument("--duration", type=float)
    p.add_argument("--resync-msgs", type=int)
    p.add_argument("--py-spy", type=Path, metavar="DIR", help="profile the servers per phase")
    p.add_argument("--keep-logs", type=Path, metavar="DIR", help="copy the server logs here")
    p.add_argument("--skip", default="", help="comma-separated phases to leave out (profiling)")
    p.add_argument("--build-world", type=Path, help=argparse.SUPPRESS)
    return p.parse_args()


def size_of(args: argparse.Namespace) -> Size:
    size = Size(**asdict(QUICK)) if args.quick else Size()
    for name in ("users", "senders", "group", "rate", "duration", "resync_msgs"):
        if getattr(args, name) is not None:
            setattr(size, name, getattr(args, name))
    size.senders = min(size.senders, size.users // 2)
    size.group = min(size.group, size.users)
    return size


def measured_source(args: argparse.Namespace) -> tuple[Path | None, str, dict[str, Any]]:
    """Where the measured code comes from, the commit, and how the report describes it."""
    # Read just before HEAD is exported: others commit all the time.
    commit = c.git_commit()["commit"]
    if args.src:
        return args.src.resolve(), commit, {"tree": "given checkout", "path": str(args.src)}
    src = c.source_root(args.worktree)
    if args.worktree:
        return src, commit, {"tree": "working tree", **c.git_commit()}
    return src, commit, {"tree": "HEAD (git archive)", "commit": commit}


def base_env(work: Path, src: Path | None) -> dict[str, str]:
    return {
        "HUTONG_DATA_DIR": str(work / "data"),
        "HUTONG_PASSWORD_PROFILE": "test",
        "HUTONG_ACCESS_LOG": "false",
        "HUTONG_LOG_LEVEL": "WARNING",
        **unlimited_actions(src),
        **c.GENEROUS_THROTTLES,
    }


def pg_env(db_name: str) -> dict[str, str]:
    return {
        "HUTONG_DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:5432/{db_name}",
        "HUTONG_REDIS_URL": "redis://127.0.0.1:6379/13",
        "HUTONG_REDIS_PREFIX": f"{db_name}:",
        "HUTONG_SECRET_KEY": secrets.token_urlsafe(48),
    }


def run(
    args: argparse.Namespace, size: Size, src: Path | None, server_env: dict[str, str], work: Path
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], int]:
    """Build the world, start the servers, drive them; (detail, world, server logs, workers)."""
    servers: list[c.Server] = []
    try:
        world = prepare(src, server_env, size, work)
        for w in range(2 if args.pg else 1):
            servers.append(c.start_hutong(server_env, name=f"hutong-{w}", src=src))
        c.note(f"servers on ports {[s.port for s in servers]}, pids {[s.pid for s in servers]}")
        cc.pin_to_client_cpu()
        import uvloop

        ports, pids = [s.port for s in servers], [s.pid for s in servers]
        bench = Bench(world, ports, pids, size, not args.no_deflate)
        bench.quiet_wait_s = 3 if args.quick else 10
        bench.stall_s = 30 if args.quick else 120
        bench.connect_concurrency = args.connect_concurrency
        if args.py_spy:
            args.py_spy.mkdir(parents=True, exist_ok=True)
            bench.profile_dir = args.py_spy.resolve()
        c.wait_for_quiet(max_wait_s=bench.quiet_wait_s)
        detail = uvloop.run(drive(bench, set(filter(None, args.skip.split(",")))))
        logs = {s.name: log_events(s.log_path) for s in servers}
        return detail, world, logs, len(servers)
    finally:
        if args.keep_logs:
            args.keep_logs.mkdir(parents=True, exist_ok=True)
            for s in servers:
                shutil.copy(s.log_path, args.keep_logs / f"{s.name}.log")
        for s in servers:
            s.stop()


def main() -> None:
    args = parse_args()
    if args.build_world:
        # Subprocess: runs with the measured Hutong on PYTHONPATH and its HUTONG_* environment.
        world = asyncio.run(build_world(args.users, args.group))
        args.build_world.write_text(json.dumps(world))
        return
    c.ensure_venv()
    size = size_of(args)
    src, commit, source = measured_source(args)
    work = Path(tempfile.mkdtemp(prefix="hutong-chat-load-"))
    server_env = base_env(work, src)
    db_name = ""
    if args.pg:
        db_name = f"chat_load_{os.getpid()}_{secrets.token_hex(3)}"
        asyncio.run(pg_admin(f'CREATE DATABASE "{db_name}"'))
        server_env.update(pg_env(db_name))
    load_start = os.getloadavg()
    try:
        detail, world, logs, workers = run(args, size, src, server_env, work)
    finally:
        if db_name:
            with contextlib.suppress(Exception):
                asyncio.run(pg_admin(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        shutil.rmtree(work, ignore_errors=True)

    c.emit(
        c.report(
            "chat_load",
            summarise(detail, size),
            load={
                "loadavg_start": [round(x, 2) for x in load_start],
                "loadavg_end": [round(x, 2) for x in os.getloadavg()],
                "per_phase": {k: v["cpu"] for k, v in detail.items() if "cpu" in v},
            },
            commit=commit,
            source=source,
            units=UNITS,
            setup={
                "database": "postgresql + redis" if args.pg else "sqlite",
                "workers": workers,
                "server_cpu": c.SERVER_CPU,
                "client_cpu": c.CLIENT_CPU,
                "client": "asyncio + uvloop, websockets "
                + ("without" if args.no_deflate else "offering")
                + " permessage-deflate, HTTP/1.1 keep-alive",
                "world_build_s": world["build_s"],
                "server_env": {k: v for k, v in server_env.items() if k != "HUTONG_SECRET_KEY"},
            },
            detail=detail,
            server_log=logs,
        )
    )


if __name__ == "__main__":
    main()
