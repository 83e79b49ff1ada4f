"""The per-user event log: everything addressed to a user, in the order they must see it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from hutong.core.db import Base, BigId


class UserSequence(Base):
    """The last sequence number handed out for a user. Its row lock orders that user's appends."""

    __tablename__ = "user_sequences"

    user_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)


class SyncEvent(Base):
    __tablename__ = "sync_events"

    user_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[dt.datetime]
