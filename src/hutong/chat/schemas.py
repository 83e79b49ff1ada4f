"""Shapes of the chat API and the limits on what a message may carry."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from hutong.accounts import PublicUser

ClientId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
MediaId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
SendKind = Literal["text", "image", "voice", "video", "file", "location", "sticker", "card"]
# Kinds only the server writes: notices, and the money/app kinds whose domains send them.
SERVER_KINDS = frozenset({"system", "red_envelope", "transfer", "miniapp_card"})
# The MIME prefixes each media kind accepts. Browsers record voice as audio-only WebM/Ogg,
# which magic-byte sniffing cannot tell from video, so voice accepts those containers too.
MEDIA_KINDS: dict[str, tuple[str, ...]] = {
    "image": ("image/",),
    "voice": ("audio/", "video/webm", "video/ogg", "application/ogg"),
    "video": ("video/",),
    "file": ("",),
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SendIn(Strict):
    """One message. `client_id` is chosen by the client; resending it never doubles."""

    client_id: ClientId
    kind: SendKind
    text: Annotated[str, StringConstraints(max_length=5000)] | None = None
    media_id: MediaId | None = None
    duration_s: Annotated[float, Field(gt=0, le=3600)] | None = None
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    lng: Annotated[float, Field(ge=-180, le=180)] | None = None
    place: Annotated[str, StringConstraints(max_length=200)] | None = None
    user_id: int | None = Field(None, description="the person a contact card shows")
    mentions: Annotated[list[int], Field(max_length=50)] = []
    mention_all: bool = False


class MessageOut(BaseModel):
    chat_id: int
    seq: int
    sender_id: int | None
    client_id: str | None
    kind: str
    body: dict[str, Any]
    mentions: list[int]
    mention_all: bool
    created_at: dt.datetime
    recalled: bool
    recalled_by: int | None


class ChatOut(BaseModel):
    id: int
    kind: str
    name: str
    avatar_url: str | None
    peer: PublicUser | None = None
    announcement: str
    owner_id: int | None
    role: str
    status: str
    mute_all: bool
    member_count: int
    last_seq: int
    read_seq: int
    unread: int
    muted: bool
    pinned: bool
    hidden: bool
    last_message: MessageOut | None = None


class MemberOut(BaseModel):
    user: PublicUser
    role: str
    status: str
    joined_at: dt.datetime


class DirectIn(Strict):
    user_id: int


class GroupIn(Strict):
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)] = ""
    member_ids: Annotated[list[int], Field(min_length=1, max_length=499)]


class GroupPatchIn(Strict):
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)] | None = None
    announcement: Annotated[str, StringConstraints(max_length=2000)] | None = None
    mute_all: bool | None = None


class InviteIn(Strict):
    user_ids: Annotated[list[int], Field(min_length=1, max_length=499)]


class UserIdIn(Strict):
    user_id: int


class AdminIn(Strict):
    user_id: int
    admin: bool


class ReadIn(Strict):
    seq: Annotated[int, Field(ge=0)]


class ChatSettingsIn(Strict):
    muted: bool | None = None
    pinned: bool | None = None
    hidden: bool | None = None


class JoinIn(Strict):
    token: Annotated[str, StringConstraints(min_length=1, max_length=300)]


class MediaOut(BaseModel):
    media_id: str
    mime: str
    size: int
    name: str
    url: str
    thumb_url: str | None
    width: int | None
    height: int | None


class SearchHit(BaseModel):
    chat_id: int
    chat_name: str
    message: MessageOut
