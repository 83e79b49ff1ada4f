"""Events appended to users' sync logs and delivered over `/ws`, end to end, per second.

    python bench/sync_fanout.py [--users 100] [--events-per-user 50] [--concurrency 32]

Registers `--users` users, opens one WebSocket `/ws?since=0` per user (bearer auth on the
handshake) and waits for every `ready`. Then `--concurrency` keep-alive HTTP connections send
`PATCH /me {"bio": ...}` as fast as the server answers, round-robin over the users, each request
appending one `profile.updated` event to that user's log. The clock stops when every socket has
received all of its events. Also checks that each socket saw its sequence numbers in order with
no gap or duplicate.

Hutong (`hutong serve`, SQLite, one worker) is pinned to CPU 0; this client runs on CPU 1.
Measures the committed HEAD (exported to a temporary directory) unless `--worktree` is given.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c


class Socket:
    """One user's WebSocket: counts delivered events, checks order, records arrival times."""

    def __init__(self, index: int, expected: int, sent_at: dict[tuple[int, str], float]):
        self.index = index
        self.expected = expected
        self.sent_at = sent_at
        self.ready = asyncio.Event()
        self.done = asyncio.Event()
        self.last_seq = 0
        self.events = 0
        self.order_errors = 0
        self.other_kinds = 0
        self.latencies: list[float] = []
        self.last_at = 0.0

    def reset(self, expected: int) -> None:
        """Count afresh, towards `expected` further events (keeps checking the order)."""
        self.expected = expected
        self.events = 0
        self.latencies = []
        self.done = asyncio.Event()

    async def run(self, ws: Any) -> None:
        async for raw in ws:
            msg = json.loads(raw)
            kind = msg.get("type")
            if kind == "ready":
                self.last_seq = int(msg["seq"])
                self.ready.set()
            elif kind == "event" and self.ready.is_set():
                now = time.perf_counter()
                seq = int(msg["seq"])
                if seq != self.last_seq + 1:
                    self.order_errors += 1
                self.last_seq = max(self.last_seq, seq)
                self.events += 1
                self.last_at = now
                if msg.get("kind") != "profile.updated":
                    self.other_kinds += 1
                sent = self.sent_at.get((self.index, msg.get("payload", {}).get("bio", "")))
                if sent is not None:
                    self.latencies.append(now - sent)
                if self.events >= self.expected:
                    self.done.set()


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


async def run_sync(
    port: int,
    *,
    users: int = 100,
    events_per_user: int = 50,
    concurrency: int = 32,
    server_pid: int | None = None,
) -> dict[str, Any]:
    """Drive one running Hutong; answers the figures (events/s delivered, produced/s, ...)."""
    from websockets.asyncio.client import connect

    c.note(f"sync: registering {users} users")
    tokens = await c.register_users(port, users)
    sent_at: dict[tuple[int, str], float] = {}
    sockets = [Socket(i, events_per_user, sent_at) for i in range(users)]
    opened = []
    for i, token in enumerate(tokens):
        ws = await connect(
            f"ws://127.0.0.1:{port}/ws?since=0",
            additional_headers={"Authorization": f"Bearer {token}"},
            max_queue=None,
            ping_interval=None,
        )
        opened.append((ws, asyncio.create_task(sockets[i].run(ws))))
    await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in sockets)), 60)
    c.note(f"sync: {users} sockets ready")

    async def produce(rounds: int, tag: str) -> tuple[int, int, list[float]]:
        """`rounds` PATCHes per user over `concurrency` connections: (ok, failed, latencies)."""
        jobs: asyncio.Queue[tuple[int, int]] = asyncio.Queue()
        for r in range(rounds):
            for u in range(users):
                jobs.put_nowait((u, r))
        ok = failed = 0
        latencies: list[float] = []

        async def producer() -> None:
            nonlocal ok, failed
            conn = await c.HttpConn.open("127.0.0.1", port)
            try:
                while not jobs.empty():
                    u, r = jobs.get_nowait()
                    bio = f"bench {tag} {r}"
                    req = conn.build("PATCH", "/me", {"bio": bio}, tokens[u])
                    t = time.perf_counter()
                    sent_at[(u, bio)] = t
                    status, _ = await conn.send_raw(req)
                    latencies.append(time.perf_counter() - t)
                    if 200 <= status < 300:
                        ok += 1
                    else:
                        failed += 1
            finally:
                await conn.close()

        await asyncio.gather(*(producer() for _ in range(min(concurrency, jobs.qsize()))))
        return ok, failed, latencies

    async def delivered_all() -> bool:
        try:
            await asyncio.wait_for(asyncio.gather(*(s.done.wait() for s in sockets)), 60)
        except TimeoutError:
            return False
        return True

    # Warm-up: one event per user, so first-use costs (statement compilation, imports) and
    # the sockets' first frames are not in the measurement.
    for sock in sockets:
        sock.reset(1)
    await produce(1, "warm-up")
    await delivered_all()
    for sock in sockets:
        sock.reset(events_per_user)
    sent_at.clear()
    c.note(f"sync: producing {users * events_per_user} events")

    load = c.CpuWatch(server_pid)
    t0 = time.perf_counter()
    produced, failed, request_latencies = await produce(events_per_user, "round")
    t_produced = time.perf_counter()
    timed_out = not await delivered_all()
    t_end = max((s.last_at for s in sockets), default=t0)
    cpu = load.stop()
    for ws, task in opened:
        await ws.close()
        task.cancel()

    delivered = sum(s.events for s in sockets)
    latencies = [x for s in sockets for x in s.latencies]
    return {
        "sync_events_per_s": round(delivered / (t_end - t0), 1),
        "sync_produced_per_s": round(produced / (t_produced - t0), 1),
        "sync_events_delivered": delivered,
        "sync_events_expected": users * events_per_user,
        "sync_patch_non_2xx": failed,
        "sync_order_errors": sum(s.order_errors for s in sockets),
        "sync_unexpected_kinds": sum(s.other_kinds for s in sockets),
        "sync_timed_out": timed_out,
        "sync_elapsed_s": round(t_end - t0, 3),
        "sync_delivery_latency_p50_ms": round(_pct(latencies, 50) * 1000, 2),
        "sync_delivery_latency_p99_ms": round(_pct(latencies, 99) * 1000, 2),
        "sync_patch_latency_p50_ms": round(_pct(request_latencies, 50) * 1000, 2),
        "sync_patch_latency_p99_ms": round(_pct(request_latencies, 99) * 1000, 2),
        "sync_server_cpu_pct": cpu["server_cpu_pct"],
        "sync_client_cpu_pct": cpu["client_cpu_pct"],
        "sync_foreign_cpu_pct": cpu["foreign_cpu_pct"],
    }


SYNC_UNITS = {
    "sync_events_per_s": "events delivered over WebSocket per second (all sockets, end to end)",
    "sync_produced_per_s": "PATCH /me requests completed per second (one event each)",
    "sync_delivery_latency_p50_ms": "ms from sending PATCH to the event arriving on the socket",
}


def pin_client() -> None:
    if hasattr(os, "sched_setaffinity") and c.have_taskset():
        os.sched_setaffinity(0, {int(c.CLIENT_CPU)})


def main() -> None:
    c.ensure_venv()
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--users", type=int, default=100)
    p.add_argument("--events-per-user", type=int, default=50)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument(
        "--worktree",
        action="store_true",
        help="measure the working tree instead of HEAD",
    )
    args = p.parse_args()
    src = c.source_root(args.worktree)
    pin_client()
    import uvloop

    with c.running(c.start_hutong(name="hutong-sync", src=src)) as server:
        c.wait_for_quiet()
        results = uvloop.run(
            run_sync(
                server.port,
                server_pid=server.pid,
                users=args.users,
                events_per_user=args.events_per_user,
                concurrency=args.concurrency,
            )
        )
    c.emit(
        c.report(
            "sync_fanout",
            results,
            source=c.describe_source(src),
            units=SYNC_UNITS,
            config={
                "users": args.users,
                "events_per_user": args.events_per_user,
                "http_concurrency": args.concurrency,
                "server": "hutong serve, 1 worker, SQLite, CPU 0",
                "client": "python websockets + asyncio HTTP/1.1 keep-alive, uvloop, CPU 1",
            },
        )
    )


if __name__ == "__main__":
    main()
