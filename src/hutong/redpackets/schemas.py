"""Shapes of the red-envelope API. Money is integer fen."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Kind = Literal["direct", "lucky", "normal", "exclusive"]
DEFAULT_GREETING = "恭喜发财，大吉大利"
MAX_ID = 2**62


class SendIn(BaseModel):
    """`amount` is the whole envelope for direct, lucky and exclusive envelopes, and each
    share's amount for a normal one (which then holds `amount × shares`)."""

    model_config = ConfigDict(extra="forbid")

    kind: Kind
    amount: Annotated[int, Field(ge=1, le=10**12, strict=True)]
    shares: Annotated[int, Field(ge=1, le=10_000, strict=True)] = 1
    greeting: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""
    to_user_id: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None
    pin: Annotated[str, StringConstraints(max_length=32)]


class ShareOut(BaseModel):
    user_id: int
    amount: int
    opened_at: dt.datetime
    luckiest: bool = False


class EnvelopeOut(BaseModel):
    """What every member of the chat sees: who got what and when. `status` is "open",
    "all_taken" or "expired"; `luckiest_user_id` is set once the last share is taken."""

    id: int
    chat_id: int
    seq: int | None
    sender_id: int
    kind: Kind
    total: int
    shares: int
    greeting: str
    to_user_id: int | None
    created_at: dt.datetime
    expires_at: dt.datetime
    status: Literal["open", "all_taken", "expired"]
    opened_count: int
    opened_amount: int
    refunded: int
    my_amount: int | None
    luckiest_user_id: int | None
    opened: list[ShareOut]


class OpenOut(BaseModel):
    envelope_id: int
    amount: int
    opened_at: dt.datetime
    tx_id: int


class EnvelopeBrief(BaseModel):
    """One line of "envelopes I sent" / "envelopes I got"."""

    id: int
    chat_id: int
    sender_id: int
    kind: Kind
    total: int
    shares: int
    greeting: str
    created_at: dt.datetime
    amount: int  # received: what I got; sent: the total


class RecordOut(BaseModel):
    envelopes: list[EnvelopeBrief]
    total: int
    next_before: int | None
