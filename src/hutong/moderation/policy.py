"""`ModerationPolicy`: moderation's implementation of `core.content.ContentPolicy`.

Every domain that stores user text gets this object from `app.py` (as the `ContentPolicy` its
constructor requires) and calls `check` before storing. A banned author is refused everywhere
and a muted one wherever they would speak to others (posts, comments, group messages, group
names); otherwise the term lists decide: the strongest action among the matches, with the
rule's category as the reason.
"""

from __future__ import annotations

from hutong.core.content import CONTENT_KINDS, ContentKind, Outcome, Verdict
from hutong.core.db import UnitOfWork
from hutong.moderation.cases import CaseService
from hutong.moderation.lists import TermLists
from hutong.moderation.restrictions import Restrictions

_DETAIL = {
    Outcome.BLOCK: "This text contains words that are not allowed here ({category}).",
    Outcome.REVIEW: "This text will be published once a moderator has reviewed it ({category}).",
    Outcome.MASK: "Some words were replaced by * ({category}).",
}
MUTED_KINDS = frozenset({"post", "comment", "group_message", "group_name", "group_announcement"})


class ModerationPolicy:
    """The term lists and the sanctions, applied to every kind of user text."""

    def __init__(self, lists: TermLists, restrictions: Restrictions) -> None:
        self.lists = lists
        self.restrictions = restrictions
        self.cases: CaseService | None = None  # set once accounts exist (see `Moderation`)

    async def check(self, kind: ContentKind, text: str, *, author_id: int) -> Verdict:
        """Decide about `text` for a place of `kind` (`author_id` 0: not registered yet)."""
        if kind not in CONTENT_KINDS:
            # A programming error, not bad input: every place text enters has a kind.
            raise ValueError(f"unknown content kind {kind!r}")
        restriction = await self.restrictions.active(author_id)
        if restriction and (restriction.kind == "ban" or kind in MUTED_KINDS):
            until = (
                f" until {restriction.ends_at:%Y-%m-%d %H:%M} UTC" if restriction.ends_at else ""
            )
            category = "banned" if restriction.kind == "ban" else "muted"
            return Verdict(Outcome.BLOCK, text, category, f"Your account is {category}{until}.")
        scan = (await self.lists.matcher()).scan(text)
        if scan.action is None:
            return Verdict(Outcome.ALLOW, text)
        outcome = Outcome(scan.action.value)
        return Verdict(
            outcome, scan.text, scan.category, _DETAIL[outcome].format(category=scan.category)
        )

    async def hold(
        self, uow: UnitOfWork, kind: str, ref: str, *, author_id: int, verdict: Verdict
    ) -> None:
        """Queue content stored unpublished after a review verdict (in the caller's txn)."""
        if self.cases is None:
            raise RuntimeError("moderation is not connected to accounts yet")
        await self.cases.hold(
            uow, kind, ref, author_id=author_id, text=verdict.text, category=verdict.category
        )
