"""Chat HTTP API. Every route acts as the signed-in user on chats they belong to."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile
from fastapi.responses import FileResponse
from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hutong.chat.groups import GroupService
from hutong.chat.media import ChatMediaService
from hutong.chat.schemas import (
    AdminIn,
    ChatOut,
    ChatSettingsIn,
    DirectIn,
    GroupIn,
    GroupPatchIn,
    InviteIn,
    JoinIn,
    MediaOut,
    MemberOut,
    MessageOut,
    ReadIn,
    SearchHit,
    SendIn,
    UserIdIn,
)
from hutong.chat.service import ChatService
from hutong.core.auth import Principal, require_principal
from hutong.core.errors import HutongError
from hutong.core.qrcodes import QrRegistry

router = APIRouter(tags=["chat"])
CurrentUser = Annotated[Principal, Depends(require_principal)]


async def _chats(conn: HTTPConnection) -> ChatService:
    svc: ChatService = conn.app.state.chats
    return svc


async def _groups(conn: HTTPConnection) -> GroupService:
    svc: GroupService = conn.app.state.groups
    return svc


async def _media(conn: HTTPConnection) -> ChatMediaService:
    svc: ChatMediaService = conn.app.state.chat_media
    return svc


Chats = Annotated[ChatService, Depends(_chats)]
Groups = Annotated[GroupService, Depends(_groups)]
Media = Annotated[ChatMediaService, Depends(_media)]


@router.get("/chats", response_model=list[ChatOut])
async def list_chats(me: CurrentUser, svc: Chats) -> list[ChatOut]:
    """My chats with last message and unread count; pinned first, then newest."""
    return await svc.chats(me.user_id)


@router.post("/chats/direct", response_model=ChatOut)
async def open_direct(body: DirectIn, me: CurrentUser, svc: Chats) -> ChatOut:
    """The direct chat with a friend (created on first use)."""
    return await svc.open_direct(me.user_id, body.user_id)


@router.post("/chats/groups", response_model=ChatOut, status_code=201)
async def create_group(body: GroupIn, me: CurrentUser, svc: Groups) -> ChatOut:
    """A group with some of my friends; I am its owner."""
    return await svc.create(me.user_id, body.name, body.member_ids)


@router.post("/chats/join", response_model=ChatOut)
async def join_by_qr(body: JoinIn, request: Request, me: CurrentUser, svc: Groups) -> ChatOut:
    """Join a group through its QR code token (valid 7 days)."""
    registry: QrRegistry = request.app.state.qr
    return await svc.join_by_qr(me, body.token, registry)


@router.get("/chats/search", response_model=list[SearchHit])
async def search(
    me: CurrentUser, svc: Chats, q: Annotated[str, Query(min_length=1, max_length=100)]
) -> list[SearchHit]:
    """My messages containing `q` (case-insensitive; CJK included)."""
    return await svc.search(me.user_id, q)


@router.get("/chats/{chat_id}", response_model=ChatOut)
async def get_chat(chat_id: int, me: CurrentUser, svc: Chats) -> ChatOut:
    return await svc.chat(me.user_id, chat_id)


@router.patch("/chats/{chat_id}", response_model=ChatOut)
async def update_group(chat_id: int, body: GroupPatchIn, me: CurrentUser, svc: Groups) -> ChatOut:
    return await svc.update(me.user_id, chat_id, body)


@router.put("/chats/{chat_id}/avatar", response_model=ChatOut)
async def group_avatar(
    chat_id: int,
    request: Request,
    me: CurrentUser,
    svc: Groups,
    file: Annotated[UploadFile, File()],
) -> ChatOut:
    """Set the group photo (owner and admins; JPEG, PNG, GIF or WebP)."""
    limit: int = request.app.state.settings.avatar_max_bytes
    return await svc.set_avatar(me.user_id, chat_id, await file.read(limit + 1), limit)


@router.put("/chats/{chat_id}/settings", response_model=ChatOut)
async def chat_settings(chat_id: int, body: ChatSettingsIn, me: CurrentUser, svc: Chats) -> ChatOut:
    """My own mute / pin / hide of this chat (synced to my devices)."""
    return await svc.update_settings(me.user_id, chat_id, body)


@router.delete("/chats/{chat_id}", status_code=204)
async def clear_chat(chat_id: int, me: CurrentUser, svc: Chats) -> Response:
    """Delete the chat from my list and its history from my view."""
    await svc.clear(me.user_id, chat_id)
    return Response(status_code=204)


@router.get("/chats/{chat_id}/messages", response_model=list[MessageOut])
async def history(
    chat_id: int,
    me: CurrentUser,
    svc: Chats,
    before: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[MessageOut]:
    """Messages oldest first, ending just before `before` (page backwards with it)."""
    return await svc.history(me.user_id, chat_id, before, limit)


@router.post("/chats/{chat_id}/messages", response_model=MessageOut, status_code=201)
async def send(chat_id: int, body: SendIn, me: CurrentUser, svc: Chats) -> MessageOut:
    """Send a message. Retrying with the same `client_id` returns the first message."""
    return await svc.send(me.user_id, chat_id, body)


@router.post("/chats/{chat_id}/messages/{seq}/recall", response_model=MessageOut)
async def recall(chat_id: int, seq: int, me: CurrentUser, svc: Chats) -> MessageOut:
    """Recall within 2 minutes (files: 3 hours); group owners/admins remove others'."""
    return await svc.recall(me.user_id, chat_id, seq)


@router.post("/chats/{chat_id}/read")
async def mark_read(chat_id: int, body: ReadIn, me: CurrentUser, svc: Chats) -> dict[str, int]:
    return {"read_seq": await svc.mark_read(me.user_id, chat_id, body.seq)}


@router.get("/chats/{chat_id}/presence")
async def presence(chat_id: int, me: CurrentUser, svc: Chats) -> dict[str, list[int]]:
    """Members of this chat with a socket open right now (ephemeral; never stored)."""
    return {"online": await svc.online_members(me.user_id, chat_id)}


@router.get("/chats/{chat_id}/members", response_model=list[MemberOut])
async def members(chat_id: int, me: CurrentUser, svc: Groups) -> list[MemberOut]:
    return await svc.members(me.user_id, chat_id)


@router.post("/chats/{chat_id}/members", response_model=ChatOut)
async def invite(chat_id: int, body: InviteIn, me: CurrentUser, svc: Groups) -> ChatOut:
    """Add friends; past 40 members they are invited and must accept."""
    return await svc.invite(me.user_id, chat_id, body.user_ids)


@router.delete("/chats/{chat_id}/members/{user_id}", status_code=204)
async def remove(chat_id: int, user_id: int, me: CurrentUser, svc: Groups) -> Response:
    await svc.remove(me.user_id, chat_id, user_id)
    return Response(status_code=204)


@router.post("/chats/{chat_id}/accept", response_model=ChatOut)
async def accept(chat_id: int, me: CurrentUser, svc: Groups) -> ChatOut:
    """Accept an invitation to a large group."""
    return await svc.accept(me.user_id, chat_id)


@router.post("/chats/{chat_id}/decline", status_code=204)
async def decline(chat_id: int, me: CurrentUser, svc: Groups) -> Response:
    await svc.decline(me.user_id, chat_id)
    return Response(status_code=204)


@router.post("/chats/{chat_id}/leave", status_code=204)
async def leave(chat_id: int, me: CurrentUser, svc: Groups) -> Response:
    await svc.leave(me.user_id, chat_id)
    return Response(status_code=204)


@router.post("/chats/{chat_id}/owner", response_model=ChatOut)
async def transfer(chat_id: int, body: UserIdIn, me: CurrentUser, svc: Groups) -> ChatOut:
    return await svc.transfer(me.user_id, chat_id, body.user_id)


@router.post("/chats/{chat_id}/admins", status_code=204)
async def set_admin(chat_id: int, body: AdminIn, me: CurrentUser, svc: Groups) -> Response:
    await svc.set_admin(me.user_id, chat_id, body.user_id, body.admin)
    return Response(status_code=204)


@router.post("/chats/{chat_id}/qr")
async def group_qr(chat_id: int, request: Request, me: CurrentUser, svc: Groups) -> object:
    """A join code for this group, valid 7 days."""
    from hutong.chat.store import require_active

    async with svc.db.read() as s:
        await require_active(s, chat_id, me.user_id)
    contacts = request.app.state.contacts
    return await contacts.qr.issue_group(chat_id, me.user_id, str(request.base_url).rstrip("/"))


@router.post("/chats/{chat_id}/media", response_model=MediaOut, status_code=201)
async def upload(
    chat_id: int, me: CurrentUser, svc: Media, file: Annotated[UploadFile, File()]
) -> MediaOut:
    """Upload a file into a chat, then send it with its `media_id`."""
    return await svc.upload(me.user_id, chat_id, file.file, file.filename or "file")


@router.get("/chats/{chat_id}/media/{media_id}")
async def download(
    chat_id: int, media_id: str, me: CurrentUser, svc: Media, thumb: bool = False
) -> FileResponse:
    """A chat file, for members only; supports HTTP range requests (audio and video)."""
    path, mime, name = await svc.locate(me.user_id, chat_id, media_id, thumb)
    disposition = "inline" if mime.split("/")[0] in {"image", "audio", "video"} else "attachment"
    return FileResponse(
        path,
        media_type=mime,
        filename=name,
        content_disposition_type=disposition,
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=86400"},
    )


_SEND_PATH = re.compile(r"/chats/([1-9][0-9]{0,17})/messages")
_JSON = re.compile(rb"application/json\s*(;.*)?", re.IGNORECASE)


class SendShortcut:
    """ASGI middleware, innermost (after the request context and body limit): `POST
    /chats/{id}/messages` with a JSON body that is a valid `SendIn` from a signed-in user goes
    straight to `ChatService.send`, past FastAPI's router (which tries the routes one by one),
    dependency solving and response validation: under a send storm those cost about a third
    of the server's CPU per message. The route above stays the API's definition; the answer is
    the same (201 and the `MessageOut`, or the same problem for the service's refusals, rendered
    by the app's own exception handlers). Anything the shortcut is not sure of — another
    content type, a body that does not validate, no session — goes the usual way with the
    body replayed, so those answers are the router's own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        matched = (
            _SEND_PATH.fullmatch(scope["path"])
            if scope["type"] == "http" and scope["method"] == "POST"
            else None
        )
        if matched is None:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away before its body arrived
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        data = _send_in(scope, body)
        app = scope["app"]
        request = Request(scope, replay)
        principal = None
        if data is not None:
            try:
                principal = await app.state.authenticator.principal(request)
            except HutongError as exc:  # a cookie session without its CSRF header
                await _render(app, request, exc, scope, replay, send)
                return
        if data is None or principal is None:
            await self.app(scope, replay, send)
            return
        scope["route"] = _SEND_ROUTE  # for the request metrics' route label
        chats: ChatService = app.state.chats
        try:
            sent = await chats.send(principal.user_id, int(matched[1]), data)
        except Exception as exc:
            await _render(app, request, exc, scope, replay, send)
            return
        response = Response(sent.model_dump_json(), status_code=201, media_type="application/json")
        await response(scope, replay, send)


def _send_in(scope: Scope, body: bytes) -> SendIn | None:
    """The body as a `SendIn` if it is JSON that validates, else None (the router answers)."""
    for name, value in scope["headers"]:
        if name == b"content-type":
            if not _JSON.fullmatch(value):
                return None
            break
    else:
        return None
    try:
        return SendIn.model_validate_json(body)
    except ValidationError:
        return None


async def _render(
    app: Any, request: Request, exc: Exception, scope: Scope, receive: Receive, send: Send
) -> None:
    """Answer `exc` as the app's exception handlers would (FastAPI's ExceptionMiddleware);
    anything they leave to the server's last resort is raised as it would be there."""
    for cls in type(exc).__mro__:
        if cls is Exception:
            break
        handler = app.exception_handlers.get(cls)
        if handler is not None:
            response = await handler(request, exc)
            await response(scope, receive, send)
            return
    raise exc


_SEND_ROUTE = next(
    r
    for r in router.routes
    if isinstance(r, APIRoute)
    and r.path == "/chats/{chat_id}/messages"
    and "POST" in (r.methods or ())
)
