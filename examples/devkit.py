"""A small kit for a mini-program's own backend, shared by the two example apps.

This is third-party code: it knows Hutong only through the public server API (HTTP Basic
`appid:secret`) and the signed webhooks, exactly as an outside developer would. It has

* `Config` — the backend's settings from the environment;
* `Hutong` — a client of the server API (login codes → openid, payment orders);
* `WebhookVerifier` — checks a webhook's HMAC signature, its timestamp (±5 minutes) and that
  its nonce was never seen before (nonces are kept in the backend's database, so a restart does
  not reopen the replay window);
* `Sessions` — the backend's own sign-in: a random token handed to the page, kept with the
  user's openid (the page runs in a sandbox without cookies or storage, so it sends the token
  as a bearer header);
* `ApiError` and `build_app` — JSON errors and CORS for pages with an opaque origin.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

log = logging.getLogger("devkit")
REPLAY_WINDOW_S = 300
NONCE_KEEP_S = 2 * REPLAY_WINDOW_S
SESSION_TTL_S = 7 * 24 * 3600


@dataclass(frozen=True)
class Config:
    """`HUTONG_URL` (Hutong's base URL), `APPID`, `APP_SECRET`, `PORT`, `PUBLIC_URL` (this
    backend's own base URL, for `notify_url`), `DB_PATH` (sqlite file; memory if unset)."""

    hutong_url: str
    appid: str
    app_secret: str
    port: int
    public_url: str
    db_path: str
    host: str = "127.0.0.1"

    @classmethod
    def from_env(cls, default_port: int) -> Config:
        port = int(os.environ.get("PORT") or default_port)
        return cls(
            hutong_url=os.environ.get("HUTONG_URL", "http://127.0.0.1:8000").rstrip("/"),
            appid=os.environ["APPID"],
            app_secret=os.environ["APP_SECRET"],
            port=port,
            public_url=(os.environ.get("PUBLIC_URL") or f"http://127.0.0.1:{port}").rstrip("/"),
            db_path=os.environ.get("DB_PATH") or ":memory:",
            host=os.environ.get("HOST", "127.0.0.1"),
        )

    @property
    def notify_url(self) -> str:
        return self.public_url + "/notify"


class ApiError(Exception):
    """An error answered to the page as `{"error": code, "message": …}`."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


async def _api_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return JSONResponse({"error": exc.code, "message": exc.message}, status_code=exc.status)


async def json_body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise ApiError(400, "bad-json", "The body must be a JSON object.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "bad-json", "The body must be a JSON object.")
    return body


# -- storage -----------------------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY, openid TEXT NOT NULL, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS webhook_nonces (nonce TEXT PRIMARY KEY, seen_at REAL NOT NULL);
"""


def open_db(path: str, schema: str) -> sqlite3.Connection:
    """The backend's sqlite database (the kit's tables plus the app's `schema`). Used only
    from the event loop's thread, one statement or one short transaction at a time."""
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(_SCHEMA + schema)
    return db


class Sessions:
    """Bearer tokens for the page; only their SHA-256 is stored."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def create(self, openid: str) -> str:
        token = secrets.token_urlsafe(32)
        self.db.execute(
            "INSERT INTO sessions (token_hash, openid, created_at) VALUES (?, ?, ?)",
            (_sha256(token), openid, time.time()),
        )
        return token

    def openid(self, request: Request) -> str:
        """The openid of the session the request's bearer token names; 401 otherwise."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        row = (
            self.db.execute(
                "SELECT openid, created_at FROM sessions WHERE token_hash = ?", (_sha256(token),)
            ).fetchone()
            if scheme.lower() == "bearer" and token
            else None
        )
        if row is None or time.time() - row["created_at"] > SESSION_TTL_S:
            raise ApiError(401, "signed-out", "Sign in again.")
        return str(row["openid"])


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# -- webhooks ----------------------------------------------------------------------------------


class WebhookVerifier:
    """Hutong signs `<timestamp>.<nonce>.<body>` with HMAC-SHA256; the key is the hex SHA-256
    of "webhook:" + the app secret (the text of the hex digest is the key)."""

    def __init__(self, secret: str, db: sqlite3.Connection) -> None:
        self.key = hashlib.sha256(("webhook:" + secret).encode()).hexdigest().encode()
        self.db = db

    def verify(self, headers: Any, body: bytes, *, now: float | None = None) -> str:
        """Why the notification is refused — "signature", "stale" or "replayed" — or an empty
        string if it is authentic and fresh (its nonce is then remembered)."""
        now = time.time() if now is None else now
        ts = headers.get("hutong-timestamp", "")
        nonce = headers.get("hutong-nonce", "")
        sig = headers.get("hutong-signature", "")
        if not (ts.isascii() and ts.isdigit() and nonce and sig) or len(nonce) > 100:
            return "signature"
        expected = hmac.new(self.key, f"{ts}.{nonce}.".encode() + body, hashlib.sha256)
        # Compared as bytes: compare_digest refuses str with characters beyond ASCII.
        if not hmac.compare_digest(expected.hexdigest().encode(), sig.encode()):
            return "signature"
        if abs(now - int(ts)) > REPLAY_WINDOW_S:
            return "stale"
        # Only an authentic nonce is recorded, so forgeries cannot fill the table. The primary
        # key makes "seen?" and "remember" one atomic step.
        self.db.execute("DELETE FROM webhook_nonces WHERE seen_at < ?", (now - NONCE_KEEP_S,))
        try:
            self.db.execute(
                "INSERT INTO webhook_nonces (nonce, seen_at) VALUES (?, ?)", (nonce, now)
            )
        except sqlite3.IntegrityError:
            return "replayed"
        return ""


# -- the server API ----------------------------------------------------------------------------


class HutongApiError(Exception):
    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        super().__init__(f"Hutong answered {status}: {problem.get('detail') or problem}")
        self.status, self.problem = status, problem


class Hutong:
    """The server API, authenticated with HTTP Basic appid:secret."""

    def __init__(self, config: Config) -> None:
        self.client = httpx.AsyncClient(
            base_url=config.hutong_url, auth=(config.appid, config.app_secret), timeout=10
        )

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            r = await self.client.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise ApiError(502, "hutong-unreachable", "Hutong cannot be reached.") from exc
        if r.status_code >= 400:
            try:
                problem = r.json()
            except ValueError:
                problem = {"detail": r.text[:200]}
            raise HutongApiError(r.status_code, problem)
        return r.json()

    async def session(self, code: str) -> dict[str, Any]:
        """Trade a login code for `{openid, unionid, session_key}`."""
        result: dict[str, Any] = await self._call("POST", "/miniapps/api/sessions", {"code": code})
        return result

    async def create_order(
        self, out_trade_no: str, openid: str, amount: int, description: str, notify_url: str
    ) -> dict[str, Any]:
        result: dict[str, Any] = await self._call(
            "POST",
            "/miniapps/api/orders",
            {
                "out_trade_no": out_trade_no,
                "openid": openid,
                "amount": amount,
                "description": description[:128],
                "notify_url": notify_url,
            },
        )
        return result

    async def order(self, out_trade_no: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("GET", f"/miniapps/api/orders/{out_trade_no}")
        return result

    async def refund(
        self, out_trade_no: str, out_refund_no: str, amount: int, reason: str
    ) -> dict[str, Any]:
        """Refund (part of) a paid order; idempotent by `out_refund_no`."""
        result: dict[str, Any] = await self._call(
            "POST",
            f"/miniapps/api/orders/{out_trade_no}/refunds",
            {"out_refund_no": out_refund_no, "amount": amount, "reason": reason[:80]},
        )
        return result

    async def aclose(self) -> None:
        await self.client.aclose()


async def login(request: Request, hutong: Hutong, sessions: Sessions) -> Response:
    """POST /api/login {code}: the page's one-time code → our own session token."""
    code = (await json_body(request)).get("code")
    if not isinstance(code, str) or not 0 < len(code) <= 100:
        raise ApiError(422, "bad-code", "A login code is required.")
    try:
        found = await hutong.session(code)
    except HutongApiError as exc:
        raise ApiError(401, "bad-code", "That login code is not valid any more.") from exc
    return JSONResponse({"token": sessions.create(found["openid"]), "openid": found["openid"]})


async def webhook(
    request: Request,
    verifier: WebhookVerifier,
    appid: str,
    on_paid: Callable[[str, int, int, str], None],
) -> Response:
    """POST /notify: refuse what is not authentic and fresh (401); on "payment.succeeded"
    call `on_paid(out_trade_no, amount, payment_id, "webhook")`. Everything authentic is
    acknowledged (200), or Hutong would keep retrying something we will never act on."""
    body = await request.body()
    refused = verifier.verify(request.headers, body)
    if refused:
        log.warning("webhook refused: %s", refused)
        return JSONResponse({"error": refused}, status_code=401)
    event = json.loads(body)
    if event.get("appid") != appid:
        return JSONResponse({"error": "appid"}, status_code=400)
    if event.get("event") == "payment.succeeded":
        on_paid(event["out_trade_no"], event["amount"], event["payment_id"], "webhook")
    return JSONResponse({"ok": True})


async def ask_hutong(
    hutong: Hutong, out_trade_no: str, on_paid: Callable[[str, int, int, str], None]
) -> None:
    """After the page's requestPayment the webhook may still be on its way: ask Hutong, and
    call `on_paid(…, "query")` if it says the order is paid."""
    try:
        found = await hutong.order(out_trade_no)
    except HutongApiError as exc:
        raise ApiError(502, "hutong-error", "Hutong could not be asked.") from exc
    if found["status"] == "paid":
        on_paid(out_trade_no, found["amount"], found["payment_id"], "query")


class Shop:
    """What both example backends share: their database (with the kit's tables), the Hutong
    client, sessions and the webhook verifier; sign-in; Hutong's webhook endpoint; and asking
    Hutong about a payment the page says it made. A shop gives `_row`, `_out`, `_mark_paid`
    and the name of what it sells (`what`, for the 404 of an unknown id)."""

    what = "order"

    def __init__(self, config: Config, schema: str) -> None:
        self.config = config
        self.db = open_db(config.db_path, schema)
        self.hutong = Hutong(config)
        self.sessions = Sessions(self.db)
        self.verifier = WebhookVerifier(config.app_secret, self.db)

    async def login(self, request: Request) -> Response:
        return await login(request, self.hutong, self.sessions)

    async def check(self, request: Request) -> Response:
        """POST …/{id}/check: after requestPayment, ask Hutong if no webhook came yet."""
        row = self._row(self.path_id(request), self.sessions.openid(request))
        if row["state"] == "created":
            await ask_hutong(self.hutong, row["out_trade_no"], self._mark_paid)
            row = self._row(row["id"], row["openid"])
        return JSONResponse(self._out(row))

    async def notify(self, request: Request) -> Response:
        return await webhook(request, self.verifier, self.config.appid, self._mark_paid)

    def path_id(self, request: Request) -> int:
        raw = request.path_params["id"]
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 12:
            raise ApiError(404, f"no-such-{self.what}", f"No such {self.what}.")
        return int(raw)

    def _row(self, row_id: int, openid: str) -> Any:
        raise NotImplementedError

    def _out(self, row: Any) -> dict[str, Any]:
        raise NotImplementedError

    def _mark_paid(self, out_trade_no: str, amount: int, payment_id: int, via: str) -> None:
        raise NotImplementedError


def build_app(
    routes: Sequence[BaseRoute],
    on_close: Callable[[], Awaitable[None]] | None = None,
    on_start: Callable[[], Awaitable[None]] | None = None,
) -> Starlette:
    """A Starlette app with JSON errors and CORS for sandboxed pages: their origin is opaque
    ("null"), so any origin is allowed — and no credentials, which the page has none of."""

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        if on_start is not None:
            await on_start()
        yield
        if on_close is not None:
            await on_close()

    return Starlette(
        routes=list(routes),
        middleware=[
            Middleware(
                CORSMiddleware,
                allow_origins=["*"],
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type"],
                allow_credentials=False,
                max_age=600,
            )
        ],
        exception_handlers={ApiError: _api_error},
        lifespan=lifespan,
    )


def serve(app: Starlette, config: Config) -> None:
    """Run the backend. Started by `hutong serve` (which sets `PARENT_PID`), it stops when that
    process is gone, however it ended."""
    server = uvicorn.Server(
        uvicorn.Config(app, host=config.host, port=config.port, log_level="warning")
    )
    parent = os.environ.get("PARENT_PID", "")
    if parent.isdigit():

        def watch() -> None:
            while not server.should_exit:
                if os.getppid() != int(parent):
                    server.should_exit = True
                time.sleep(1)

        threading.Thread(target=watch, daemon=True).start()
    server.run()
