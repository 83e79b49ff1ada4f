"""Moderation: term lists checked on every text, the review queue, sanctions, transparency.

Sits above every other domain. They never import it: they receive `Moderation.policy` as the
`core.content.ContentPolicy` their constructor requires, and offer their content for reports
and decisions by registering a `core.content.ContentSource` for each kind.
"""

from __future__ import annotations

from hutong.accounts import AccountService
from hutong.core.clock import Clock
from hutong.core.content import ContentSources
from hutong.core.db import Database
from hutong.core.errors import Forbidden
from hutong.core.pubsub import PubSub
from hutong.core.ratelimit import ActionLimits
from hutong.moderation.audit import AuditLog
from hutong.moderation.cases import CaseService
from hutong.moderation.lists import TermLists
from hutong.moderation.matching import Action, InvalidTerm, Matcher, Rule
from hutong.moderation.policy import ModerationPolicy
from hutong.moderation.restrictions import Restrictions
from hutong.moderation.sanctions import AppealService
from hutong.moderation.sources import UserSource
from hutong.moderation.terms import TermService
from hutong.moderation.transparency import Transparency
from hutong.realtime import SyncLog


class Moderation:
    """The moderation domain's parts, built by `app.py` in two steps: the content policy
    first (every domain needs it, accounts included), then `connect` once accounts exist."""

    def __init__(self, db: Database, pubsub: PubSub, clock: Clock, *, refresh_s: float) -> None:
        self.db = db
        self.clock = clock
        self.audit = AuditLog(clock)
        self.lists = TermLists(db, pubsub, clock, refresh_s=refresh_s)
        self.restrictions = Restrictions(db, pubsub, clock)
        self.policy = ModerationPolicy(self.lists, self.restrictions)
        self.terms = TermService(db, clock, self.lists, self.audit)
        self.transparency = Transparency(db)
        self.sources = ContentSources()
        self._cases: CaseService | None = None
        self._appeals: AppealService | None = None

    def connect(self, accounts: AccountService, sync_log: SyncLog, limits: ActionLimits) -> None:
        """Reports, decisions and appeals, which act on accounts and notify users."""
        self._cases = CaseService(
            self.db,
            self.clock,
            accounts,
            sync_log,
            limits,
            self.sources,
            self.audit,
            self.restrictions,
        )
        self._appeals = AppealService(self.db, self.clock, sync_log, self.audit, self.restrictions)
        self.policy.cases = self._cases
        self.sources.register("user", UserSource(accounts))
        accounts.add_login_guard(self.login_guard)

    @property
    def cases(self) -> CaseService:
        assert self._cases is not None, "Moderation.connect was not called"
        return self._cases

    @property
    def appeals(self) -> AppealService:
        assert self._appeals is not None, "Moderation.connect was not called"
        return self._appeals

    async def login_guard(self, user_id: int) -> None:
        """Refuses sign-in to a banned account (installed on AccountService)."""
        restriction = await self.restrictions.active(user_id)
        if restriction and restriction.kind == "ban":
            raise Forbidden("This account is banned. You can still appeal within 20 days.")

    async def start(self) -> None:
        await self.restrictions.start()
        await self.lists.start()

    async def stop(self) -> None:
        await self.lists.stop()


__all__ = [
    "Action",
    "InvalidTerm",
    "Matcher",
    "Moderation",
    "ModerationPolicy",
    "Rule",
    "TermLists",
    "TermService",
]
