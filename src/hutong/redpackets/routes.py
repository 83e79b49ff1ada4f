"""Red-envelope HTTP API, for members of the chat the envelope is in.

    POST /chats/{chat_id}/redpackets   K P  send: 201 with the envelope
    POST /redpackets/{id}/open              open: 200 with the amount
    GET  /redpackets/{id}                   who got what and when; the luckiest once all taken
    GET  /redpackets?direction=sent|received[&before=…]   my record

Sending moves money, so it needs an `Idempotency-Key` (a retry returns the first answer) and
the payment PIN. Opening needs no key: a member opens an envelope at most once, and a repeat is
409 `redpacket-already-opened` with the amount in `amount`.

Problem types: `redpacket-amount-out-of-range`, `redpacket-shares-out-of-range`,
`redpacket-wrong-chat`, `redpacket-recipient-not-in-group`, `redpacket-not-for-you` (403),
`redpacket-already-opened` (409), `redpacket-all-taken` (409), `redpacket-expired` (410), plus
the wallet's (`wrong-pin`, `pin-locked`, `insufficient-funds`, `daily-limit-exceeded`,
`idempotency-key-reused`…) and the platform's (`not-found` for a chat or envelope you are not
in, `invalid-input`).

Realtime: `redpacket.opened` to the opener and the sender (`envelope_id, chat_id, sender_id,
opener_id, amount, tx_id`), `redpacket.refunded` to the sender after expiry; the envelope itself
arrives as a `chat.message` of kind `red_envelope`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from starlette.requests import HTTPConnection

from hutong.core.auth import Principal, require_principal
from hutong.redpackets.schemas import MAX_ID, EnvelopeOut, OpenOut, RecordOut, SendIn
from hutong.redpackets.service import RedPackets
from hutong.wallet.routes import Key

router = APIRouter(tags=["red envelopes"])
CurrentUser = Annotated[Principal, Depends(require_principal)]
ObjectId = Annotated[int, Path(ge=1, le=MAX_ID)]


async def _redpackets(conn: HTTPConnection) -> RedPackets:
    svc: RedPackets = conn.app.state.redpackets
    return svc


Service = Annotated[RedPackets, Depends(_redpackets)]


@router.post("/chats/{chat_id}/redpackets", response_model=EnvelopeOut, status_code=201)
async def send(
    chat_id: ObjectId, body: SendIn, principal: CurrentUser, svc: Service, key: Key
) -> EnvelopeOut:
    """Pay an envelope into the chat (PIN, Idempotency-Key); it appears as a message."""
    return await svc.send(principal.user_id, chat_id, body, key)


@router.post("/redpackets/{envelope_id}/open", response_model=OpenOut)
async def open_envelope(envelope_id: ObjectId, principal: CurrentUser, svc: Service) -> OpenOut:
    return await svc.open(principal.user_id, envelope_id)


@router.get("/redpackets/{envelope_id}", response_model=EnvelopeOut)
async def details(envelope_id: ObjectId, principal: CurrentUser, svc: Service) -> EnvelopeOut:
    return await svc.details(principal.user_id, envelope_id)


@router.get("/redpackets", response_model=RecordOut)
async def record(
    principal: CurrentUser,
    svc: Service,
    direction: Literal["sent", "received"] = "received",
    before: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> RecordOut:
    return await svc.record(principal.user_id, direction, before=before, limit=limit)
