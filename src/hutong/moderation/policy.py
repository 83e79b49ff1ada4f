"""`ModerationPolicy`: moderation's implementation of `core.content.ContentPolicy`.

Every domain that stores user text gets this object from `app.py` (as the `ContentPolicy` its
constructor requires) and calls `check` before storing. The verdict comes from the term lists:
the strongest action among the matches decides, and the rule's category is the reason.
"""

from __future__ import annotations

from hutong.core.content import CONTENT_KINDS, ContentKind, Outcome, Verdict
from hutong.moderation.lists import TermLists

_DETAIL = {
    Outcome.BLOCK: "This text contains words that are not allowed here ({category}).",
    Outcome.REVIEW: "This text will be published once a moderator has reviewed it ({category}).",
    Outcome.MASK: "Some words were replaced by * ({category}).",
}


class ModerationPolicy:
    """The term lists applied to every kind of user text."""

    def __init__(self, lists: TermLists) -> None:
        self.lists = lists

    async def check(self, kind: ContentKind, text: str, *, author_id: int) -> Verdict:
        """Decide about `text` for a place of `kind` (`author_id` 0: not registered yet)."""
        if kind not in CONTENT_KINDS:
            # A programming error, not bad input: every place text enters has a kind.
            raise ValueError(f"unknown content kind {kind!r}")
        scan = (await self.lists.matcher()).scan(text)
        if scan.action is None:
            return Verdict(Outcome.ALLOW, text)
        outcome = Outcome(scan.action.value)
        return Verdict(
            outcome, scan.text, scan.category, _DETAIL[outcome].format(category=scan.category)
        )
