"""Moderation: term lists checked on every text, the review queue, sanctions, transparency.

Sits above every other domain. They never import it: they receive `Moderation.policy` as the
`core.content.ContentPolicy` their constructor requires.
"""

from __future__ import annotations

from hutong.core.clock import Clock
from hutong.core.db import Database
from hutong.core.pubsub import PubSub
from hutong.moderation.audit import AuditLog
from hutong.moderation.lists import TermLists
from hutong.moderation.matching import Action, InvalidTerm, Matcher, Rule
from hutong.moderation.policy import ModerationPolicy
from hutong.moderation.terms import TermService


class Moderation:
    """The moderation domain's parts, built once by `app.py`."""

    def __init__(self, db: Database, pubsub: PubSub, clock: Clock, *, refresh_s: float) -> None:
        self.audit = AuditLog(clock)
        self.lists = TermLists(db, pubsub, clock, refresh_s=refresh_s)
        self.policy = ModerationPolicy(self.lists)
        self.terms = TermService(db, clock, self.lists, self.audit)

    async def start(self) -> None:
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
