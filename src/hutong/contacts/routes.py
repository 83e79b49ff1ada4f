"""Contacts HTTP API (all under `/contacts`, all for the signed-in user only).

There is no user-id parameter that reads someone else's data: every list is the caller's own.
Errors are problem+json; the contacts-specific `type` slugs are `self-request`, `blocked`,
`not-findable`, `already-friends`, `duplicate-request`, `not-a-phone-number`, `no-qr-code`,
`malformed-contacts-file` (with `line`), plus the platform ones (`not-found`, `conflict`,
`expired` for reset/expired/used codes, `payload-too-large`, `unsupported-media`,
`too-many-requests` with `retry_after`).

Realtime: see `hutong.contacts.events` for the sync events these calls produce.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Path, Query, Request, Response, UploadFile
from starlette.requests import HTTPConnection

from hutong.contacts.schemas import (
    AcceptIn,
    BlockedOut,
    FriendListOut,
    FriendOut,
    FriendPatchIn,
    ImportOut,
    InviteOut,
    MatchIn,
    MatchOut,
    PersonOut,
    PrivacyIn,
    PrivacyOut,
    QrCodeOut,
    RedeemIn,
    RequestOut,
    ScanOut,
    SendRequestIn,
    SuggestionOut,
    TagOut,
)
from hutong.contacts.service import ContactsService
from hutong.core.auth import Principal, require_principal

router = APIRouter(prefix="/contacts", tags=["contacts"])
CurrentUser = Annotated[Principal, Depends(require_principal)]


async def contacts(conn: HTTPConnection) -> ContactsService:
    svc: ContactsService = conn.app.state.contacts
    return svc


Contacts = Annotated[ContactsService, Depends(contacts)]
# Ids are 64-bit; anything outside is a 422, never a database error.
Id = Annotated[int, Path(gt=0, lt=2**63)]


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


# -- privacy ---------------------------------------------------------------------------


@router.get("/privacy", response_model=PrivacyOut)
async def get_privacy(me: CurrentUser, svc: Contacts) -> PrivacyOut:
    """How others may find and add me."""
    return await svc.privacy(me.user_id)


@router.patch("/privacy", response_model=PrivacyOut)
async def set_privacy(body: PrivacyIn, me: CurrentUser, svc: Contacts) -> PrivacyOut:
    """Change any of the switches; omitted ones stay as they are."""
    return await svc.update_privacy(me.user_id, body)


# -- finding people --------------------------------------------------------------------


@router.get("/search", response_model=PersonOut)
async def search(
    me: CurrentUser, svc: Contacts, q: Annotated[str, Query(min_length=1, max_length=40)]
) -> PersonOut:
    """Find one person by exact handle or phone number (if they allow it). 404 otherwise.
    Send a request with the `source` of the answer ("handle" or "phone")."""
    return await svc.search(me.user_id, q)


@router.get("/users/{handle}", response_model=PersonOut)
async def view_user(handle: str, me: CurrentUser, svc: Contacts) -> PersonOut:
    """A profile page: public profile plus relationship (friend, remark, pending requests,
    blocked). 404 if they blocked me."""
    return await svc.view(me.user_id, handle)


# -- friends ---------------------------------------------------------------------------


@router.get("/friends", response_model=FriendListOut)
async def friends(
    me: CurrentUser,
    svc: Contacts,
    q: Annotated[str | None, Query(max_length=40, description="filter")] = None,
) -> FriendListOut:
    """My friends, sorted for the A–Z index (pinyin for Chinese names), with the letters."""
    return await svc.friends(me.user_id, q)


@router.get("/friends/{user_id}", response_model=FriendOut)
async def friend(user_id: Id, me: CurrentUser, svc: Contacts) -> FriendOut:
    return await svc.friend(me.user_id, user_id)


@router.patch("/friends/{user_id}", response_model=FriendOut)
async def update_friend(
    user_id: Id, body: FriendPatchIn, me: CurrentUser, svc: Contacts
) -> FriendOut:
    """Set my remark and/or tags for a friend."""
    return await svc.update_friend(me.user_id, user_id, body)


@router.delete("/friends/{user_id}", status_code=204)
async def remove_friend(user_id: Id, me: CurrentUser, svc: Contacts) -> Response:
    """Delete a friend (for both sides; they get `contacts.friend_removed`)."""
    await svc.remove_friend(me.user_id, user_id)
    return Response(status_code=204)


@router.get("/tags", response_model=list[TagOut])
async def tags(me: CurrentUser, svc: Contacts) -> list[TagOut]:
    """My tags with how many friends carry each."""
    return await svc.tags(me.user_id)


# -- requests --------------------------------------------------------------------------


@router.get("/requests", response_model=list[RequestOut])
async def list_requests(
    me: CurrentUser,
    svc: Contacts,
    direction: Literal["incoming", "outgoing", "all"] = "incoming",
) -> list[RequestOut]:
    """ "New friends": requests to me (or from me), newest first, any status but withdrawn."""
    return await svc.requests.for_user(me.user_id, direction)


@router.post("/requests", response_model=RequestOut, status_code=201)
async def send_request(body: SendRequestIn, me: CurrentUser, svc: Contacts) -> RequestOut:
    """Send a friend request. `source` says how I found them; "qr" needs `qr_token`. The
    answer is "pending", or "accepted" when they need no approval or had asked me first."""
    return await svc.requests.send(
        me.user_id,
        body.to_user_id,
        source=body.source,
        greeting=body.greeting,
        remark=body.remark,
        tags=body.tags,
        qr_token=body.qr_token,
    )


@router.get("/requests/{request_id}", response_model=RequestOut)
async def get_request(request_id: Id, me: CurrentUser, svc: Contacts) -> RequestOut:
    return await svc.requests.get(me.user_id, request_id)


@router.post("/requests/{request_id}/accept", response_model=RequestOut)
async def accept(
    request_id: Id, me: CurrentUser, svc: Contacts, body: AcceptIn | None = None
) -> RequestOut:
    """Accept a request to me, optionally with my remark and tags for the new friend."""
    body = body or AcceptIn()
    return await svc.requests.accept(me.user_id, request_id, body.remark, body.tags)


@router.post("/requests/{request_id}/decline", response_model=RequestOut)
async def decline(request_id: Id, me: CurrentUser, svc: Contacts) -> RequestOut:
    return await svc.requests.decline(me.user_id, request_id)


@router.post("/requests/{request_id}/withdraw", response_model=RequestOut)
async def withdraw(request_id: Id, me: CurrentUser, svc: Contacts) -> RequestOut:
    return await svc.requests.withdraw(me.user_id, request_id)


# -- blocks ----------------------------------------------------------------------------


@router.get("/blocks", response_model=list[BlockedOut])
async def blocked(me: CurrentUser, svc: Contacts) -> list[BlockedOut]:
    return await svc.blocked(me.user_id)


@router.put("/blocks/{user_id}", response_model=BlockedOut)
async def block(user_id: Id, me: CurrentUser, svc: Contacts) -> BlockedOut:
    """Block someone: they cannot request, message or see me. Idempotent."""
    return await svc.block(me.user_id, user_id)


@router.delete("/blocks/{user_id}", status_code=204)
async def unblock(user_id: Id, me: CurrentUser, svc: Contacts) -> Response:
    await svc.unblock(me.user_id, user_id)
    return Response(status_code=204)


# -- QR codes and scanning -------------------------------------------------------------


@router.get("/qr", response_model=QrCodeOut)
async def my_qr(request: Request, me: CurrentUser, svc: Contacts) -> QrCodeOut:
    """My personal QR code: the URL it encodes, plain PNG/SVG, and the card with my avatar."""
    return await svc.qr.my_code(me.user_id, base_url(request))


@router.post("/qr/reset", response_model=QrCodeOut)
async def reset_qr(request: Request, me: CurrentUser, svc: Contacts) -> QrCodeOut:
    """A new personal code; the old one answers 410 from now on."""
    return await svc.qr.reset(me.user_id, base_url(request))


@router.get("/qr/{token}.png")
async def qr_card_png(token: str, request: Request, svc: Contacts) -> Response:
    """A personal code with the owner's avatar in the middle (plain if that would not scan)."""
    data = await svc.qr.card(token, "png", base_url(request))
    return Response(data, media_type="image/png", headers={"Cache-Control": "private, max-age=300"})


@router.get("/qr/{token}.svg")
async def qr_card_svg(token: str, request: Request, svc: Contacts) -> Response:
    data = await svc.qr.card(token, "svg", base_url(request))
    return Response(
        data, media_type="image/svg+xml", headers={"Cache-Control": "private, max-age=300"}
    )


@router.post("/scan", response_model=ScanOut)
async def scan(me: CurrentUser, svc: Contacts, file: Annotated[UploadFile, File()]) -> ScanOut:
    """Upload a photo or screenshot of a QR code (multipart field `file`). A Hutong code is
    resolved as if opened (`result` = what `GET /api/qr/<token>` answers); any other code
    comes back as `kind: "text"`. No code in the image: 422 `no-qr-code`."""
    data = await file.read(svc.policy.scan_max_bytes + 1)
    return await svc.qr.scan(data, me)


# -- contact book ----------------------------------------------------------------------


@router.post("/match", response_model=MatchOut)
async def match(body: MatchIn, me: CurrentUser, svc: Contacts) -> MatchOut:
    """Which of my phone contacts are on Hutong. Send SHA-256 hex digests of E.164 numbers
    (or raw numbers), at most 10,000 per request; daily quota applies (429 when spent)."""
    return await svc.matching.match(me.user_id, body.numbers, body.region)


@router.post("/import", response_model=ImportOut)
async def import_contacts(
    request: Request, me: CurrentUser, svc: Contacts, file: Annotated[UploadFile, File()]
) -> ImportOut:
    """Import a .vcf or .csv address book (multipart field `file`): people on Hutong become
    suggestions, the others get personal invite links. All or nothing; a malformed file is a
    422 `malformed-contacts-file` naming the `line`."""
    data = await file.read(svc.policy.import_max_bytes + 1)
    return await svc.imports.import_file(me.user_id, file.filename or "", data, base_url(request))


@router.get("/suggestions", response_model=list[SuggestionOut])
async def suggestions(me: CurrentUser, svc: Contacts) -> list[SuggestionOut]:
    """People from my imported address book who are on Hutong and not yet friends."""
    return await svc.imports.suggestions(me.user_id)


@router.delete("/suggestions/{user_id}", status_code=204)
async def dismiss_suggestion(user_id: Id, me: CurrentUser, svc: Contacts) -> Response:
    await svc.imports.dismiss(me.user_id, user_id)
    return Response(status_code=204)


@router.get("/invites", response_model=list[InviteOut])
async def invites(request: Request, me: CurrentUser, svc: Contacts) -> list[InviteOut]:
    """My personal invite links, one per imported contact not on Hutong."""
    return await svc.imports.invites(me.user_id, base_url(request))


@router.post("/invites/redeem", response_model=FriendOut)
async def redeem_invite(body: RedeemIn, me: CurrentUser, svc: Contacts) -> FriendOut:
    """Use an invite link (after signing up through it): the inviter becomes my friend."""
    return await svc.imports.redeem(me.user_id, body.token)
