"""Managing the term lists: terms with category and action, and allow-list phrases.

Every change is one transaction that also bumps the lists version and writes an audit entry;
after it commits, this worker recompiles and every other worker is told (see `lists.py`).
"""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from hutong.core.clock import Clock
from hutong.core.db import Database, UnitOfWork
from hutong.core.errors import Conflict, InvalidInput, NotFound
from hutong.moderation.audit import AuditLog
from hutong.moderation.lists import LISTS_KEY, TermLists, read_version
from hutong.moderation.matching import Matcher, Scan, normalise_term
from hutong.moderation.models import AllowPhrase, ModerationState, Term
from hutong.moderation.normalise import normalise
from hutong.moderation.schemas import (
    AllowIn,
    AllowOut,
    ListsStatus,
    MatchOut,
    TermIn,
    TermOut,
    TermPage,
    TermPatch,
    TermsImport,
    TestOut,
)


def term_out(t: Term) -> TermOut:
    return TermOut(
        id=t.id,
        term=t.term,
        norm=t.norm,
        category=t.category,
        action=t.action,
        whole_word=t.whole_word,
        created_by=t.created_by,
        created_at=t.created_at,
        updated_at=t.updated_at,
    )


def allow_out(a: AllowPhrase) -> AllowOut:
    return AllowOut(
        id=a.id, phrase=a.phrase, norm=a.norm, created_by=a.created_by, created_at=a.created_at
    )


def scan_out(scan: Scan, text: str, version: int) -> TestOut:
    return TestOut(
        outcome=scan.action.value if scan.action else "allow",
        category=scan.category,
        text=scan.text,
        normalised=normalise(text),
        matches=[
            MatchOut(
                term_id=m.rule.id,
                term=m.rule.term,
                category=m.rule.category,
                action=m.rule.action.value,
                whole_word=m.rule.whole_word,
                start=m.start,
                end=m.end,
                text=m.text,
            )
            for m in scan.matches
        ],
        version=version,
    )


class TermService:
    def __init__(self, db: Database, clock: Clock, lists: TermLists, audit: AuditLog) -> None:
        self.db = db
        self.clock = clock
        self.lists = lists
        self.audit = audit
        dialect = sqlite if db.is_sqlite else postgresql
        self._upsert = dialect.insert

    async def _bump(self, uow: UnitOfWork) -> int:
        """Advance the lists version in this transaction; announce it once committed."""
        stmt = self._upsert(ModerationState).values(key=LISTS_KEY, value=1)
        stmt = stmt.on_conflict_do_update(
            index_elements=[ModerationState.key], set_={"value": ModerationState.value + 1}
        ).returning(ModerationState.value)
        version = int((await uow.session.execute(stmt)).scalar_one())

        async def announce() -> None:
            await self.lists.announce(version)

        uow.after_commit(announce)
        return version

    # -- terms ---------------------------------------------------------------------------

    async def list_terms(
        self,
        *,
        after: int = 0,
        limit: int = 100,
        category: str | None = None,
        action: str | None = None,
        search: str | None = None,
    ) -> TermPage:
        query = select(Term).where(Term.id > after).order_by(Term.id).limit(limit + 1)
        if category:
            query = query.where(Term.category == category)
        if action:
            query = query.where(Term.action == action)
        if search and (norm := normalise(search)):
            query = query.where(Term.norm.contains(norm, autoescape=True))
        async with self.db.read() as s:
            rows = (await s.scalars(query)).all()
            version = await read_version(s)
        page = [term_out(t) for t in rows[:limit]]
        more = len(rows) > limit
        return TermPage(terms=page, next_cursor=page[-1].id if more else None, version=version)

    async def add_term(self, actor_id: int, body: TermIn) -> TermOut:
        return (await self.import_terms(actor_id, TermsImport(terms=[body]), single=True))[0]

    async def import_terms(
        self, actor_id: int, body: TermsImport, *, single: bool = False
    ) -> list[TermOut]:
        """Add terms, all or none: one bad or duplicate term refuses the whole batch."""
        norms: dict[str, int] = {}
        for i, item in enumerate(body.terms):
            name = "term" if single else f"terms.{i}.term"
            norm = normalise_term(item.term, whole_word=item.whole_word, field_name=name)
            if norm in norms:
                raise InvalidInput(
                    f"Terms {norms[norm]} and {i} are the same once normalised.",
                    fields={name: "duplicate in this batch"},
                )
            norms[norm] = i
        now = self.clock.now()
        try:
            async with self.db.write() as uow:
                taken = (
                    await uow.session.scalars(select(Term.norm).where(Term.norm.in_(list(norms))))
                ).all()
                if taken:
                    i = norms[taken[0]]
                    raise Conflict(
                        f"“{body.terms[i].term}” is already listed (as “{taken[0]}”).",
                        fields={"term" if single else f"terms.{i}.term": "already listed"},
                    )
                rows = [
                    Term(
                        term=item.term.strip(),
                        norm=norm,
                        category=item.category,
                        action=item.action,
                        whole_word=item.whole_word,
                        created_by=actor_id,
                        created_at=now,
                        updated_at=now,
                    )
                    for norm, item in zip(norms, body.terms, strict=True)
                ]
                uow.session.add_all(rows)
                await uow.session.flush()
                for row in rows:
                    self.audit.record(
                        uow,
                        actor_id=actor_id,
                        action="term.create",
                        category=row.category,
                        target_kind="term",
                        target_id=row.id,
                        detail={"term": row.term, "action": row.action, "whole": row.whole_word},
                    )
                await self._bump(uow)
                return [term_out(r) for r in rows]
        except IntegrityError as exc:  # a concurrent request listed the same term first
            raise Conflict("One of these terms was listed meanwhile.") from exc

    async def update_term(self, actor_id: int, term_id: int, body: TermPatch) -> TermOut:
        changes = body.model_dump(exclude_unset=True, exclude_none=True)
        async with self.db.write() as uow:
            row = await uow.session.get(Term, term_id, with_for_update=True)
            if row is None:
                raise NotFound("No such term.")
            if "whole_word" in changes:
                normalise_term(row.term, whole_word=changes["whole_word"], field_name="whole_word")
            before = {k: getattr(row, k) for k in changes}
            for k, v in changes.items():
                setattr(row, k, v)
            row.updated_at = self.clock.now()
            self.audit.record(
                uow,
                actor_id=actor_id,
                action="term.update",
                category=row.category,
                target_kind="term",
                target_id=row.id,
                detail={"term": row.term, "before": before, "after": changes},
            )
            await self._bump(uow)
            return term_out(row)

    async def delete_term(self, actor_id: int, term_id: int) -> None:
        async with self.db.write() as uow:
            row = await uow.session.get(Term, term_id, with_for_update=True)
            if row is None:
                raise NotFound("No such term.")
            await uow.session.delete(row)
            self.audit.record(
                uow,
                actor_id=actor_id,
                action="term.delete",
                category=row.category,
                target_kind="term",
                target_id=term_id,
                detail={"term": row.term, "action": row.action},
            )
            await self._bump(uow)

    # -- allow-list ------------------------------------------------------------------------

    async def list_allow(self) -> list[AllowOut]:
        async with self.db.read() as s:
            rows = (await s.scalars(select(AllowPhrase).order_by(AllowPhrase.id))).all()
        return [allow_out(a) for a in rows]

    async def add_allow(self, actor_id: int, body: AllowIn) -> AllowOut:
        norm = normalise_term(body.phrase, field_name="phrase")
        try:
            async with self.db.write() as uow:
                exists = await uow.session.scalar(
                    select(func.count()).select_from(AllowPhrase).where(AllowPhrase.norm == norm)
                )
                if exists:
                    raise Conflict("That phrase is already allowed.", fields={"phrase": "listed"})
                row = AllowPhrase(
                    phrase=body.phrase.strip(),
                    norm=norm,
                    created_by=actor_id,
                    created_at=self.clock.now(),
                )
                uow.session.add(row)
                await uow.session.flush()
                self.audit.record(
                    uow,
                    actor_id=actor_id,
                    action="allow.create",
                    target_kind="allow",
                    target_id=row.id,
                    detail={"phrase": row.phrase},
                )
                await self._bump(uow)
                return allow_out(row)
        except IntegrityError as exc:
            raise Conflict("That phrase is already allowed.", fields={"phrase": "listed"}) from exc

    async def delete_allow(self, actor_id: int, allow_id: int) -> None:
        async with self.db.write() as uow:
            result = await uow.session.execute(
                delete(AllowPhrase).where(AllowPhrase.id == allow_id).returning(AllowPhrase.phrase)
            )
            phrase = result.scalar_one_or_none()
            if phrase is None:
                raise NotFound("No such allow-list entry.")
            self.audit.record(
                uow,
                actor_id=actor_id,
                action="allow.delete",
                target_kind="allow",
                target_id=allow_id,
                detail={"phrase": phrase},
            )
            await self._bump(uow)

    # -- trying text -----------------------------------------------------------------------

    async def test(self, text: str) -> TestOut:
        """What the current lists make of `text`, without storing anything."""
        matcher: Matcher = await self.lists.matcher()
        return scan_out(matcher.scan(text), text, matcher.version)

    async def status(self) -> ListsStatus:
        matcher = await self.lists.matcher()
        async with self.db.read() as s:
            version = await read_version(s)
        return ListsStatus(
            version=version,
            loaded_version=matcher.version,
            terms=matcher.rule_count,
            allow=matcher.allow_count,
            skipped=len(matcher.skipped),
            loaded_at=self.lists.loaded_at,
        )
