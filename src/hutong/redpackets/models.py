"""Red-envelope tables: the envelope, and its shares split in advance.

Shares are cut when the envelope is sent, one row each, so that opening is claiming one
unclaimed row: concurrent openers take different rows (`FOR UPDATE SKIP LOCKED` on
PostgreSQL) instead of queueing on one hot counter. `(envelope_id, opener_id)` is unique, so a
member can hold at most one share of an envelope whatever races; a share is claimed at most
once because the claim is a guarded update of a row whose `opener_id` is still NULL. After the
envelope expires, the sweep marks the unclaimed shares `returned` and refunds their sum.

The money lives in the ledger (`hutong.wallet`): each envelope has its own ledger account
(kind "redpacket", owner = envelope id) that the sender's payment fills and each open drains.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hutong.core.db import Base, BigId


class RedEnvelope(Base):
    __tablename__ = "red_envelopes"
    __table_args__ = (
        # A retried send (same Idempotency-Key) finds the envelope it already made.
        UniqueConstraint("sender_id", "client_key", name="uq_red_envelopes_sender_key"),
        Index("ix_red_envelopes_sweep", "swept", "expires_at"),
        Index("ix_red_envelopes_sender", "sender_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    seq: Mapped[int | None] = mapped_column(BigInteger)  # its chat message, once posted
    sender_id: Mapped[int] = mapped_column(BigInteger)
    client_key: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(10))  # direct | lucky | normal | exclusive
    total: Mapped[int] = mapped_column(BigInteger)
    share_count: Mapped[int] = mapped_column(Integer)
    greeting: Mapped[str] = mapped_column(String(100))
    recipient_id: Mapped[int | None] = mapped_column(BigInteger)  # direct and exclusive
    account_id: Mapped[int | None] = mapped_column(BigInteger)  # its ledger account
    pay_tx_id: Mapped[int | None] = mapped_column(BigInteger)  # NULL until the sender paid
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    swept: Mapped[bool] = mapped_column(Boolean, default=False)
    refunded: Mapped[int] = mapped_column(BigInteger, default=0)
    refund_tx_id: Mapped[int | None] = mapped_column(BigInteger)


class RedEnvelopeShare(Base):
    __tablename__ = "red_envelope_shares"
    __table_args__ = (
        UniqueConstraint("envelope_id", "idx", name="uq_red_envelope_shares_idx"),
        UniqueConstraint("envelope_id", "opener_id", name="uq_red_envelope_shares_opener"),
        Index("ix_red_envelope_shares_opener", "opener_id", "opened_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    envelope_id: Mapped[int] = mapped_column(
        ForeignKey("red_envelopes.id", ondelete="CASCADE"), index=False
    )
    idx: Mapped[int] = mapped_column(Integer)  # the order the shares were cut in
    amount: Mapped[int] = mapped_column(BigInteger)
    opener_id: Mapped[int | None] = mapped_column(BigInteger)
    opened_at: Mapped[dt.datetime | None]
    returned: Mapped[bool] = mapped_column(Boolean, default=False)
