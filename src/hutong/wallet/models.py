"""Wallet tables around the ledger: per-user PIN and limit, linked cards, bank operations,
merchants and payment-code devices. Money itself lives only in the ledger's tables
(`ledger/models.py`); user ids are plain id columns, as everywhere across domains."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hutong.core.db import Base, BigId
from hutong.wallet.ledger.models import (
    LedgerAccount,
    LedgerCounter,
    LedgerHold,
    LedgerIdempotency,
    LedgerOutbox,
    LedgerPosting,
    LedgerTransaction,
)

__all__ = [
    "BankOperation",
    "Card",
    "LedgerAccount",
    "LedgerCounter",
    "LedgerHold",
    "LedgerIdempotency",
    "LedgerOutbox",
    "LedgerPosting",
    "LedgerTransaction",
    "Merchant",
    "PaycodeDevice",
    "WalletUser",
]


class WalletUser(Base):
    """A user's payment PIN (argon2; no row = no PIN yet), its lock, and an own daily limit."""

    __tablename__ = "wallet_users"

    user_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    pin_failures: Mapped[int] = mapped_column(Integer, default=0)
    pin_locked_until: Mapped[dt.datetime | None]
    daily_limit: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[dt.datetime]


class Card(Base):
    """A bank card linked for top-ups and withdrawals; the bank keeps the number."""

    __tablename__ = "wallet_cards"
    __table_args__ = (Index("ix_wallet_cards_user", "user_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigId)
    bank: Mapped[str] = mapped_column(String(40))
    last4: Mapped[str] = mapped_column(String(4))
    token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    removed_at: Mapped[dt.datetime | None]


class BankOperation(Base):
    """A top-up or withdrawal and where it stands with the bank. The client's idempotency key
    is unique per user, so a retry finds the operation instead of starting another."""

    __tablename__ = "wallet_bank_ops"
    __table_args__ = (
        UniqueConstraint("user_id", "idem_key"),
        Index("ix_wallet_bank_ops_status", "status", "updated_at"),
        Index("ix_wallet_bank_ops_user", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigId)
    card_id: Mapped[int] = mapped_column(BigId)
    kind: Mapped[str] = mapped_column(String(12))  # topup | withdrawal
    amount: Mapped[int] = mapped_column(BigInteger)
    fee: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(10))  # pending | succeeded | failed
    error: Mapped[str] = mapped_column(String(40), default="")  # problem slug when failed
    reason: Mapped[str] = mapped_column(String(200), default="")
    hold_id: Mapped[int | None] = mapped_column(BigInteger)
    tx_id: Mapped[int | None] = mapped_column(BigInteger)
    idem_key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class Merchant(Base):
    """A shop. Its money is the ledger account ("merchant", id); `qr_version` is part of the
    collect-money QR token, so resetting it kills every older printed code."""

    __tablename__ = "wallet_merchants"
    __table_args__ = (Index("ix_wallet_merchants_owner", "owner_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    owner_id: Mapped[int] = mapped_column(BigId)
    name: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(16))  # personal | organisation
    qr_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime]


class PaycodeDevice(Base):
    """A signed-in device allowed to show payment codes. `handle` is the 9 random digits in
    the middle of its codes; the code secret is derived from `salt` and the server key, so the
    table alone cannot forge codes."""

    __tablename__ = "wallet_paycode_devices"
    __table_args__ = (
        Index("ix_wallet_paycode_devices_session", "session_id"),
        Index("ix_wallet_paycode_devices_user", "user_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigId)
    session_id: Mapped[int] = mapped_column(BigInteger)
    handle: Mapped[int] = mapped_column(BigInteger, unique=True)
    salt: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
