"""Sanctions as the affected user sees them, and their one appeal.

A user may appeal each sanction once, within `APPEAL_DAYS` of it. A moderator other than the
one who imposed it decides; granting lifts it (a mute or ban ends at once) and the user is told.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hutong.core.clock import Clock
from hutong.core.db import Database
from hutong.core.errors import Conflict, Expired, Forbidden, NotFound
from hutong.moderation.audit import AuditLog
from hutong.moderation.models import Appeal, Case, Sanction
from hutong.moderation.restrictions import Restrictions
from hutong.moderation.schemas import AppealDecisionIn, AppealIn, AppealOut, SanctionOut
from hutong.realtime import SyncLog

APPEAL_DAYS = 20


EXCERPT_CHARS = 140


def excerpt(text: object) -> str:
    """The start of a text, cut at `EXCERPT_CHARS` with an ellipsis."""
    if not isinstance(text, str):
        return ""
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


def sanction_out(s: Sanction, appeal_status: str | None, case: Case | None = None) -> SanctionOut:
    """The sanction as its user sees it; `case` (the one it decided) says what it was about."""
    return SanctionOut(
        id=s.id,
        user_id=s.user_id,
        kind=s.kind,
        case_id=s.case_id,
        category=s.category,
        reason=s.reason,
        created_at=s.created_at,
        ends_at=s.ends_at,
        revoked_at=s.revoked_at,
        appeal_until=s.created_at + dt.timedelta(days=APPEAL_DAYS),
        appeal_status=appeal_status,
        content_kind=case.kind if case else None,
        content_ref=case.ref if case else None,
        excerpt=excerpt(case.snapshot.get("text")) if case else "",
    )


async def sanctions_of(session: AsyncSession, user_id: int) -> list[SanctionOut]:
    rows = (
        await session.execute(
            select(Sanction, Appeal.status, Case)
            .outerjoin(Appeal, Appeal.sanction_id == Sanction.id)
            .outerjoin(Case, Case.id == Sanction.case_id)
            .where(Sanction.user_id == user_id)
            .order_by(Sanction.id.desc())
        )
    ).all()
    return [sanction_out(s, status, case) for s, status, case in rows]


def appeal_out(a: Appeal, s: Sanction, case: Case | None = None) -> AppealOut:
    return AppealOut(
        id=a.id,
        sanction_id=a.sanction_id,
        user_id=a.user_id,
        text=a.text,
        status=a.status,
        decided_by=a.decided_by,
        decided_at=a.decided_at,
        decision_reason=a.decision_reason,
        created_at=a.created_at,
        sanction=sanction_out(s, a.status, case),
    )


async def _case_of(session: AsyncSession, sanction: Sanction) -> Case | None:
    return await session.get(Case, sanction.case_id) if sanction.case_id else None


class AppealService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        sync_log: SyncLog,
        audit: AuditLog,
        restrictions: Restrictions,
    ) -> None:
        self.db = db
        self.clock = clock
        self.sync = sync_log
        self.audit = audit
        self.restrictions = restrictions

    async def notices(self, user_id: int) -> list[SanctionOut]:
        """Everything moderators did to this user, newest first, with appeal state."""
        async with self.db.read() as s:
            return await sanctions_of(s, user_id)

    async def appeal(self, user_id: int, sanction_id: int, body: AppealIn) -> AppealOut:
        now = self.clock.now()
        try:
            async with self.db.write() as uow:
                sanction = await uow.session.get(Sanction, sanction_id)
                if sanction is None or sanction.user_id != user_id:
                    raise NotFound("No such sanction of yours.")
                if now > sanction.created_at + dt.timedelta(days=APPEAL_DAYS):
                    raise Expired(f"Appeals are possible for {APPEAL_DAYS} days after a decision.")
                appeal = Appeal(
                    sanction_id=sanction_id,
                    user_id=user_id,
                    text=body.text,
                    status="open",
                    created_at=now,
                )
                uow.session.add(appeal)
                await uow.session.flush()
                self.audit.record(
                    uow,
                    actor_id=user_id,
                    action="appeal",
                    category=sanction.category,
                    subject_user_id=user_id,
                    target_kind="sanction",
                    target_id=sanction_id,
                )
                return appeal_out(appeal, sanction, await _case_of(uow.session, sanction))
        except IntegrityError as exc:
            raise Conflict("This decision has already been appealed; there is one appeal.") from exc

    async def list(self, *, status: str = "open", limit: int = 100) -> list[AppealOut]:
        async with self.db.read() as s:
            rows = (
                await s.execute(
                    select(Appeal, Sanction, Case)
                    .join(Sanction, Sanction.id == Appeal.sanction_id)
                    .outerjoin(Case, Case.id == Sanction.case_id)
                    .where(Appeal.status == status)
                    .order_by(Appeal.id)
                    .limit(limit)
                )
            ).all()
        return [appeal_out(a, s, case) for a, s, case in rows]

    async def decide(self, moderator_id: int, appeal_id: int, body: AppealDecisionIn) -> AppealOut:
        """Grant or deny; only a moderator other than the sanction's author may."""
        now = self.clock.now()
        async with self.db.write() as uow:
            row = (
                await uow.session.execute(
                    select(Appeal, Sanction)
                    .join(Sanction, Sanction.id == Appeal.sanction_id)
                    .where(Appeal.id == appeal_id)
                )
            ).first()
            if row is None:
                raise NotFound("No such appeal.")
            _, sanction = row
            if sanction.created_by == moderator_id:
                raise Forbidden("A second moderator must decide an appeal against your decision.")
            status = "granted" if body.grant else "denied"
            result = await uow.session.execute(
                update(Appeal)
                .where(Appeal.id == appeal_id, Appeal.status == "open")
                .values(
                    status=status,
                    decided_by=moderator_id,
                    decided_at=now,
                    decision_reason=body.reason,
                )
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise Conflict("This appeal is already decided.")
            if body.grant:
                await uow.session.execute(
                    update(Sanction)
                    .where(Sanction.id == sanction.id, Sanction.revoked_at.is_(None))
                    .values(revoked_at=now)
                )
            self.audit.record(
                uow,
                actor_id=moderator_id,
                action=f"appeal.{status}",
                category=sanction.category,
                subject_user_id=sanction.user_id,
                target_kind="sanction",
                target_id=sanction.id,
                reason=body.reason,
            )
            await self.sync.emit(
                uow,
                [sanction.user_id],
                "moderation.appeal_decided",
                {
                    "appeal_id": appeal_id,
                    "sanction_id": sanction.id,
                    "granted": body.grant,
                    "reason": body.reason,
                },
            )
            fresh_appeal = await uow.session.get(Appeal, appeal_id, populate_existing=True)
            fresh_sanction = await uow.session.get(Sanction, sanction.id, populate_existing=True)
            assert fresh_appeal is not None
            assert fresh_sanction is not None
            out = appeal_out(
                fresh_appeal, fresh_sanction, await _case_of(uow.session, fresh_sanction)
            )
        if body.grant:
            await self.restrictions.changed(sanction.user_id)
        return out
