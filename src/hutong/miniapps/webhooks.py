"""Signed webhooks to the developer's `notify_url`, from an outbox that survives restarts.

A notification is a row of `miniapp_webhooks`, written in the transaction that changed the
order, so it exists exactly when the change does. Each worker runs one delivery task: it
claims due rows with a guarded `UPDATE … RETURNING` (the claim pushes `next_at` a lease into
the future, so another worker — or this one after a crash — takes the row again only if the
attempt never finished), POSTs them, and records the result: a 2xx is delivered; anything
else is retried after 15 s, 15 s, 30 s, 3 min, 10 min, 20 min, 30 min, 1 h, 3 h, 6 h, 12 h,
then every 24 h, and given up after a week. A payment's notification skips the claim: its
transaction writes it already leased to this worker (when the sender has room) and hands it
to the sender after the commit (`hand_over`), so it leaves within milliseconds; other commits
wake the task at once. Once a minute the task also sweeps the crash gap of
payments (orders charged but not marked paid, `Payments.complete_charged`).

Targets: the URL must be on one of the app's declared server domains (checked when the order
is made, and again before each attempt), on port 80 or 443 or one the app declared with the
domain, and the server's request guard (`hutong.core.netguard`) resolves the host and
refuses private, loopback, link-local, multicast and reserved addresses — the request goes to
the address it checked — unless the operator allows private ones (then any port will do).
Redirects are not followed.

Signatures, for the developer to check: headers `Hutong-Timestamp` (unix seconds),
`Hutong-Nonce` (random), and two signatures over the same `<timestamp>.<nonce>.<body>`, of
which the developer checks either: `Hutong-Signature` = hex HMAC-SHA256 with the key
hex(SHA-256("webhook:" + app secret)) (`verify`), and `Hutong-Signature-Ed25519` = base64
Ed25519 by the platform key published at `GET /miniapps/platform-key`, whose id is in
`Hutong-Key-Id` (`verify_ed25519`; the receiver then needs no secret at all). A receiver
refuses timestamps more than 5 minutes away and nonces it has seen, so a captured request
cannot be replayed.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets
import sqlite3
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import aiohttp
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from hutong.core import netguard
from hutong.core.db import UnitOfWork, sqlite_time
from hutong.core.netguard import Refused
from hutong.miniapps.errors import DomainNotAllowed
from hutong.miniapps.models import MiniApp, MiniAppLoginCode, MiniAppWebhook

if TYPE_CHECKING:
    from hutong.miniapps.service import MiniApps

log = logging.getLogger(__name__)
W = MiniAppWebhook
BACKOFF_S = (15, 15, 30, 180, 600, 1200, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600)
DAY_S = 24 * 3600
MAX_ATTEMPTS = len(BACKOFF_S) + 7  # then daily for a week
LEASE_S = 60
BATCH = 64
MAX_IN_FLIGHT = 128  # claimed and not yet recorded (all sent well within the lease)
PER_ORIGIN = 8  # requests on the wire to one developer backend at once
ORIGIN_IDLE_S = 300  # a backend's connections are closed after this long unused
REPLAY_WINDOW_S = 300
MAX_ANSWER = 64 * 1024


def signing_key(secret: str) -> str:
    return hashlib.sha256(("webhook:" + secret).encode()).hexdigest()


def signed_message(timestamp: str, nonce: str, body: bytes) -> bytes:
    return f"{timestamp}.{nonce}.".encode() + body


def signature(key: str, timestamp: str, nonce: str, body: bytes) -> str:
    msg = signed_message(timestamp, nonce, body)
    return hmac.new(key.encode(), msg, hashlib.sha256).hexdigest()


def _fresh(
    headers: dict[str, str], signature_header: str, now_s: float
) -> tuple[str, str, str] | None:
    """(timestamp, nonce, signature) when all are there and the timestamp is recent."""
    lower = {k.lower(): v for k, v in headers.items()}
    ts, nonce, sig = (
        lower.get("hutong-timestamp", ""),
        lower.get("hutong-nonce", ""),
        lower.get(signature_header, ""),
    )
    if not (ts.isdigit() and nonce and sig) or abs(now_s - int(ts)) > REPLAY_WINDOW_S:
        return None
    return ts, nonce, sig


def _first_use(nonce: str, seen_nonces: set[str]) -> bool:
    if nonce in seen_nonces:
        return False
    seen_nonces.add(nonce)
    return True


def verify(
    secret: str,
    headers: dict[str, str],
    body: bytes,
    *,
    now_s: float,
    seen_nonces: set[str],
) -> bool:
    """For the developer's backend: is this a fresh notification signed for `secret`?
    Remembers the nonce when it is (keep `seen_nonces` for at least 10 minutes)."""
    got = _fresh(headers, "hutong-signature", now_s)
    if got is None:
        return False
    ts, nonce, sig = got
    if not hmac.compare_digest(signature(signing_key(secret), ts, nonce, body), sig):
        return False
    return _first_use(nonce, seen_nonces)


def verify_ed25519(
    public_key: str | bytes,
    headers: dict[str, str],
    body: bytes,
    *,
    now_s: float,
    seen_nonces: set[str],
) -> bool:
    """For the developer's backend: is this a fresh notification signed by the platform?
    `public_key` is the published key (base64, as `GET /miniapps/platform-key` gives it, or
    the raw 32 bytes). Remembers the nonce when it is (keep `seen_nonces` for 10 minutes)."""
    got = _fresh(headers, "hutong-signature-ed25519", now_s)
    if got is None:
        return False
    ts, nonce, sig = got
    try:
        raw = (
            base64.b64decode(public_key, validate=True)
            if isinstance(public_key, str)
            else public_key
        )
        key = Ed25519PublicKey.from_public_bytes(raw)
        key.verify(base64.b64decode(sig, validate=True), signed_message(ts, nonce, body))
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return _first_use(nonce, seen_nonces)


def backoff_s(attempts: int) -> int:
    """Delay before the next attempt after `attempts` failed ones."""
    return BACKOFF_S[attempts - 1] if attempts <= len(BACKOFF_S) else DAY_S


@dataclass
class _Origin:
    client: aiohttp.ClientSession
    slots: asyncio.Semaphore
    active: int = 0
    last_used: float = 0.0


@dataclass(frozen=True)
class _Due:
    """A notification to send: as claimed, or as handed over by its transaction."""

    id: int
    app_id: int
    url: str
    body: str


def insert_webhook_sqlite(conn: sqlite3.Connection, hook: MiniAppWebhook) -> int:
    """Insert a notification made by `Webhooks.row` in plain `sqlite3`; its id."""
    found = conn.execute(
        "INSERT INTO miniapp_webhooks (app_id, event, url, body, state, attempts, next_at, "
        "last_error, created_at, delivered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL) "
        "RETURNING id",
        (
            hook.app_id,
            hook.event,
            hook.url,
            hook.body,
            hook.state,
            hook.attempts,
            sqlite_time(hook.next_at),
            hook.last_error,
            sqlite_time(hook.created_at),
        ),
    ).fetchone()
    return int(found[0])


@dataclass(frozen=True)
class Attempt:
    id: int
    ok: bool
    error: str = ""


class Webhooks:
    def __init__(self, svc: MiniApps) -> None:
        self.svc = svc
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._origins: dict[tuple[str, str, str, int], _Origin] = {}
        self._last_cleanup = 0.0
        self._in_flight: set[asyncio.Task[int]] = set()
        self._sending = 0  # notifications claimed and not yet recorded
        self._handed: list[tuple[_Due, MiniApp]] = []  # handed over, not yet sending
        self._nonces: list[str] = []

    # -- targets ------------------------------------------------------------------------------

    def check_allowed(self, app: MiniApp, url: str, *, field: str = "url") -> None:
        """Refuse a URL outside the app's declared server domains (or not http(s))."""
        parts = urlsplit(url)
        allowed_schemes = {"https", "http"} if self.svc.policy.webhook_allow_private else {"https"}
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            port = -1
        host = (parts.hostname or "").lower()
        ok = (
            parts.scheme in allowed_schemes
            and bool(host)
            and port > 0
            and not parts.username
            and not parts.password
            and any(_matches(d, host, port) for d in app.domains)
        )
        if not ok:
            raise DomainNotAllowed(
                "The URL must be https on one of the app's declared server domains.",
                fields={field: "not on a declared domain"},
            )

    # -- writing ------------------------------------------------------------------------------

    def row(self, app: MiniApp, url: str, event: str, data: dict[str, Any]) -> MiniAppWebhook:
        """A notification to queue: add it in the transaction that made the change, and
        `kick` after the commit."""
        now = self.svc.clock.now()
        body = json.dumps(
            {"event": event, "appid": app.appid, "created_at": now.isoformat(), **data},
            separators=(",", ":"),
            ensure_ascii=False,
        )
        return W(
            app_id=app.id,
            event=event,
            url=url,
            body=body,
            state="pending",
            attempts=0,
            next_at=now,
            last_error="",
            created_at=now,
            delivered_at=None,
        )

    def enqueue(
        self, uow: UnitOfWork, app: MiniApp, url: str, event: str, data: dict[str, Any]
    ) -> None:
        """Queue a notification in the caller's transaction; delivery starts after commit."""
        uow.session.add(self.row(app, url, event, data))
        uow.after_commit(self.kick)

    async def kick(self) -> None:
        self._wake.set()

    def has_room(self) -> bool:
        """Whether a notification queued now can be sent at once by this process
        (`hand_over`) rather than waiting to be claimed."""
        return self._task is not None and self._sending + len(self._handed) < MAX_IN_FLIGHT

    def hand_over(self, wid: int, app: MiniApp, url: str, body: str) -> None:
        """Send a committed notification that its transaction leased to this process (its
        `next_at` a lease ahead): no claim needed. Those handed over in the same moment go
        out as one batch, recorded in one write."""
        self._handed.append((_Due(wid, app.id, url, body), app))
        if len(self._handed) == 1:
            asyncio.get_running_loop().call_soon(self._send_handed)

    def _send_handed(self) -> None:
        handed, self._handed = self._handed, []
        if handed:
            self._spawn(self._send([r for r, _ in handed], {a.id: a for _, a in handed}))

    # -- delivering ---------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="miniapp-webhooks")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for task in list(self._in_flight):  # their leases lapse; any worker sends them later
            task.cancel()
        for task in list(self._in_flight):
            with contextlib.suppress(BaseException):
                await task
        origins, self._origins = list(self._origins.values()), {}
        for origin in origins:
            await origin.client.close()

    async def _run(self) -> None:
        """Claim due notifications and send them, without waiting for one batch's answers
        before claiming the next (up to `MAX_IN_FLIGHT` at once, `PER_ORIGIN` of them on
        the wire to any one backend): a slow backend, or a batch still being recorded, does
        not hold back a payment notified just now."""
        while True:
            self._wake.clear()  # before claiming: a commit during the claim wakes us again
            full = False
            try:
                room = MAX_IN_FLIGHT - self._sending
                if room > 0:
                    rows, apps = await self._claim(min(BATCH, room))
                    if rows:
                        self._spawn(self._send(rows, apps))
                    full = len(rows) == BATCH
                await self._cleanup()
            except Exception:
                log.exception("webhook delivery failed; trying again shortly")
            if not full:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.svc.policy.webhook_poll_s)

    def _spawn(self, coro: Coroutine[Any, Any, int]) -> None:
        task = asyncio.create_task(coro)
        self._in_flight.add(task)
        task.add_done_callback(self._sent)

    def _sent(self, task: asyncio.Task[int]) -> None:
        self._in_flight.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # The results were not recorded; the leases lapse and the batch is sent again.
            log.error("recording webhook results failed", exc_info=task.exception())

    def _origin(self, target: netguard.Target) -> _Origin:
        """The connections to one developer backend (by name and checked address): its own
        small pool, so a slow backend holds only its own slots. (aiohttp rather than httpx
        here: a notification costs a tenth of the CPU, and they are the platform's hottest
        outgoing requests.)"""
        key = (target.scheme, target.host, target.address, target.port)
        origin = self._origins.get(key)
        if origin is None:
            client = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=PER_ORIGIN, use_dns_cache=False),
                timeout=aiohttp.ClientTimeout(total=self.svc.policy.webhook_timeout_s),
                trust_env=False,
                auto_decompress=False,
            )
            origin = self._origins[key] = _Origin(client, asyncio.Semaphore(PER_ORIGIN))
        return origin

    async def _close_idle_origins(self) -> None:
        now = asyncio.get_running_loop().time()
        for key, origin in list(self._origins.items()):
            if not origin.active and now - origin.last_used > ORIGIN_IDLE_S:
                del self._origins[key]
                await origin.client.close()

    async def deliver_due(self, limit: int = BATCH) -> int:
        """Claim and attempt up to `limit` due notifications, recording the results before
        answering; returns how many."""
        rows, apps = await self._claim(limit)
        return await self._send(rows, apps) if rows else 0

    async def _claim(self, limit: int) -> tuple[list[Any], dict[int, MiniApp]]:
        """Take up to `limit` due notifications for a lease (one short write)."""
        now = self.svc.clock.now()

        def claim(s: Session) -> tuple[list[Any], dict[int, MiniApp]]:
            due = s.scalars(
                select(W.id)
                .where(W.state == "pending", W.next_at <= now)
                .order_by(W.next_at)
                .limit(limit)
            ).all()
            if not due:
                return [], {}
            rows = s.execute(
                update(W)
                .where(W.id.in_(due), W.state == "pending", W.next_at <= now)
                .values(next_at=now + dt.timedelta(seconds=LEASE_S))
                .returning(W.id, W.app_id, W.url, W.body)
            ).all()
            wanted = {r.app_id for r in rows}
            apps = s.scalars(select(MiniApp).where(MiniApp.id.in_(wanted))).all()
            return list(rows), {a.id: a for a in apps}

        return await self.svc.write_at_once(claim)

    async def _send(self, rows: Sequence[_Due | Any], apps: dict[int, MiniApp]) -> int:
        self._sending += len(rows)
        try:
            results = await asyncio.gather(
                *(self._attempt(r.id, apps[r.app_id], r.url, r.body) for r in rows)
            )
            await self._record(list(results))
        finally:
            if self._sending >= MAX_IN_FLIGHT:
                self._wake.set()  # the task waits for room
            self._sending -= len(rows)
        return len(results)

    async def _attempt(self, wid: int, app: MiniApp, url: str, body: str) -> Attempt:
        try:
            self.check_allowed(app, url)
            allow = self.svc.policy.webhook_allow_private
            ports = None if allow else netguard.USUAL_PORTS | declared_ports(app, url)
            target = await netguard.check(url, allow_private=allow, ports=ports)
        except (DomainNotAllowed, Refused) as exc:
            return Attempt(wid, False, f"refused: {exc}"[:200])
        origin = self._origin(target)
        origin.active += 1
        try:
            async with origin.slots:
                status = await self._post(origin.client, target, app, body.encode())
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return Attempt(wid, False, f"{type(exc).__name__}: {exc}"[:200])
        finally:
            origin.active -= 1
            origin.last_used = asyncio.get_running_loop().time()
        if 200 <= status < 300:
            return Attempt(wid, True)
        return Attempt(wid, False, f"status {status}")

    async def _post(
        self, client: aiohttp.ClientSession, target: netguard.Target, app: MiniApp, data: bytes
    ) -> int:
        """Sign (now, as it leaves) and send one notification to the checked address; the
        answer's status. At most `MAX_ANSWER` bytes of the answer are read (a longer one
        costs its connection, not memory)."""
        ts, nonce = str(int(self.svc.clock.now().timestamp())), self._nonce()
        host, platform = target.host, self.svc.platform_key
        default_port = 443 if target.scheme == "https" else 80
        async with client.post(
            target.url,
            data=data,
            headers={
                "Host": host if target.port == default_port else f"{host}:{target.port}",
                "Content-Type": "application/json",
                "User-Agent": "HutongWebhook/1.0",
                "Hutong-Timestamp": ts,
                "Hutong-Nonce": nonce,
                "Hutong-Signature": signature(app.webhook_key, ts, nonce, data),
                "Hutong-Signature-Ed25519": platform.sign(signed_message(ts, nonce, data)),
                "Hutong-Key-Id": platform.key_id,
            },
            allow_redirects=False,
            server_hostname=host if target.scheme == "https" else None,
        ) as response:
            await response.content.read(MAX_ANSWER)
            return response.status

    def _nonce(self) -> str:
        """128 random bits in hex, drawn from the OS 256 at a time (a system call per
        notification was a noticeable part of sending one)."""
        if not self._nonces:
            pool = secrets.token_hex(16 * 256)
            self._nonces = [pool[i : i + 32] for i in range(0, len(pool), 32)]
        return self._nonces.pop()

    async def _record(self, results: list[Attempt]) -> None:
        now = self.svc.clock.now()
        if self.svc.db.is_sqlite and all(r.ok for r in results):
            # The usual case, as a step of the group commit: one statement.
            ids = json.dumps([r.id for r in results])
            await self.svc.db.group.submit(
                lambda conn: conn.execute(
                    "UPDATE miniapp_webhooks SET state = 'delivered', delivered_at = ? "
                    "WHERE id IN (SELECT value FROM json_each(?))",
                    (sqlite_time(now), ids),
                )
            )
            return

        def record(s: Session) -> None:
            done = [r.id for r in results if r.ok]
            if done:
                s.execute(
                    update(W).where(W.id.in_(done)).values(state="delivered", delivered_at=now)
                )
            for r in results:
                if r.ok:
                    continue
                row = s.get(W, r.id, with_for_update=True)
                if row is None or row.state != "pending":
                    continue
                row.attempts += 1
                row.last_error = r.error
                if row.attempts >= MAX_ATTEMPTS:
                    row.state = "failed"
                else:
                    row.next_at = now + dt.timedelta(seconds=backoff_s(row.attempts))

        await self.svc.write_at_once(record)

    async def _cleanup(self) -> None:
        """Once a minute: complete orders charged but never marked paid (a worker stopped in
        between, see `Payments.complete_charged`) and forget login codes a while after they
        expired."""
        loop = asyncio.get_running_loop().time()
        if loop - self._last_cleanup < 60:
            return
        self._last_cleanup = loop
        await self._close_idle_origins()
        await self.svc.payments.complete_charged()
        cutoff = self.svc.clock.now() - dt.timedelta(hours=1)
        async with self.svc.db.write() as uow:
            await uow.session.execute(
                delete(MiniAppLoginCode).where(MiniAppLoginCode.expires_at < cutoff)
            )

    async def history(self, app_id: int, *, limit: int = 50) -> list[MiniAppWebhook]:
        async with self.svc.db.read() as s:
            return list(
                (
                    await s.scalars(
                        select(W).where(W.app_id == app_id).order_by(W.id.desc()).limit(limit)
                    )
                ).all()
            )


def declared_ports(app: MiniApp, url: str) -> set[int]:
    """Ports the app declared explicitly for this URL's host (`shop.example:8443`): besides
    80 and 443, the only ones a webhook to a public address may use."""
    host = (urlsplit(url).hostname or "").lower()
    found = set()
    for domain in app.domains:
        name, _, port = domain.partition(":")
        if port and (host == name or host.endswith("." + name)):
            found.add(int(port))
    return found


def _matches(domain: str, host: str, port: int) -> bool:
    name, _, want_port = domain.partition(":")
    if want_port and int(want_port) != port:
        return False
    return host == name or host.endswith("." + name)
