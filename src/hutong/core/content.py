"""The content policy: the one checked entry point for every piece of user text.

Every domain that stores text a user wrote (display names, bios, posts, comments, messages,
group names, mini-program names) must run it through a `ContentPolicy` before storing it. The
policy is defined here so that low domains can depend on it without importing moderation, which
implements it and sits above them all; `app.py` hands the implementation to each service's
constructor, where it is a required argument.

A verdict is one of four outcomes, in increasing severity:

* allow  — store `text` as given;
* mask   — store `verdict.text`, in which the matched words are replaced by `*`;
* review — hold the content until a moderator decides (`verdict.text` is what to publish if
  approved); content that cannot be held (a profile field) is refused with `ContentNeedsReview`;
* block  — refuse the request with `ContentBlocked`, naming the rule's category as the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, Protocol, get_args

from hutong.core.errors import HutongError

ContentKind = Literal[
    "handle",
    "display_name",
    "bio",
    "post",
    "comment",
    "message",
    "group_name",
    "group_announcement",
    "miniapp_name",
    "miniapp_description",
]
CONTENT_KINDS: frozenset[str] = frozenset(get_args(ContentKind))


class Outcome(StrEnum):
    ALLOW = "allow"
    MASK = "mask"
    REVIEW = "review"
    BLOCK = "block"


class ContentBlocked(HutongError):
    status = 422
    code = "content-blocked"
    title = "This text is not allowed"


class ContentNeedsReview(HutongError):
    status = 422
    code = "content-needs-review"
    title = "This text needs a moderator's review"


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the policy decided about one text."""

    outcome: Outcome
    text: str
    category: str = ""
    detail: str = ""

    def publishable(self, field: str, *, maskable: bool = True) -> str:
        """The text to store for content that cannot be held for review (profile fields).

        Raises `ContentBlocked` for block (and for mask when `maskable` is false, e.g. a handle,
        which cannot contain `*`) and `ContentNeedsReview` for review; nothing is stored then.
        """
        if self.outcome is Outcome.ALLOW:
            return self.text
        if self.outcome is Outcome.MASK and maskable:
            return self.text
        if self.outcome is Outcome.REVIEW:
            raise ContentNeedsReview(
                self.detail
                or f"This {field.replace('_', ' ')} needs a moderator's review; "
                "please choose other words.",
                fields={field: f"needs review ({self.category})"},
                extra={"reason": self.category, "outcome": self.outcome.value},
            )
        raise ContentBlocked(
            self.detail or f"This {field.replace('_', ' ')} is not allowed ({self.category}).",
            fields={field: f"not allowed ({self.category})"},
            extra={"reason": self.category, "outcome": self.outcome.value},
        )


class ContentPolicy(Protocol):
    """Implemented by moderation; passed by `app.py` to every domain that stores user text."""

    async def check(self, kind: ContentKind, text: str, *, author_id: int) -> Verdict:
        """Decide about `text` written by `author_id` for a place of `kind`."""
        ...
