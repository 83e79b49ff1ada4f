"""Wallet HTTP API, all under `/wallet`, all for the signed-in user's own money.

There is no user-id parameter that reads another user's wallet, bills or transfers: lists are
the caller's own; a transfer is visible only to its sender and recipient, a merchant's
payments and settlements only to its owner (anyone else gets 404, which reveals nothing).

**Money** is integer fen in JSON integers. **Every request that moves money** — top-up,
withdrawal, transfer, accept, decline, pay, charge, refund, settle — needs an
`Idempotency-Key` header (1–255 printable ASCII characters, unique per user and kept at least
24 h): retrying with the same key and body returns the first answer and moves nothing again,
including when the first answer was an error decided by the ledger (`insufficient-funds`,
`daily-limit-exceeded`, `not-pending`, `refund-exceeds-payment`, `payment-code-expired`); the
same key with a different body is 409 `idempotency-key-reused`. Requests refused before money
was considered (bad input, wrong PIN, not friends) store nothing and may be retried.

**Outgoing money needs the 6-digit payment PIN** in the body (`pin`): transfers, QR payments,
withdrawals, settling a merchant's takings, enabling payment codes. Five wrong PINs lock
payments for 3 hours: 423 `pin-locked` with `locked_until`.

Problem types (RFC 9457, `type` slug): `amount-too-large`, `self-payment`, `not-friends`,
`blocked`, `insufficient-funds`, `daily-limit-exceeded`, `idempotency-key-required`,
`idempotency-key-reused`, `pin-not-set`, `weak-pin`, `wrong-pin` (with `attempts_left`),
`pin-locked`, `not-pending`, `transfer-expired`, `refund-exceeds-payment`,
`payment-code-invalid`, `payment-code-expired`, `bank-declined` (402), `card-invalid`, plus
the platform's `invalid-input`, `not-found`, `forbidden`, `too-many-requests`, `expired`.

Realtime: see `hutong.wallet.events` for the sync events.

At a glance (K = needs `Idempotency-Key`, P = needs `pin` in the body):

    GET    /wallet                                balance, PIN state, today's spending, limits
    PUT    /wallet/pin                            set or change the payment PIN
    PUT    /wallet/limits                  P      your own daily limit
    GET    /wallet/cards, POST /wallet/cards, DELETE /wallet/cards/{id}
    POST   /wallet/topups                  K      201 done, 202 pending, 402 declined
    POST   /wallet/withdrawals             K P    same; the amount plus fee is held at once
    GET    /wallet/bank-operations[/{id}]
    POST   /wallet/transfers               K P    to a friend: 201 with status "pending"
    GET    /wallet/transfers[?direction=in|out&status=…&before=…], GET /wallet/transfers/{id}
    POST   /wallet/transfers/{id}/accept   K      recipient only
    POST   /wallet/transfers/{id}/decline  K      recipient only
    POST   /wallet/merchants, GET /wallet/merchants[/{id}], POST /wallet/merchants/{id}/qr/reset
    POST   /wallet/pay                     K P    pay the merchant of a scanned collect QR
    POST   /wallet/merchants/{id}/charge   K      the till submits a payment code
    GET    /wallet/merchants/{id}/payments        incoming payments with refunded amounts
    POST   /wallet/merchants/{id}/refunds  K      full or partial
    POST   /wallet/merchants/{id}/settle   K P    takings to the owner's wallet
    GET    /wallet/merchants/{id}/settlements     per day: payments, gross, refunds, net
    POST   /wallet/paycode                 P      enable payment codes on this device
    GET    /wallet/paycode                        the current 18-digit code and its QR (SVG)
    DELETE /wallet/paycode
    GET    /wallet/bills[?kind=…&direction=…&start=…&end=…&before=…]
    GET    /wallet/bills/months?year=…            income and expense per month

A collect-money QR is a platform code: `GET /api/qr/<token>` answers
`{"kind": "pay", "action": "pay_merchant", "merchant": {...}}` and the client then posts
`/wallet/pay` with that token, the amount and the PIN.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from starlette.requests import HTTPConnection

from hutong.core.auth import Principal, require_principal
from hutong.core.errors import InvalidInput
from hutong.wallet.errors import IdempotencyKeyRequired
from hutong.wallet.schemas import (
    MAX_ID,
    BankOpOut,
    BillsOut,
    CardIn,
    CardOut,
    ChargeIn,
    LimitIn,
    MerchantIn,
    MerchantOut,
    MonthOut,
    PaycodeEnableIn,
    PaycodeOut,
    PayIn,
    PaymentListOut,
    PaymentOut,
    PinIn,
    RefundIn,
    RefundOut,
    SettleIn,
    SettlementDayOut,
    TopupIn,
    TransferIn,
    TransferListOut,
    TransferOut,
    WalletOut,
    WithdrawIn,
)
from hutong.wallet.service import WalletService

router = APIRouter(prefix="/wallet", tags=["wallet"])
CurrentUser = Annotated[Principal, Depends(require_principal)]
ObjectId = Annotated[int, Path(ge=1, le=MAX_ID)]


async def wallet(conn: HTTPConnection) -> WalletService:
    svc: WalletService = conn.app.state.wallet
    return svc


def idempotency_key(
    key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> str:
    """The client's key for a money-moving request (a UUID is a good choice)."""
    if key is None or not key.strip():
        raise IdempotencyKeyRequired(
            "Send an Idempotency-Key header with every request that moves money.",
            fields={"Idempotency-Key": "required"},
        )
    if len(key) > 255 or not key.isascii() or not key.isprintable():
        raise InvalidInput(
            "The Idempotency-Key must be 1–255 printable ASCII characters.",
            fields={"Idempotency-Key": "1–255 printable ASCII characters"},
        )
    return key


Wallet = Annotated[WalletService, Depends(wallet)]
Key = Annotated[str, Depends(idempotency_key)]


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


# -- wallet, PIN, limits --------------------------------------------------------------------


@router.get("", response_model=WalletOut)
async def overview(principal: CurrentUser, svc: Wallet) -> WalletOut:
    """Balance, PIN state, today's spending against the daily limit, waiting transfers."""
    return await svc.overview(principal.user_id, principal.session_id)


@router.put("/pin", status_code=204)
async def set_pin(body: PinIn, principal: CurrentUser, svc: Wallet) -> Response:
    """Set the payment PIN (first time: with `password`), or change it (with `current_pin`,
    or `password` when it is forgotten or locked — which also lifts the lock)."""
    await svc.pins.set_pin(
        principal.user_id, body.pin, current_pin=body.current_pin, password=body.password
    )
    return Response(status_code=204)


@router.put("/limits", response_model=WalletOut)
async def set_limits(body: LimitIn, principal: CurrentUser, svc: Wallet) -> WalletOut:
    """Lower (or restore) your own daily limit for outgoing money; never above the platform's."""
    return await svc.set_daily_limit(principal.user_id, body.daily_limit, body.pin)


# -- cards and the bank ---------------------------------------------------------------------


@router.get("/cards", response_model=list[CardOut])
async def cards(principal: CurrentUser, svc: Wallet) -> list[CardOut]:
    return await svc.banking.cards(principal.user_id)


@router.post("/cards", response_model=CardOut, status_code=201)
async def link_card(body: CardIn, principal: CurrentUser, svc: Wallet) -> CardOut:
    """Link a bank card (sandbox bank: any Luhn-valid number; ending 0002 declines, 0051
    times out, 0077 answers late)."""
    return await svc.banking.link_card(principal.user_id, body.number)


@router.delete("/cards/{card_id}", status_code=204)
async def remove_card(card_id: ObjectId, principal: CurrentUser, svc: Wallet) -> Response:
    await svc.banking.remove_card(principal.user_id, card_id)
    return Response(status_code=204)


@router.post("/topups", response_model=BankOpOut, status_code=201)
async def topup(
    body: TopupIn, principal: CurrentUser, svc: Wallet, key: Key, response: Response
) -> BankOpOut:
    """Add money from a linked card. 201 when done; 202 (status "pending") if the bank has
    not answered in time — it is finished by reconciliation and announced by `wallet.topup`."""
    op = await svc.banking.topup(principal.user_id, body, key)
    response.status_code = 202 if op.status == "pending" else 201
    return op


@router.post("/withdrawals", response_model=BankOpOut, status_code=201)
async def withdraw(
    body: WithdrawIn, principal: CurrentUser, svc: Wallet, key: Key, response: Response
) -> BankOpOut:
    """Send money to a linked card. The amount plus the fee is held at once; 201 when the bank
    paid out, 402 `bank-declined` (money returned) if it refused, 202 while it is pending."""
    op = await svc.banking.withdraw(principal.user_id, body, key)
    response.status_code = 202 if op.status == "pending" else 201
    return op


@router.get("/bank-operations", response_model=list[BankOpOut])
async def bank_operations(principal: CurrentUser, svc: Wallet) -> list[BankOpOut]:
    return await svc.banking.operations(principal.user_id)


@router.get("/bank-operations/{op_id}", response_model=BankOpOut)
async def bank_operation(op_id: ObjectId, principal: CurrentUser, svc: Wallet) -> BankOpOut:
    return await svc.banking.operation(principal.user_id, op_id)


# -- transfers to friends ---------------------------------------------------------------------


@router.post("/transfers", response_model=TransferOut, status_code=201)
async def send_transfer(
    body: TransferIn, principal: CurrentUser, svc: Wallet, key: Key
) -> TransferOut:
    """Send money to a friend. It leaves your wallet at once; the friend has 24 h to accept,
    else it comes back by itself."""
    return await svc.transfers.send(principal.user_id, body, key)


@router.get("/transfers", response_model=TransferListOut)
async def transfers(
    principal: CurrentUser,
    svc: Wallet,
    direction: Literal["in", "out"] | None = None,
    status: Literal["pending", "accepted", "declined", "returned"] | None = None,
    before: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> TransferListOut:
    return await svc.transfers.listing(
        principal.user_id, direction=direction, status=status, before=before, limit=limit
    )


@router.get("/transfers/{transfer_id}", response_model=TransferOut)
async def transfer(transfer_id: ObjectId, principal: CurrentUser, svc: Wallet) -> TransferOut:
    return await svc.transfers.get(principal.user_id, transfer_id)


@router.post("/transfers/{transfer_id}/accept", response_model=TransferOut)
async def accept_transfer(
    transfer_id: ObjectId, principal: CurrentUser, svc: Wallet, key: Key
) -> TransferOut:
    """The recipient takes the money."""
    return await svc.transfers.accept(principal.user_id, transfer_id, key)


@router.post("/transfers/{transfer_id}/decline", response_model=TransferOut)
async def decline_transfer(
    transfer_id: ObjectId, principal: CurrentUser, svc: Wallet, key: Key
) -> TransferOut:
    """The recipient refuses; the money goes back to the sender at once."""
    return await svc.transfers.decline(principal.user_id, transfer_id, key)


# -- merchants ----------------------------------------------------------------------------------


@router.post("/merchants", response_model=MerchantOut, status_code=201)
async def open_merchant(
    body: MerchantIn, request: Request, principal: CurrentUser, svc: Wallet
) -> MerchantOut:
    """Open a merchant account; it comes with a fixed collect-money QR code."""
    return await svc.merchants.open(principal.user_id, body, base_url(request))


@router.get("/merchants", response_model=list[MerchantOut])
async def my_merchants(request: Request, principal: CurrentUser, svc: Wallet) -> list[MerchantOut]:
    return await svc.merchants.mine(principal.user_id, base_url(request))


@router.get("/merchants/{merchant_id}", response_model=MerchantOut)
async def merchant(
    merchant_id: ObjectId, request: Request, principal: CurrentUser, svc: Wallet
) -> MerchantOut:
    return await svc.merchants.get(principal.user_id, merchant_id, base_url(request))


@router.post("/merchants/{merchant_id}/qr/reset", response_model=MerchantOut)
async def reset_merchant_qr(
    merchant_id: ObjectId, request: Request, principal: CurrentUser, svc: Wallet
) -> MerchantOut:
    """Replace the collect-money code; printed copies of the old one stop working."""
    return await svc.merchants.reset_qr(principal.user_id, merchant_id, base_url(request))


@router.post("/pay", response_model=PaymentOut, status_code=201)
async def pay(body: PayIn, principal: CurrentUser, svc: Wallet, key: Key) -> PaymentOut:
    """Pay a merchant whose collect-money QR you scanned (`qr_token` from `/qr/<token>`)."""
    return await svc.merchants.pay(principal.user_id, body, key)


@router.post("/merchants/{merchant_id}/charge", response_model=PaymentOut, status_code=201)
async def charge(
    merchant_id: ObjectId, body: ChargeIn, principal: CurrentUser, svc: Wallet, key: Key
) -> PaymentOut:
    """The merchant's till submits a customer's payment code (18 digits) and the amount."""
    return await svc.merchants.charge(principal.user_id, merchant_id, body, key)


@router.get("/merchants/{merchant_id}/payments", response_model=PaymentListOut)
async def merchant_payments(
    merchant_id: ObjectId,
    principal: CurrentUser,
    svc: Wallet,
    before: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> PaymentListOut:
    """Incoming payments, newest first, with what has been refunded of each."""
    return await svc.merchants.payments(principal.user_id, merchant_id, before=before, limit=limit)


@router.post("/merchants/{merchant_id}/refunds", response_model=RefundOut, status_code=201)
async def refund(
    merchant_id: ObjectId, body: RefundIn, principal: CurrentUser, svc: Wallet, key: Key
) -> RefundOut:
    """Refund all or part of a payment; refunds never add up to more than was paid."""
    return await svc.merchants.refund(principal.user_id, merchant_id, body, key)


@router.post("/merchants/{merchant_id}/settle", response_model=MerchantOut)
async def settle(
    merchant_id: ObjectId,
    body: SettleIn,
    request: Request,
    principal: CurrentUser,
    svc: Wallet,
    key: Key,
) -> MerchantOut:
    """Move takings from the merchant account to your own wallet."""
    return await svc.merchants.settle(principal.user_id, merchant_id, body, key, base_url(request))


@router.get("/merchants/{merchant_id}/settlements", response_model=list[SettlementDayOut])
async def settlements(
    merchant_id: ObjectId,
    principal: CurrentUser,
    svc: Wallet,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
) -> list[SettlementDayOut]:
    """The daily settlement list: payments, gross, refunds and net per day."""
    return await svc.merchants.settlements(principal.user_id, merchant_id, days=days)


# -- payment codes --------------------------------------------------------------------------------


@router.post("/paycode", response_model=PaycodeOut, status_code=201)
async def enable_paycode(body: PaycodeEnableIn, principal: CurrentUser, svc: Wallet) -> PaycodeOut:
    """Let this device show payment codes (confirmed with the PIN)."""
    return await svc.paycodes.enable(principal.user_id, principal.session_id, body.pin)


@router.get("/paycode", response_model=PaycodeOut)
async def paycode(principal: CurrentUser, svc: Wallet) -> PaycodeOut:
    """This device's current payment code and its QR. Fetch again at `expires_at` (every
    60 s) and after each payment (`wallet.payment_made`): each code pays once."""
    return await svc.paycodes.current(principal.user_id, principal.session_id)


@router.delete("/paycode", status_code=204)
async def disable_paycode(principal: CurrentUser, svc: Wallet) -> Response:
    await svc.paycodes.disable(principal.user_id, principal.session_id)
    return Response(status_code=204)


# -- statements ----------------------------------------------------------------------------------


@router.get("/bills", response_model=BillsOut)
async def bills(
    principal: CurrentUser,
    svc: Wallet,
    kind: Annotated[list[str] | None, Query(max_length=10)] = None,
    direction: Literal["in", "out"] | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    before: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> BillsOut:
    """Your bill list, newest first. Filter by `kind` (repeatable), `direction`, and inclusive
    local dates `start`/`end`; page with `before=<next_before>`."""
    return await svc.statements.bills(
        principal.user_id,
        kinds=kind,
        direction=direction,
        start=start,
        end=end,
        before=before,
        limit=limit,
    )


@router.get("/bills/months", response_model=list[MonthOut])
async def months(
    principal: CurrentUser,
    svc: Wallet,
    year: Annotated[int, Query(ge=2000, le=2100)],
) -> list[MonthOut]:
    """Income and expense per month of `year` (the wallet's time zone)."""
    return await svc.statements.months(principal.user_id, year)
