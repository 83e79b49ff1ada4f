"""Request and response shapes of the contacts API, with the input rules."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from hutong.accounts import PublicUser

# How the requester found the person. The HTTP API accepts the first four; later domains that
# verify a relation themselves (shared group, a shared contact card) pass their own.
HttpSource = Literal["handle", "phone", "qr", "contacts"]
Source = Literal["handle", "phone", "qr", "contacts", "invite", "group", "card"]
RequestStatus = Literal["pending", "accepted", "declined", "withdrawn"]

MAX_TAGS = 20


def _clean_tags(tags: list[str]) -> list[str]:
    out: list[str] = []
    for tag in tags:
        t = tag.strip()
        if not t:
            raise ValueError("tags cannot be empty")
        if len(t) > 20:
            raise ValueError("a tag has at most 20 characters")
        if t not in out:
            out.append(t)
    if len(out) > MAX_TAGS:
        raise ValueError(f"at most {MAX_TAGS} tags")
    return out


Remark = Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)]
Greeting = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
Tags = Annotated[list[str], AfterValidator(_clean_tags)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- privacy ---------------------------------------------------------------------------


class PrivacyOut(BaseModel):
    """Ways others may find and add the user. All default to true."""

    findable_by_handle: bool
    findable_by_phone: bool
    findable_by_email: bool
    findable_by_qr: bool
    require_approval: bool = Field(description="false: requests become friendships at once")


class PrivacyIn(Strict):
    findable_by_handle: bool | None = None
    findable_by_phone: bool | None = None
    findable_by_email: bool | None = None
    findable_by_qr: bool | None = None
    require_approval: bool | None = None


# -- people and relationships ----------------------------------------------------------


class Relationship(BaseModel):
    """How the viewer relates to a user (what the profile page shows as buttons)."""

    is_self: bool
    is_friend: bool
    remark: str = ""
    tags: list[str] = Field(default_factory=list)
    incoming_request_id: int | None = Field(None, description="their pending request to me")
    outgoing_request_id: int | None = Field(None, description="my pending request to them")
    blocked_by_me: bool = False


class PersonOut(BaseModel):
    """A user as seen by the viewer, with the `source` to quote when sending a request."""

    user: PublicUser
    relationship: Relationship
    source: Source | None = None


# -- requests --------------------------------------------------------------------------


class SendRequestIn(Strict):
    to_user_id: int = Field(gt=0, lt=2**63)
    source: HttpSource = Field(description="how the user was found: handle, phone, qr, contacts")
    greeting: Greeting = ""
    remark: Remark = Field("", description="what I will call them once accepted")
    tags: Tags = Field(default_factory=list)
    qr_token: Annotated[str, StringConstraints(max_length=200)] | None = Field(
        None, description="required when source is qr: the scanned personal QR token"
    )


class AcceptIn(Strict):
    remark: Remark = ""
    tags: Tags = Field(default_factory=list)


class RequestOut(BaseModel):
    id: int
    from_user: PublicUser
    to_user: PublicUser
    greeting: str
    source: str
    status: RequestStatus
    created_at: dt.datetime
    decided_at: dt.datetime | None


# -- friends ---------------------------------------------------------------------------


class FriendOut(BaseModel):
    user: PublicUser
    remark: str
    tags: list[str]
    letter: str = Field(description="A–Z index letter of the shown name (remark first), or #")
    since: dt.datetime


class FriendListOut(BaseModel):
    friends: list[FriendOut] = Field(description="sorted by index letter, then pinyin/name")
    index: list[str] = Field(description="letters that have friends, A–Z then #")


class FriendPatchIn(Strict):
    remark: Remark | None = None
    tags: Tags | None = None


class TagOut(BaseModel):
    tag: str
    count: int


class BlockedOut(BaseModel):
    user: PublicUser
    since: dt.datetime


# -- QR codes --------------------------------------------------------------------------


class QrCodeOut(BaseModel):
    token: str
    url: str = Field(description="what the code encodes: <public url>/qr/<token>")
    png_url: str = Field(description="plain code, PNG")
    svg_url: str = Field(description="plain code, SVG")
    card_png_url: str | None = Field(None, description="code with the avatar in the middle")
    card_svg_url: str | None = None
    expires_at: dt.datetime | None = None


class ScanOut(BaseModel):
    """A decoded image. `kind` is the QR token kind (u, g, inv, login …) or `text` for a
    code that is not a Hutong link; `result` is what `/api/qr/<token>` would answer."""

    kind: str
    text: str
    token: str | None = None
    result: dict[str, object] | None = None


# -- matching and import ---------------------------------------------------------------


class MatchIn(Strict):
    numbers: list[Annotated[str, StringConstraints(max_length=64)]] = Field(
        description="SHA-256 hex digests of E.164 numbers (preferred) or raw numbers",
        min_length=1,
    )
    region: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = Field(
        None, description="ISO country for raw numbers without +; server default otherwise"
    )


class MatchOut(BaseModel):
    class Match(BaseModel):
        entry: str = Field(description="the uploaded entry as sent")
        user: PublicUser
        is_friend: bool

    matches: list[Match]
    checked: int
    numbers_left_today: int


class SuggestionOut(BaseModel):
    user: PublicUser
    contact_name: str
    source: str
    created_at: dt.datetime


class InviteOut(BaseModel):
    id: int
    contact_name: str
    phone: str | None
    email: str | None
    token: str
    url: str
    redeemed: bool
    created_at: dt.datetime


class ImportOut(BaseModel):
    contacts: int = Field(description="people read from the file")
    suggestions: list[SuggestionOut]
    invites: list[InviteOut]


class RedeemIn(Strict):
    token: Annotated[str, StringConstraints(min_length=1, max_length=200)]
