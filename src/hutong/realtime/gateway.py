"""The WebSocket gateway: pushes a user's events live, and catches a reconnecting client up.

Per socket there are two tasks. The reader notices a closed client at once (some servers never
raise on send to a dead peer) and answers pings. The sender delivers, in this order:
  1. it subscribes to `user:<id>` first, so nothing published from now on can slip past;
  2. it replays the log after the client's `since` from the database;
  3. it forwards live events, dropping any it already sent (seq <= last sent) and reading the
     log to fill any gap (a live event with seq > last + 1 means one was lost on the way).
So the client receives every event after `since` exactly once and in order, on any worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from hutong.core.auth import Principal
from hutong.core.errors import HutongError
from hutong.core.observability import Metrics
from hutong.core.pubsub import PubSub, Subscription
from hutong.realtime.presence import Presence
from hutong.realtime.service import SyncLog, SyncPage, session_topic, user_topic

log = logging.getLogger(__name__)

PresenceHook = Callable[[int, bool], Awaitable[None]]
ClientHandler = Callable[[Principal, dict[str, Any]], Awaitable[dict[str, Any] | None]]
MAX_FRAME = 16 * 1024
CLOSE_REVOKED = 4001
CLOSE_UNAUTHENTICATED = 4401
# The standard "try again later": the log could not be read (database overloaded or down). The
# client reconnects with its last seq and loses nothing.
CLOSE_TRY_AGAIN = 1013
_RESYNC: dict[str, Any] = {"type": "_resync"}


async def _send(conn: Connection, msg: dict[str, Any]) -> None:
    """A JSON text frame, encoded by orjson (several times faster than the stdlib's json, and
    a group message is encoded once per member socket)."""
    await conn.ws.send_text(orjson.dumps(msg).decode())


class CatchUpFailed(Exception):
    """The sync log could not be read for a socket's catch-up."""


class Connection:
    """One socket's state. Messages wait in a deque; `wake` tells the sender there is work
    (or that the reader saw the client go). No task or future is made per message."""

    __slots__ = ("closed", "last_seq", "overflowed", "pending", "principal", "wake", "ws")

    MAX_PENDING = 10_000

    def __init__(self, ws: WebSocket, principal: Principal | None, last_seq: int) -> None:
        self.ws = ws
        self.principal = principal
        self.last_seq = last_seq
        self.pending: deque[dict[str, Any]] = deque()
        self.wake = asyncio.Event()
        self.closed = False
        self.overflowed = False

    def push(self, _topic: str, message: dict[str, Any]) -> None:
        if len(self.pending) >= self.MAX_PENDING and message.get("type") == "event":
            # A client this far behind is resynced from the log instead of buffered forever.
            self.overflowed = True
        else:
            self.pending.append(message)
        self.wake.set()

    def close(self) -> None:
        self.closed = True
        self.wake.set()


class Gateway:
    def __init__(
        self,
        log_: SyncLog,
        pubsub: PubSub,
        metrics: Metrics,
        *,
        heartbeat_s: float,
        page: int,
        presence: Presence | None = None,
    ) -> None:
        self.log = log_
        self.pubsub = pubsub
        self.metrics = metrics
        self.heartbeat_s = heartbeat_s
        self.page = page
        self.connections: set[Connection] = set()
        self._handlers: dict[str, ClientHandler] = {}
        self.presence = presence or Presence(None)
        self._presence_hooks: list[PresenceHook] = []
        pubsub.on_reset(self._on_reset)

    def _on_reset(self) -> None:
        for conn in self.connections:
            conn.push("", _RESYNC)

    def on_presence(self, hook: PresenceHook) -> None:
        """Call `hook(user_id, online)` when a user comes online or goes offline everywhere."""
        self._presence_hooks.append(hook)

    async def _announce(self, user_id: int, online: bool) -> None:
        for hook in self._presence_hooks:
            try:
                await hook(user_id, online)
            except Exception:
                log.exception("presence hook failed")

    async def serve_user(self, ws: WebSocket, principal: Principal, since: int) -> None:
        conn = Connection(ws, principal, since)
        subs = [
            await self.pubsub.subscribe(user_topic(principal.user_id), conn.push),
            await self.pubsub.subscribe(session_topic(principal.session_id), conn.push),
        ]
        uid = principal.user_id
        if await self.presence.connected(uid):
            await self._announce(uid, True)
        try:
            await self._run(conn, subs, catch_up=True)
        finally:
            if await self.presence.disconnected(uid):
                await self._announce(uid, False)

    async def serve_topic(self, ws: WebSocket, topic: str) -> None:
        """An anonymous socket bound to one topic by a signed ticket (QR-login waiting page)."""
        conn = Connection(ws, None, 0)
        subs = [await self.pubsub.subscribe(topic, conn.push)]
        await self._run(conn, subs, catch_up=False)

    async def _run(self, conn: Connection, subs: list[Subscription], *, catch_up: bool) -> None:
        self.connections.add(conn)
        self.metrics.open_sockets.inc()
        reader = asyncio.create_task(self._reader(conn))
        try:
            if catch_up:
                await self._catch_up(conn)
            await conn.ws.send_json({"type": "ready", "seq": conn.last_seq})
            await self._sender(conn)
        except (WebSocketDisconnect, RuntimeError, OSError):
            pass
        except CatchUpFailed:
            with contextlib.suppress(Exception):
                await conn.ws.close(code=CLOSE_TRY_AGAIN, reason="try again")
        finally:
            self.connections.discard(conn)
            self.metrics.open_sockets.dec()
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
            for sub in subs:
                await sub.close()
            if conn.ws.application_state != WebSocketState.DISCONNECTED:
                with contextlib.suppress(Exception):
                    await conn.ws.close()

    async def _catch_up(self, conn: Connection) -> None:
        assert conn.principal is not None
        while True:
            page = await self._page(conn.principal.user_id, conn.last_seq)
            for event in page.events:
                await _send(conn, event.wire())
                conn.last_seq = event.seq
            if not page.has_more:
                return

    async def _page(self, user_id: int, since: int) -> SyncPage:
        """A page of the log, retried briefly: a reconnect storm can find the pool busy."""
        for attempt in range(3):
            try:
                return await self.log.since(user_id, since, self.page)
            except Exception as exc:
                if attempt == 2:
                    log.warning("catch-up for user %s failed: %s", user_id, exc)
                    raise CatchUpFailed from exc
                await asyncio.sleep(0.25 * (attempt + 1))
        raise AssertionError("unreachable")

    def on_client_message(self, kind: str, handler: ClientHandler) -> None:
        """Let a domain handle a message type clients send up the socket (e.g. "typing")."""
        self._handlers[kind] = handler

    async def _reader(self, conn: Connection) -> None:
        try:
            while True:
                text = await conn.ws.receive_text()
                await self._handle_frame(conn, text)
        except Exception as exc:
            # Any receive error means the client is gone; the sender stops on this flag.
            log.debug("socket reader ended: %r", exc)
        finally:
            conn.close()

    async def _handle_frame(self, conn: Connection, text: str) -> None:
        """One frame from the client. Bad frames get an error frame; the socket stays open."""
        try:
            msg = json.loads(text) if len(text) <= MAX_FRAME else None
        except ValueError:
            msg = None
        if not isinstance(msg, dict) or not isinstance(msg.get("type"), str):
            conn.push(
                "",
                {
                    "type": "error",
                    "error": "bad-frame",
                    "detail": "Frames are JSON objects with a string `type`.",
                },
            )
            return
        kind = msg["type"]
        if kind == "ping":
            conn.push("", {"type": "pong"})
            return
        handler = self._handlers.get(kind)
        if handler is None or conn.principal is None:
            conn.push("", {"type": "error", "error": "unknown-type", "detail": kind[:40]})
            return
        try:
            reply = await handler(conn.principal, msg)
        except HutongError as exc:
            reply = {"type": "error", "error": exc.code, "detail": exc.detail}
        except Exception:
            log.exception("client message handler for %s failed", kind)
            reply = {"type": "error", "error": "internal", "detail": "Could not handle that."}
        if reply is not None:
            conn.push("", reply)

    async def _sender(self, conn: Connection) -> None:
        while not conn.closed:
            if not conn.pending and not conn.overflowed:
                conn.wake.clear()
                try:
                    async with asyncio.timeout(self.heartbeat_s):
                        await conn.wake.wait()
                except TimeoutError:
                    await conn.ws.send_json({"type": "ping"})
                continue
            if conn.overflowed:
                # Events still queued are skipped by their seq once the log has caught up.
                if not await self._deliver(conn, _RESYNC):
                    return
                continue
            if not await self._deliver(conn, conn.pending.popleft()):
                return

    async def _deliver(self, conn: Connection, msg: dict[str, Any]) -> bool:
        """Send one queued message; False when the socket must close."""
        kind = msg.get("type")
        if conn.overflowed or kind == "_resync":
            conn.overflowed = False
            if conn.principal is not None:
                await self._catch_up(conn)
            return True
        if kind == "event":
            seq = int(msg["seq"])
            if seq <= conn.last_seq:
                return True
            if seq > conn.last_seq + 1:
                await self._catch_up(conn)
                return True
            conn.last_seq = seq
        elif kind == "revoked":
            await conn.ws.send_json({"type": "revoked"})
            await conn.ws.close(code=CLOSE_REVOKED, reason="session revoked")
            return False
        await _send(conn, msg)
        return True
