"""Ledger tables: accounts, the hash-chained journal, its postings, holds, guarded counters,
idempotency records and the outbox of events to deliver.

Only the ledger writer (`sqlite.py` / `postgres.py`) inserts into or updates these tables;
everything else reads them. `ledger_transactions` and `ledger_postings` are append-only: the
migration installs triggers on both databases that refuse UPDATE and DELETE.

Money is integer fen in BIGINT columns. A posting's amount is signed: negative takes money out
of the account (a debit), positive puts money in; the postings of one transaction sum to zero.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from hutong.core.db import Base, BigId


class LedgerAccount(Base):
    """One balance. `kind` + `owner_id` name it: ("wallet", user id), ("merchant", merchant
    id), or a system account such as ("bank", 0). Only accounts flagged `allow_negative` (the
    bank, which mirrors money that entered from outside) may go below zero; for the others the
    writer's guarded update and this CHECK both refuse it."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (
        UniqueConstraint("kind", "owner_id"),
        CheckConstraint("allow_negative OR balance >= 0", name="not_negative"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    owner_id: Mapped[int] = mapped_column(BigInteger, default=0)
    allow_negative: Mapped[bool] = mapped_column(Boolean, default=False)
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[dt.datetime]


class LedgerTransaction(Base):
    """The journal. `id` is the position in the hash chain (1, 2, 3, … without gaps) and `hash`
    is sha256 of the previous entry's hash and this entry's canonical text (`entries.py`)."""

    __tablename__ = "ledger_transactions"
    __table_args__ = (Index("ix_ledger_transactions_hold", "hold_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(32))
    at_us: Mapped[int] = mapped_column(BigInteger)  # microseconds since the epoch, UTC
    # The hold this entry places ("hold", hold id = this id) or resolves ("post" / "void").
    hold_id: Mapped[int] = mapped_column(BigInteger, default=0)
    hold_action: Mapped[str] = mapped_column(String(8), default="")
    ref: Mapped[str] = mapped_column(String(80), default="")
    memo: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON, hashed as stored
    hash: Mapped[str] = mapped_column(String(64))


class LedgerPosting(Base):
    __tablename__ = "ledger_postings"
    __table_args__ = (Index("ix_ledger_postings_account", "account_id", "tx_id"),)

    tx_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("ledger_transactions.id"), primary_key=True, autoincrement=False
    )
    account_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("ledger_accounts.id"), primary_key=True, autoincrement=False
    )
    amount: Mapped[int] = mapped_column(BigInteger)


class LedgerHold(Base):
    """Money set aside: moved from `source_id` into `escrow_id` by the entry with the same id,
    then resolved at most once — posted on to `target_id` (or as the posting entry says) or
    voided back to `source_id`. The status change is a guarded update from "pending"."""

    __tablename__ = "ledger_holds"
    __table_args__ = (
        Index("ix_ledger_holds_status_expiry", "status", "expires_at_us"),
        Index("ix_ledger_holds_owner", "owner_id", "id"),
        Index("ix_ledger_holds_counterparty", "counterparty_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(8))  # pending | posted | voided
    source_id: Mapped[int] = mapped_column(BigInteger)
    escrow_id: Mapped[int] = mapped_column(BigInteger)
    target_id: Mapped[int] = mapped_column(BigInteger, default=0)
    amount: Mapped[int] = mapped_column(BigInteger)
    owner_id: Mapped[int] = mapped_column(BigInteger, default=0)
    counterparty_id: Mapped[int] = mapped_column(BigInteger, default=0)
    expires_at_us: Mapped[int] = mapped_column(BigInteger, default=0)  # 0 = never
    resolved_tx_id: Mapped[int | None] = mapped_column(BigInteger)


class LedgerCounter(Base):
    """A guarded running total: `UPDATE … SET used = used + :d WHERE used + :d <= :cap`.
    Daily spending per user, the refunded part of a payment, single-use payment codes."""

    __tablename__ = "ledger_counters"

    key: Mapped[str] = mapped_column(String(96), primary_key=True)
    used: Mapped[int] = mapped_column(BigInteger, default=0)


class LedgerIdempotency(Base):
    """The first answer to a money-moving request, by (scope = user id or 0, client key)."""

    __tablename__ = "ledger_idempotency"
    __table_args__ = (Index("ix_ledger_idempotency_at", "at_us"),)

    scope: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(Text)
    at_us: Mapped[int] = mapped_column(BigInteger)


class LedgerOutbox(Base):
    """Events written in the same transaction as the money; a relay hands them to the sync
    log and deletes them in one transaction, so each is delivered exactly once."""

    __tablename__ = "ledger_outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tx_id: Mapped[int] = mapped_column(BigInteger)
    user_ids: Mapped[str] = mapped_column(Text)  # JSON list
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)  # JSON object
