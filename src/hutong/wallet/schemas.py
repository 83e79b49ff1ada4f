"""Request and response shapes of the wallet API, with the input rules.

Amounts are integer fen (1/100 yuan) in JSON integers: `1.5`, `"100"`, `true`, `0` and
negative numbers are refused with a 422 before anything runs. The per-operation maximum and
the daily limit are settings, checked by the service.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from hutong.wallet.ledger.entries import MAX_POSTING

MAX_ID = 2**63 - 1
Fen = Annotated[
    int, Field(strict=True, gt=0, le=MAX_POSTING, description="Integer fen (1/100 yuan), > 0")
]
Id = Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]
Pin = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- wallet and PIN -----------------------------------------------------------------------


class WalletOut(BaseModel):
    balance: int
    currency: str
    pin_set: bool
    pin_locked_until: dt.datetime | None
    daily_limit: int
    spent_today: int
    max_amount: int
    incoming_pending: int = Field(description="Transfers waiting for you to accept")
    paycode_enabled: bool
    withdraw_fee_bp: int = Field(description="Withdrawal fee in basis points of the amount")
    withdraw_fee_min: int = Field(description="The smallest withdrawal fee, fen")


class PinIn(Strict):
    pin: Pin
    current_pin: Pin | None = Field(None, description="To change a PIN (or give `password`)")
    password: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = Field(
        None, description="Needed for the first PIN, and to reset a forgotten or locked one"
    )


class LimitIn(Strict):
    daily_limit: Fen
    pin: Pin


# -- bank -----------------------------------------------------------------------------------


class CardIn(Strict):
    number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=12, max_length=23)]


class CardOut(BaseModel):
    id: int
    bank: str
    last4: str
    created_at: dt.datetime


class TopupIn(Strict):
    card_id: Id
    amount: Fen


class WithdrawIn(Strict):
    card_id: Id
    amount: Fen
    pin: Pin


class BankOpOut(BaseModel):
    id: int
    kind: Literal["topup", "withdrawal"]
    amount: int
    fee: int
    status: Literal["pending", "succeeded", "failed"]
    error: str = Field(description="Problem type slug when failed")
    reason: str
    card_id: int
    created_at: dt.datetime
    updated_at: dt.datetime


# -- transfers --------------------------------------------------------------------------------


class TransferIn(Strict):
    to_user_id: Id
    amount: Fen
    note: Note = ""
    pin: Pin


class TransferOut(BaseModel):
    id: int
    from_user_id: int
    to_user_id: int
    amount: int
    note: str
    status: Literal["pending", "accepted", "declined", "returned"]
    created_at: dt.datetime
    expires_at: dt.datetime
    resolved_at: dt.datetime | None


class TransferListOut(BaseModel):
    transfers: list[TransferOut]
    next_before: int | None


# -- merchants --------------------------------------------------------------------------------


class MerchantIn(Strict):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    kind: Literal["personal", "organisation"] = "personal"


class QrOut(BaseModel):
    token: str
    url: str
    svg_url: str
    png_url: str


class MerchantOut(BaseModel):
    id: int
    name: str
    kind: str
    balance: int
    created_at: dt.datetime
    collect_qr: QrOut


class MerchantPublic(BaseModel):
    id: int
    name: str
    kind: str


class PayIn(Strict):
    qr_token: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    amount: Fen
    note: Note = ""
    pin: Pin


class ChargeIn(Strict):
    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    amount: Fen
    note: Note = ""


class PaymentOut(BaseModel):
    id: int
    merchant: MerchantPublic
    payer_id: int
    amount: int
    refunded: int
    note: str
    via: Literal["qr", "code"]
    at: dt.datetime


class RefundIn(Strict):
    payment_id: Id
    amount: Fen
    reason: Note = ""


class RefundOut(BaseModel):
    id: int
    payment_id: int
    amount: int
    reason: str
    at: dt.datetime
    payment: PaymentOut


class SettleIn(Strict):
    amount: Fen
    pin: Pin


class SettlementDayOut(BaseModel):
    date: dt.date
    payments: int
    gross: int
    refunds: int
    net: int


class PaymentListOut(BaseModel):
    payments: list[PaymentOut]
    next_before: int | None


# -- payment codes ------------------------------------------------------------------------------


class PaycodeEnableIn(Strict):
    pin: Pin


class PaycodeOut(BaseModel):
    code: str = Field(description="18 digits, starting 10–15; single use")
    expires_at: dt.datetime
    period_s: int
    qr_svg: str = Field(description="The code as an SVG QR image, for the till's scanner")


# -- statements ---------------------------------------------------------------------------------


class Counterparty(BaseModel):
    type: Literal["user", "merchant", "bank"]
    id: int
    name: str
    handle: str | None = None


class BillOut(BaseModel):
    tx_id: int
    kind: str = Field(
        description="topup, withdrawal, withdrawal_returned, transfer, transfer_returned, "
        "payment, refund, settlement (red envelopes add their own)"
    )
    direction: Literal["in", "out"]
    amount: int = Field(description="Positive fen; `direction` tells which way")
    counterparty: Counterparty | None
    at: dt.datetime
    status: Literal["completed", "pending", "accepted", "declined", "returned", "failed"]
    note: str


class BillsOut(BaseModel):
    bills: list[BillOut]
    next_before: int | None


class MonthOut(BaseModel):
    month: str = Field(description="YYYY-MM in the wallet's time zone")
    income: int
    expense: int
    count: int
