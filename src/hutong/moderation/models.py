"""Moderation tables: term lists, the review queue, sanctions, appeals and the audit log.

Users and content of other domains are referred to by plain ids (`*_user_id`) and opaque
references (`kind`, `ref`), never by foreign keys into those domains.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hutong.core.db import Base, BigId


class Term(Base):
    """A listed term. `norm` (its normalised form) is unique: one rule per spelling."""

    __tablename__ = "moderation_terms"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    term: Mapped[str] = mapped_column(String(64))
    norm: Mapped[str] = mapped_column(String(256), unique=True)
    category: Mapped[str] = mapped_column(String(32), index=True)
    action: Mapped[str] = mapped_column(String(8))  # mask | review | block
    whole_word: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class AllowPhrase(Base):
    """A phrase whose matches are never flagged (`Scunthorpe` for a listed substring)."""

    __tablename__ = "moderation_allow"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    phrase: Mapped[str] = mapped_column(String(64))
    norm: Mapped[str] = mapped_column(String(256), unique=True)
    created_by: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[dt.datetime]


class ModerationState(Base):
    """Named counters; `lists` is bumped with every term or allow-list change, in the same
    transaction, so a worker can tell whether its compiled matcher is current."""

    __tablename__ = "moderation_state"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class Case(Base):
    """One item in the review queue: reported content or a user, or content held for review.

    Several reports of the same item join one open case.
    """

    __tablename__ = "moderation_cases"
    __table_args__ = (
        Index("ix_moderation_cases_queue", "status", "created_at"),
        Index("ix_moderation_cases_item", "kind", "ref", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))  # user post comment message miniapp …
    ref: Mapped[str] = mapped_column(String(64))  # opaque reference within `kind`
    source: Mapped[str] = mapped_column(String(8))  # report | held
    subject_user_id: Mapped[int | None] = mapped_column(BigId, index=True)
    category: Mapped[str] = mapped_column(String(32), default="")
    snapshot: Mapped[dict[str, Any]]  # the text as reported or held
    report_count: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(12))  # open claimed decided
    claimed_by: Mapped[int | None] = mapped_column(BigId)
    claimed_at: Mapped[dt.datetime | None]
    decision: Mapped[str] = mapped_column(String(16), default="")
    decision_reason: Mapped[str] = mapped_column(String(500), default="")
    decided_by: Mapped[int | None] = mapped_column(BigId)
    decided_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class Report(Base):
    """One user's report of an item; a user reports an item once."""

    __tablename__ = "moderation_reports"
    __table_args__ = (UniqueConstraint("case_id", "reporter_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("moderation_cases.id", ondelete="CASCADE"))
    reporter_id: Mapped[int] = mapped_column(BigId, index=True)
    reason: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(String(500), default="")
    snapshot: Mapped[dict[str, Any]]  # the reporter's copy
    created_at: Mapped[dt.datetime]


class Sanction(Base):
    """A decision against a user: warn, remove (their content), mute until `ends_at`, ban."""

    __tablename__ = "moderation_sanctions"
    __table_args__ = (Index("ix_moderation_sanctions_active", "user_id", "kind", "revoked_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigId)
    kind: Mapped[str] = mapped_column(String(8))  # warn remove mute ban
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("moderation_cases.id", ondelete="SET NULL")
    )
    category: Mapped[str] = mapped_column(String(32), default="")
    reason: Mapped[str] = mapped_column(String(500))
    created_by: Mapped[int] = mapped_column(BigId)
    created_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]


class Appeal(Base):
    """A user's one appeal against a sanction, decided by a moderator other than its author."""

    __tablename__ = "moderation_appeals"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sanction_id: Mapped[int] = mapped_column(
        ForeignKey("moderation_sanctions.id", ondelete="CASCADE"), unique=True
    )
    user_id: Mapped[int] = mapped_column(BigId, index=True)
    text: Mapped[str] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(8))  # open granted denied
    decided_by: Mapped[int | None] = mapped_column(BigId)
    decided_at: Mapped[dt.datetime | None]
    decision_reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[dt.datetime]


class AuditEntry(Base):
    """Every moderation action: who, what, why, when. `month` (YYYY-MM, UTC) feeds the public
    transparency counts without database-specific date functions."""

    __tablename__ = "moderation_audit"
    __table_args__ = (Index("ix_moderation_audit_month", "month", "action", "category"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(BigId)  # None: the system (an automatic block)
    action: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(32), default="")
    subject_user_id: Mapped[int | None] = mapped_column(BigId, index=True)
    target_kind: Mapped[str] = mapped_column(String(24), default="")
    target_id: Mapped[str] = mapped_column(String(64), default="")
    reason: Mapped[str] = mapped_column(String(500), default="")
    detail: Mapped[dict[str, Any]]
    month: Mapped[str] = mapped_column(String(7))
    created_at: Mapped[dt.datetime]
