"""`GET /sync` and the WebSocket endpoints."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Query, Request, WebSocket
from pydantic import BaseModel
from starlette.types import ASGIApp, Receive, Scope, Send

from hutong.core.auth import Authenticator, Principal, require_principal
from hutong.core.errors import HutongError
from hutong.core.signing import Signer
from hutong.realtime.gateway import CLOSE_UNAUTHENTICATED, Gateway
from hutong.realtime.service import SyncLog

router = APIRouter(tags=["sync"])


class EventOut(BaseModel):
    seq: int
    kind: str
    payload: dict[str, Any]
    at: str


class SyncOut(BaseModel):
    events: list[EventOut]
    next_since: int
    has_more: bool


async def _log(request: Request) -> SyncLog:
    log: SyncLog = request.app.state.sync_log
    return log


@router.get("/sync", response_model=SyncOut)
async def sync(
    principal: Annotated[Principal, Depends(require_principal)],
    log: Annotated[SyncLog, Depends(_log)],
    since: Annotated[int, Query(ge=0, description="Last sequence the client has")] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> SyncOut:
    """Everything addressed to the signed-in user after `since`, oldest first, paged."""
    page = await log.since(principal.user_id, since, limit)
    return SyncOut(
        events=[EventOut(seq=e.seq, kind=e.kind, payload=e.payload, at=e.at) for e in page.events],
        next_since=page.next_since,
        has_more=page.has_more,
    )


@router.websocket("/ws")
async def user_socket(ws: WebSocket, since: int = 0) -> None:
    """The signed-in user's live event stream; `since` is the last sequence the client has."""
    authenticator: Authenticator = ws.app.state.authenticator
    gateway: Gateway = ws.app.state.gateway
    principal = await authenticator.principal(ws)
    await ws.accept()
    if principal is None:
        await ws.close(code=CLOSE_UNAUTHENTICATED, reason="sign in first")
        return
    await gateway.serve_user(ws, principal, max(since, 0))


class SocketShortcut:
    """ASGI middleware: a `/ws` connection goes straight to `user_socket`, past the HTTP
    middleware and the router. A socket lives for hours; every layer it passes through keeps
    a coroutine frame (and whatever that layer holds) alive for all that time, per socket.
    Anything but a plain `since` query goes the usual way (and gets the usual validation)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and scope["path"] == "/ws":
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            since = query.pop("since", ["0"])
            if not query and len(since) == 1 and since[0].isdigit() and len(since[0]) < 19:
                await user_socket(WebSocket(scope, receive, send), int(since[0]))
                return
        await self.app(scope, receive, send)


@router.websocket("/ws/ticket")
async def ticket_socket(ws: WebSocket, ticket: str = "") -> None:
    """An anonymous socket for one topic, granted by a signed, expiring ticket."""
    signer: Signer = ws.app.state.signer
    gateway: Gateway = ws.app.state.gateway
    await ws.accept()
    try:
        token = signer.unsign(ticket, ws.app.state.clock.now())
    except HutongError:
        await ws.close(code=CLOSE_UNAUTHENTICATED, reason="bad or expired ticket")
        return
    if token.kind != "ws":
        await ws.close(code=CLOSE_UNAUTHENTICATED, reason="bad ticket")
        return
    await gateway.serve_topic(ws, token.ident)
