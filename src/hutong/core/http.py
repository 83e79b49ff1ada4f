"""HTTP plumbing shared by every route: RFC 9457 problems, body limits, request context.

The middlewares are plain ASGI (not BaseHTTPMiddleware): they sit on every request, including
the authenticated hot path, and must cost microseconds.
"""

from __future__ import annotations

import itertools
import os
import re
import time
from typing import Any

import orjson
import structlog
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hutong.core.errors import HutongError
from hutong.core.observability import Metrics

PROBLEM = "application/problem+json"
TYPE_BASE = "https://hutong.dev/problems/"
log = structlog.get_logger("hutong.http")


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    fields: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if fields:
        body["errors"] = [{"field": k, "message": v} for k, v in fields.items()]
    if extra:
        body.update(extra)
    return Response(orjson.dumps(body), status_code=status, media_type=PROBLEM, headers=headers)


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or str(loc[0] if loc else "request")


def _is_overload(exc: Exception) -> bool:
    """Infrastructure trouble (pool exhausted, server full or gone), not a bug: a 503."""
    if isinstance(exc, PoolTimeout | OperationalError | InterfaceError):
        return True
    name = type(getattr(exc, "orig", None)).__name__ + str(getattr(exc, "orig", ""))
    return any(k in name for k in ("TooManyConnections", "CannotConnectNow", "too many clients"))


def install_error_handlers(app: FastAPI) -> None:
    async def on_hutong(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, HutongError)
        return problem(
            exc.status,
            exc.code,
            exc.title,
            exc.detail,
            fields=exc.fields,
            extra=exc.extra,
            headers=exc.headers,
        )

    async def on_validation(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        fields: dict[str, str] = {}
        for err in exc.errors():
            msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
            fields.setdefault(_field_name(tuple(err.get("loc", ()))), msg)
        return problem(
            422,
            "invalid-input",
            "The request has invalid fields",
            "; ".join(f"{k}: {v}" for k, v in fields.items()),
            fields=fields,
        )

    async def on_http(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        code = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        return problem(
            exc.status_code,
            code,
            str(exc.detail),
            str(exc.detail),
            headers=dict(exc.headers or {}),
        )

    async def on_database(request: Request, exc: Exception) -> Response:
        if not _is_overload(exc):
            return await on_unexpected(request, exc)
        log.warning("database unavailable", error=str(exc)[:200])
        return problem(
            503,
            "unavailable",
            "Busy",
            "The database is busy or unreachable; try again shortly.",
            headers={"Retry-After": "1"},
        )

    async def on_unexpected(_: Request, exc: Exception) -> Response:
        log.error("unhandled error", exc_info=exc)
        return problem(500, "internal", "Internal error", "Something went wrong on our side.")

    app.add_exception_handler(HutongError, on_hutong)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(DBAPIError, on_database)
    app.add_exception_handler(PoolTimeout, on_database)
    app.add_exception_handler(Exception, on_unexpected)


class BodyLimitMiddleware:
    """Refuse bodies over `max_bytes` with 413, whether declared up front or streamed."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        overrides: list[tuple[str, int]] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # (path regex, limit): uploads that may be larger than ordinary requests.
        self.overrides = [(re.compile(p), n) for p, n in overrides or []]

    def _limit(self, path: str) -> int:
        for pattern, limit in self.overrides:
            if pattern.fullmatch(path):
                return limit
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope["path"]) if self.overrides else self.max_bytes
        declared: int | None = None
        chunked = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = None
            elif name == b"transfer-encoding":
                chunked = True
        if declared is not None and declared > limit:
            await self._reject(scope, receive, send, limit)
            return
        if not chunked:
            # A declared length within the limit (the server holds the client to it) or no
            # body at all: nothing to count, so the hot path pays nothing.
            await self.app(scope, receive, send)
            return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._reject(scope, receive, send, limit)

    async def _reject(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = problem(
            413,
            "payload-too-large",
            "Request body too large",
            f"Requests may carry at most {limit // 1024} KiB.",
        )
        await response(scope, receive, send)


class _TooLarge(Exception):
    pass


class RequestContextMiddleware:
    """Request id, one structured access-log line, and Prometheus request metrics."""

    def __init__(self, app: ASGIApp, metrics: Metrics, *, access_log: bool = True) -> None:
        self.app = app
        self.metrics = metrics
        self.access_log = access_log
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        # Request ids: a random prefix per process and a counter, unique across workers and
        # restarts without a system call per request (os.urandom was ~4% of a chat send).
        self._id_prefix = os.urandom(8).hex()
        self._ids = itertools.count(1)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = ""
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                request_id = value.decode("latin-1")[:64]
                break
        request_id = request_id or f"{self._id_prefix}{next(self._ids):016x}"
        structlog.contextvars.bind_contextvars(request_id=request_id)
        start = time.perf_counter()
        status = 500
        rid_header = (b"x-request-id", request_id.encode("latin-1"))

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), rid_header]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - start
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            key = (scope["method"], template, status)
            children = self._children.get(key)
            if children is None:
                # Resolving label children costs more than the observation; keep them.
                children = (
                    self.metrics.requests.labels(scope["method"], template, str(status)),
                    self.metrics.latency.labels(template),
                )
                self._children[key] = children
            children[0].inc()
            children[1].observe(elapsed)
            if self.access_log:
                log.info(
                    "request",
                    method=scope["method"],
                    path=scope["path"],
                    status=status,
                    ms=round(elapsed * 1000, 2),
                )
            structlog.contextvars.clear_contextvars()
