"""Shapes of the mini-program APIs. Money is integer fen."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from hutong.wallet.schemas import Fen, Pin

MAX_ID = 2**62
CATEGORIES = ("food", "shopping", "utilities", "travel", "games", "tools", "education", "other")
Category = Literal[
    "food", "shopping", "utilities", "travel", "games", "tools", "education", "other"
]
VersionStatus = Literal[
    "develop", "trial", "submitted", "approved", "rejected", "released", "superseded", "rolled_back"
]
_LABEL = r"[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?"
_DOMAIN = re.compile(rf"^{_LABEL}(\.{_LABEL})*(:\d{{1,5}})?$")


def _domain(value: str) -> str:
    value = value.strip().lower()
    if not _DOMAIN.match(value):
        raise ValueError("a host name, optionally with :port (no scheme, no path)")
    return value


Domain = Annotated[str, AfterValidator(_domain)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
TradeNo = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_\-|*@]{1,64}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DeveloperIn(Strict):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class DeveloperOut(BaseModel):
    user_id: int
    name: str
    merchant_id: int
    created_at: dt.datetime


class AppIn(Strict):
    name: Name
    description: Description = ""
    category: Category = "other"
    domains: Annotated[list[Domain], Field(max_length=20)] = []


class AppPatch(Strict):
    description: Description | None = None
    category: Category | None = None
    domains: Annotated[list[Domain], Field(max_length=20)] | None = None


class AppPublic(BaseModel):
    """What anyone sees: the directory entry and the app's own page."""

    appid: str
    name: str
    description: str
    category: str
    icon_url: str | None  # none: clients draw the name's initial on the category's colour
    developer_id: int
    developer_name: str
    permissions: list[str]
    released_version: str | None


class AppOut(AppPublic):
    """What the developer sees."""

    domains: list[str]
    testers: list[int]
    rollout_percent: int
    secret_rotated_at: dt.datetime
    created_at: dt.datetime


class AppCreated(AppOut):
    secret: str  # shown once, here and on rotation


class SecretOut(BaseModel):
    appid: str
    secret: str
    secret_rotated_at: dt.datetime


class VersionOut(BaseModel):
    id: int
    appid: str
    version: str
    status: VersionStatus
    manifest: dict[str, Any]
    bundle_sha256: str
    size: int
    unpacked_size: int
    file_count: int
    note: str
    reject_reason: str
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    reviewed_at: dt.datetime | None
    released_at: dt.datetime | None


class RolloutIn(Strict):
    percent: Annotated[int, Field(ge=1, le=100)]


class RejectIn(Strict):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class LaunchOut(BaseModel):
    """Where the client points the app's frame: a signed URL on the mini-program origin."""

    appid: str
    version_id: int
    version: str
    status: VersionStatus
    url: str
    origin: str
    permissions: list[str]


class LoginCodeOut(BaseModel):
    code: str
    expires_at: dt.datetime


# -- the developer's backend -----------------------------------------------------------------


class SessionIn(Strict):
    code: Annotated[str, StringConstraints(min_length=1, max_length=100)]


class SessionOut(BaseModel):
    openid: str
    unionid: str
    session_key: str


class OrderIn(Strict):
    out_trade_no: TradeNo
    openid: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    amount: Fen
    description: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)
    ]
    notify_url: Annotated[str, StringConstraints(min_length=1, max_length=500)]


class OrderOut(BaseModel):
    appid: str
    out_trade_no: str
    prepay_id: str
    openid: str
    amount: int
    description: str
    status: Literal["created", "paid"]
    payment_id: int | None
    refunded: int
    created_at: dt.datetime
    paid_at: dt.datetime | None


class PayOrderIn(Strict):
    pin: Pin


class UserOrderOut(BaseModel):
    """The host's pay sheet: what the user is asked to pay, and to whom."""

    prepay_id: str
    appid: str
    app_name: str
    payee: str
    amount: int
    description: str
    status: Literal["created", "paid"]
    payment_id: int | None


class RefundIn(Strict):
    out_refund_no: TradeNo
    amount: Fen
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)] = ""


class RefundOut(BaseModel):
    out_refund_no: str
    out_trade_no: str
    amount: int
    refund_id: int
    order: OrderOut
