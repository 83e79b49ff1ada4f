"""The audit log: every moderation action, written in the transaction that performs it."""

from __future__ import annotations

from typing import Any

from hutong.core.clock import Clock
from hutong.core.db import UnitOfWork
from hutong.moderation.models import AuditEntry


class AuditLog:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def record(
        self,
        uow: UnitOfWork,
        *,
        actor_id: int | None,
        action: str,
        category: str = "",
        subject_user_id: int | None = None,
        target_kind: str = "",
        target_id: str | int = "",
        reason: str = "",
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Add one entry to the transaction of `uow`: it commits or rolls back with the action."""
        now = self.clock.now()
        uow.session.add(
            AuditEntry(
                actor_id=actor_id,
                action=action,
                category=category,
                subject_user_id=subject_user_id,
                target_kind=target_kind,
                target_id=str(target_id),
                reason=reason[:500],
                detail=detail or {},
                month=now.strftime("%Y-%m"),
                created_at=now,
            )
        )
