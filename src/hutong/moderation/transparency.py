"""Reading the audit log: the full trail for moderators, monthly counts for everyone."""

from __future__ import annotations

from sqlalchemy import func, select

from hutong.core.db import Database
from hutong.moderation.models import AuditEntry
from hutong.moderation.schemas import AuditOut, TransparencyMonth, TransparencyRow

# What the public page counts: reports, decisions and appeals (not list edits or claims).
PUBLIC_ACTIONS = (
    "report",
    "case.approve",
    "case.remove",
    "case.warn",
    "case.mute",
    "case.ban",
    "appeal",
    "appeal.granted",
    "appeal.denied",
)


class Transparency:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def months(self, month: str | None = None) -> list[TransparencyMonth]:
        """Counts by action and category per month (UTC), newest month first."""
        query = (
            select(AuditEntry.month, AuditEntry.action, AuditEntry.category, func.count())
            .where(AuditEntry.action.in_(PUBLIC_ACTIONS))
            .group_by(AuditEntry.month, AuditEntry.action, AuditEntry.category)
            .order_by(AuditEntry.month.desc(), AuditEntry.action, AuditEntry.category)
        )
        if month:
            query = query.where(AuditEntry.month == month)
        async with self.db.read() as s:
            rows = (await s.execute(query)).all()
        out: dict[str, list[TransparencyRow]] = {}
        for m, action, category, count in rows:
            out.setdefault(m, []).append(
                TransparencyRow(action=action, category=category, count=count)
            )
        return [TransparencyMonth(month=m, rows=r) for m, r in out.items()]

    async def audit(
        self, *, after: int = 0, limit: int = 100, subject_user_id: int | None = None
    ) -> list[AuditOut]:
        """The audit log, newest first; `after` pages backwards from an id."""
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        if after:
            query = query.where(AuditEntry.id < after)
        if subject_user_id is not None:
            query = query.where(AuditEntry.subject_user_id == subject_user_id)
        async with self.db.read() as s:
            rows = (await s.scalars(query)).all()
        return [
            AuditOut(
                id=e.id,
                actor_id=e.actor_id,
                action=e.action,
                category=e.category,
                subject_user_id=e.subject_user_id,
                target_kind=e.target_kind,
                target_id=e.target_id,
                reason=e.reason,
                detail=e.detail,
                created_at=e.created_at,
            )
            for e in rows
        ]
