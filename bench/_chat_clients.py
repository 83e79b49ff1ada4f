"""The client side of `bench/chat_load.py`: WebSocket users and HTTP senders in one process.

`User` holds one `/ws?since=N` socket (bearer auth on the handshake) and checks everything it
is given: its log sequence must go up by exactly one per event (a jump is a gap, a repeat a
duplicate), and no chat message (chat id, chat seq) may arrive twice. `Tracker` knows, for each
`client_id` in flight, which users still have to receive that message and when it was (meant to
be) sent; the last delivery completes it and yields one latency sample.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import _common as c
import orjson


def rss_kib(pid: int) -> int:
    """Resident set size of a process in KiB (`VmRSS` in /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def pct(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (p99 of 20 samples is the largest)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))  # ceil
    return ordered[int(min(rank, len(ordered))) - 1]


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


@dataclass
class Pending:
    """One message in flight: who still has to get it, and since when."""

    t0: float
    waiting: set[int]
    done: asyncio.Event = field(default_factory=asyncio.Event)
    t_done: float = 0.0


class Tracker:
    """client_id -> Pending; completed latencies per phase tag."""

    def __init__(self) -> None:
        self.pending: dict[str, Pending] = {}
        self.latencies: list[float] = []
        self.completed = 0
        self.last_done = 0.0
        self.drained = asyncio.Event()
        self.drained.set()

    def reset(self) -> None:
        self.pending.clear()
        self.latencies = []
        self.completed = 0
        self.last_done = 0.0
        self.drained.set()

    def expect(self, client_id: str, recipients: Iterable[int], t0: float) -> Pending:
        p = Pending(t0, set(recipients))
        self.pending[client_id] = p
        self.drained.clear()
        return p

    def forget(self, client_id: str) -> None:
        """A send that failed: nobody will get it."""
        self.pending.pop(client_id, None)
        if not self.pending:
            self.drained.set()

    def delivered(self, user: int, client_id: Any, now: float) -> None:
        p = self.pending.get(client_id) if client_id else None
        if p is None or user not in p.waiting:
            return
        p.waiting.discard(user)
        if not p.waiting:
            p.t_done = now
            p.done.set()
            del self.pending[client_id]
            self.latencies.append(now - p.t0)
            self.completed += 1
            self.last_done = max(self.last_done, now)
            if not self.pending:
                self.drained.set()


class User:
    """One user's socket and the checks on what it receives."""

    def __init__(self, index: int, user_id: int, token: str, port: int, tracker: Tracker) -> None:
        self.index = index
        self.user_id = user_id
        self.token = token
        self.port = port
        self.tracker = tracker
        self.ws: Any = None
        self.task: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()
        self.last_seq = 0
        self.events = 0
        self.gaps = 0
        self.dups = 0
        self.msg_dups = 0
        self.missing = 0
        self.ready_mismatch = 0
        self.dropped = 0  # sockets the server closed while we still wanted them
        self.closing = False
        self.keys: set[tuple[int, int]] = set()
        # Resync: the chat messages this socket must get after reconnecting.
        self.want: set[tuple[int, int]] = set()
        self.got_all = asyncio.Event()

    async def open(self, *, compression: str | None, wait_s: float = 120.0) -> None:
        from websockets.asyncio.client import connect

        self.ready = asyncio.Event()
        self.closing = False
        self.ws = await connect(
            f"ws://127.0.0.1:{self.port}/ws?since={self.last_seq}",
            additional_headers={"Authorization": f"Bearer {self.token}"},
            compression=compression,
            max_queue=None,
            ping_interval=None,
            open_timeout=wait_s,
            close_timeout=5,
        )
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(Exception):
            async for raw in self.ws:
                self.on_frame(orjson.loads(raw), time.perf_counter())
        if not self.closing:
            self.dropped += 1

    def on_frame(self, msg: dict[str, Any], now: float) -> None:
        kind = msg.get("type")
        if kind == "event":
            seq = int(msg["seq"])
            if seq <= self.last_seq:
                self.dups += 1
                return
            if seq != self.last_seq + 1:
                self.gaps += seq - self.last_seq - 1
            self.last_seq = seq
            self.events += 1
            if msg.get("kind") == "chat.message":
                p = msg["payload"]
                if p.get("missing"):
                    self.missing += 1
                key = (int(p["chat_id"]), int(p["seq"]))
                if key in self.keys:
                    self.msg_dups += 1
                self.keys.add(key)
                if self.want:
                    self.want.discard(key)
                    if not self.want:
                        self.got_all.set()
                self.tracker.delivered(self.index, p.get("client_id"), now)
        elif kind == "ready":
            if int(msg["seq"]) != self.last_seq:
                self.ready_mismatch += 1
            self.ready.set()

    async def close(self) -> None:
        self.closing = True
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()
        if self.task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.task, 10)
        self.ws = self.task = None

    def checks(self) -> dict[str, int]:
        return {
            "gaps": self.gaps,
            "duplicates": self.dups,
            "message_duplicates": self.msg_dups,
            "missing_bodies": self.missing,
            "ready_mismatch": self.ready_mismatch,
            "sockets_dropped_by_server": self.dropped,
        }


async def open_all(
    users: list[User], *, compression: str | None, concurrency: int | None, wait_s: float = 120.0
) -> None:
    """Open every socket (at most `concurrency` handshakes at a time; None = all at once) and
    wait until each has caught up and said `ready`."""
    sem = asyncio.Semaphore(concurrency or len(users) or 1)

    async def one(u: User) -> None:
        async with sem:
            await u.open(compression=compression, wait_s=wait_s)
            await asyncio.wait_for(u.ready.wait(), wait_s)

    await asyncio.gather(*(one(u) for u in users))


async def close_all(users: list[User]) -> None:
    await asyncio.gather(*(u.close() for u in users))


class Sender:
    """One keep-alive HTTP/1.1 connection that sends chat messages, one at a time."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn: c.HttpConn | None = None
        self.broken = 0

    async def open(self) -> Sender:
        self.conn = await c.HttpConn.open("127.0.0.1", self.port)
        return self

    async def send(
        self, token: str, chat_id: int, client_id: str, text: str
    ) -> tuple[int, dict[str, Any] | None]:
        """POST one text message: (status, body); status 0 if the connection broke (it is
        reopened for the next send)."""
        if self.conn is None:
            await self.open()
        assert self.conn is not None
        body = {"client_id": client_id, "kind": "text", "text": text}
        try:
            status, raw = await self.conn.send_raw(
                self.conn.build("POST", f"/chats/{chat_id}/messages", body, token)
            )
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            await self.close()
            self.conn = None
            self.broken += 1
            return 0, None
        return status, (orjson.loads(raw) if raw else None)

    async def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(Exception):
                await self.conn.close()


def pin_to_client_cpu() -> None:
    """Run this process on the client CPU (the server is pinned to the other one)."""
    if hasattr(os, "sched_setaffinity") and c.have_taskset():
        os.sched_setaffinity(0, {int(c.CLIENT_CPU)})
