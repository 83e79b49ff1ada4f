"""The review queue: reports and held content, claimed and decided by moderators.

A case is one reported or held item; more reports of the same item join its open case. A
moderator claims a case (a guarded update, so two cannot both hold it) and decides:

* approve — nothing is wrong; held content is released;
* remove — the content is taken down (by the domain that owns it);
* warn, mute for N days, ban — a sanction against the author or reported user.

Every decision writes an audit entry and, for sanctions, tells the user through their sync log
(`moderation.notice`) in the same transaction; a ban also signs out every device.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from hutong.accounts import AccountService
from hutong.core.clock import Clock
from hutong.core.content import ContentItem, ContentSources
from hutong.core.db import Database, UnitOfWork
from hutong.core.errors import Conflict, InvalidInput, NotFound
from hutong.core.ratelimit import ActionLimits
from hutong.moderation.audit import AuditLog
from hutong.moderation.models import Case, ModerationState, Report, Sanction
from hutong.moderation.restrictions import Restrictions
from hutong.moderation.sanctions import APPEAL_DAYS, sanction_out, sanctions_of
from hutong.moderation.schemas import (
    CaseDetail,
    CaseOut,
    CasePage,
    DecisionIn,
    ReportDetail,
    ReportIn,
    ReportOut,
)
from hutong.realtime import SyncLog

OPEN = ("open", "claimed")


def case_out(c: Case) -> CaseOut:
    return CaseOut(
        id=c.id,
        kind=c.kind,
        ref=c.ref,
        source=c.source,
        subject_user_id=c.subject_user_id,
        category=c.category,
        snapshot=c.snapshot,
        report_count=c.report_count,
        status=c.status,
        claimed_by=c.claimed_by,
        decision=c.decision,
        decision_reason=c.decision_reason,
        decided_by=c.decided_by,
        decided_at=c.decided_at,
        created_at=c.created_at,
    )


def snapshot_of(item: ContentItem) -> dict[str, Any]:
    return {"text": item.text[:5000], "context": item.context}


class CaseService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        accounts: AccountService,
        sync_log: SyncLog,
        limits: ActionLimits,
        sources: ContentSources,
        audit: AuditLog,
        restrictions: Restrictions,
    ) -> None:
        self.db = db
        self.clock = clock
        self.accounts = accounts
        self.sync = sync_log
        self.limits = limits
        self.sources = sources
        self.audit = audit
        self.restrictions = restrictions

    # -- reports ---------------------------------------------------------------------------

    async def report(self, reporter_id: int, body: ReportIn) -> ReportOut:
        """Report an item the reporter can see; their copy is attached to the case."""
        source = self.sources.get(body.kind)
        # One case per user however their id is written ("007" is user 7).
        ref = str(int(body.ref)) if body.kind == "user" and body.ref.isdigit() else body.ref
        item = await source.resolve(reporter_id, ref)
        if item is None:
            raise NotFound("Nothing to report there, or you cannot see it.")
        if item.author_id == reporter_id:
            raise InvalidInput("You cannot report yourself.", fields={"ref": "your own"})
        await self.limits.hit(reporter_id, "report")
        now = self.clock.now()
        snapshot = snapshot_of(item)
        try:
            async with self.db.write() as uow:
                await self._serialise_reports(uow)
                case = await uow.session.scalar(
                    select(Case).where(
                        Case.kind == body.kind, Case.ref == ref, Case.status.in_(OPEN)
                    )
                )
                if case is None:
                    case = Case(
                        kind=body.kind,
                        ref=ref,
                        source="report",
                        subject_user_id=item.author_id,
                        category=body.reason,
                        snapshot=snapshot,
                        report_count=0,
                        status="open",
                        created_at=now,
                        updated_at=now,
                    )
                    uow.session.add(case)
                    await uow.session.flush()
                case.report_count += 1
                case.updated_at = now
                row = Report(
                    case_id=case.id,
                    reporter_id=reporter_id,
                    reason=body.reason,
                    note=body.note,
                    snapshot=snapshot,
                    created_at=now,
                )
                uow.session.add(row)
                await uow.session.flush()
                self.audit.record(
                    uow,
                    actor_id=reporter_id,
                    action="report",
                    category=body.reason,
                    subject_user_id=item.author_id,
                    target_kind=body.kind,
                    target_id=ref,
                )
                return ReportOut(
                    id=row.id,
                    case_id=case.id,
                    kind=body.kind,
                    ref=ref,
                    reason=body.reason,
                    created_at=now,
                )
        except IntegrityError as exc:
            raise Conflict("You have already reported this.") from exc

    async def _serialise_reports(self, uow: UnitOfWork) -> None:
        """Take the `reports` row lock so two first reports of one item make one case.

        (SQLite write transactions are exclusive anyway; on PostgreSQL this upsert holds the
        row until commit. Reports are rare enough for one lock.)
        """
        dialect = sqlite if self.db.is_sqlite else postgresql
        stmt = dialect.insert(ModerationState).values(key="reports", value=1)
        await uow.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[ModerationState.key], set_={"value": ModerationState.value + 1}
            )
        )

    async def hold(
        self,
        uow: UnitOfWork,
        kind: str,
        ref: str,
        *,
        author_id: int,
        text: str,
        category: str,
    ) -> None:
        """Queue content held for review, inside the owning domain's transaction."""
        now = self.clock.now()
        uow.session.add(
            Case(
                kind=kind,
                ref=ref,
                source="held",
                subject_user_id=author_id,
                category=category,
                snapshot={"text": text[:5000], "context": {}},
                report_count=0,
                status="open",
                created_at=now,
                updated_at=now,
            )
        )

    # -- the queue -------------------------------------------------------------------------

    async def queue(
        self,
        *,
        status: str = "open",
        kind: str | None = None,
        source: str | None = None,
        category: str | None = None,
        claimed_by: int | None = None,
        after: int = 0,
        limit: int = 50,
    ) -> CasePage:
        """Cases oldest first, filtered; paged with `after` (the last id seen)."""
        query = select(Case).where(Case.status == status, Case.id > after)
        if kind:
            query = query.where(Case.kind == kind)
        if source:
            query = query.where(Case.source == source)
        if category:
            query = query.where(Case.category == category)
        if claimed_by is not None:
            query = query.where(Case.claimed_by == claimed_by)
        async with self.db.read() as s:
            rows = (await s.scalars(query.order_by(Case.id).limit(limit + 1))).all()
        cases = [case_out(c) for c in rows[:limit]]
        return CasePage(cases=cases, next_cursor=cases[-1].id if len(rows) > limit else None)

    async def get(self, case_id: int) -> CaseDetail:
        async with self.db.read() as s:
            case = await s.get(Case, case_id)
            if case is None:
                raise NotFound("No such case.")
            reports = (
                await s.scalars(select(Report).where(Report.case_id == case_id).order_by(Report.id))
            ).all()
            history = await sanctions_of(s, case.subject_user_id) if case.subject_user_id else []
        return CaseDetail(
            **case_out(case).model_dump(),
            reports=[
                ReportDetail(
                    id=r.id,
                    reporter_id=r.reporter_id,
                    reason=r.reason,
                    note=r.note,
                    snapshot=r.snapshot,
                    created_at=r.created_at,
                )
                for r in reports
            ],
            subject_sanctions=history,
        )

    async def claim(self, moderator_id: int, case_id: int) -> CaseOut:
        """Take a case; a case someone else holds cannot be taken (409)."""
        now = self.clock.now()
        async with self.db.write() as uow:
            result = await uow.session.execute(
                update(Case)
                .where(Case.id == case_id, Case.status == "open")
                .values(status="claimed", claimed_by=moderator_id, claimed_at=now, updated_at=now)
            )
            case = await uow.session.get(Case, case_id, populate_existing=True)
            if case is None:
                raise NotFound("No such case.")
            if case.status == "decided":
                raise Conflict("This case is already decided.")
            if case.claimed_by != moderator_id:
                raise Conflict("Another moderator has this case.")
            if result.rowcount == 1:  # type: ignore[attr-defined]
                self.audit.record(
                    uow,
                    actor_id=moderator_id,
                    action="case.claim",
                    target_kind="case",
                    target_id=case_id,
                )
            return case_out(case)

    async def decide(self, moderator_id: int, case_id: int, body: DecisionIn) -> CaseOut:
        """Decide a case this moderator has claimed."""
        if (body.decision == "mute") != (body.days is not None):
            raise InvalidInput(
                "Give the number of days for a mute, and only for a mute.",
                fields={"days": "required for mute" if body.decision == "mute" else "mute only"},
            )
        async with self.db.read() as s:
            case = await s.get(Case, case_id)
        if case is None:
            raise NotFound("No such case.")
        if case.status != "claimed" or case.claimed_by != moderator_id:
            raise Conflict("Claim the case before deciding it.")
        if body.decision in ("warn", "mute", "ban", "remove") and not case.subject_user_id:
            raise InvalidInput("This case has no user to act on.", fields={"decision": "no user"})
        if body.decision == "remove" and case.kind == "user":
            raise InvalidInput(
                "A user cannot be removed: warn, mute or ban them.", fields={"decision": "user"}
            )
        # The owning domain acts first (idempotent); if it fails nothing is recorded.
        if body.decision == "remove":
            await self.sources.get(case.kind).remove(case.ref, body.reason)
        elif body.decision == "approve" and case.source == "held":
            await self.sources.get(case.kind).release(case.ref)
        now = self.clock.now()
        category = body.category or case.category
        async with self.db.write() as uow:
            result = await uow.session.execute(
                update(Case)
                .where(
                    Case.id == case_id, Case.status == "claimed", Case.claimed_by == moderator_id
                )
                .values(
                    status="decided",
                    decision=body.decision,
                    decision_reason=body.reason,
                    decided_by=moderator_id,
                    decided_at=now,
                    category=category,
                    updated_at=now,
                )
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise Conflict("Claim the case before deciding it.")
            self.audit.record(
                uow,
                actor_id=moderator_id,
                action=f"case.{body.decision}",
                category=category,
                subject_user_id=case.subject_user_id,
                target_kind=case.kind,
                target_id=case.ref,
                reason=body.reason,
                detail={"case_id": case_id, "days": body.days},
            )
            if body.decision != "approve":
                assert case.subject_user_id is not None
                await self._sanction(uow, moderator_id, case, body, category, now)
            decided = await uow.session.get(Case, case_id, populate_existing=True)
            assert decided is not None
            out = case_out(decided)
        if body.decision in ("mute", "ban") and case.subject_user_id:
            await self.restrictions.changed(case.subject_user_id)
        if body.decision == "ban" and case.subject_user_id:
            await self._sign_out_everywhere(case.subject_user_id)
        return out

    async def _sanction(
        self,
        uow: UnitOfWork,
        moderator_id: int,
        case: Case,
        body: DecisionIn,
        category: str,
        now: dt.datetime,
    ) -> None:
        assert case.subject_user_id is not None
        sanction = Sanction(
            user_id=case.subject_user_id,
            kind=body.decision,
            case_id=case.id,
            category=category,
            reason=body.reason,
            created_by=moderator_id,
            created_at=now,
            ends_at=now + dt.timedelta(days=body.days) if body.days else None,
        )
        uow.session.add(sanction)
        await uow.session.flush()
        out = sanction_out(sanction, None, case)
        await self.sync.emit(
            uow,
            [case.subject_user_id],
            "moderation.notice",
            {
                "sanction_id": sanction.id,
                "action": body.decision,
                "rule": category,
                "reason": body.reason,
                "content": {"kind": case.kind, "ref": case.ref, "text": case.snapshot.get("text")},
                "ends_at": out.ends_at.isoformat() if out.ends_at else None,
                "appeal_until": out.appeal_until.isoformat(),
                "appeal_days": APPEAL_DAYS,
            },
        )

    async def _sign_out_everywhere(self, user_id: int) -> None:
        for session in await self.accounts.list_sessions(user_id, 0):
            with contextlib.suppress(NotFound):  # signed out meanwhile
                await self.accounts.revoke_session(user_id, session.id)
