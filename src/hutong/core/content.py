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

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, Protocol, get_args

from hutong.core.db import UnitOfWork
from hutong.core.errors import HutongError, InvalidInput

ContentKind = Literal[
    "handle",
    "display_name",
    "bio",
    "post",
    "comment",
    "message",
    "group_message",
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
        """Decide about `text` written by `author_id` for a place of `kind`.

        Also refuses (block, category `muted` or `banned`) authors under a sanction.
        """
        ...

    async def hold(
        self, uow: UnitOfWork, kind: str, ref: str, *, author_id: int, verdict: Verdict
    ) -> None:
        """Queue content a domain stored unpublished after a review verdict, in its own
        transaction; a moderator's approval calls its source's `release(ref)`."""
        ...


# -- content other domains own, for reports and moderators' decisions ------------------------


@dataclass(frozen=True, slots=True)
class ContentItem:
    """A piece of content as a given viewer sees it (a reporter's copy)."""

    author_id: int
    text: str
    context: dict[str, Any] = field(default_factory=dict)


class ContentSource(Protocol):
    """What a domain offers moderation about one kind of its content (posts, messages…)."""

    async def resolve(self, viewer_id: int, ref: str) -> ContentItem | None:
        """The item `ref` as `viewer_id` sees it; None if it does not exist or they cannot."""
        ...

    async def remove(self, ref: str, reason: str) -> None:
        """Take the item down (a moderator decided); idempotent."""
        ...

    async def release(self, ref: str) -> None:
        """Publish an item held for review (a moderator approved it); idempotent."""
        ...


class UnsupportedContent(InvalidInput):
    code = "unsupported-content"
    title = "This kind of content cannot be reported here"


class ContentSources:
    """Registry of `ContentSource`s by kind, filled by `app.py` as domains land."""

    def __init__(self) -> None:
        self._sources: dict[str, ContentSource] = {}

    def register(self, kind: str, source: ContentSource) -> None:
        if kind in self._sources:
            raise ValueError(f"a content source for {kind!r} is already registered")
        self._sources[kind] = source

    def get(self, kind: str) -> ContentSource:
        source = self._sources.get(kind)
        if source is None:
            raise UnsupportedContent(
                f"Reports of {kind!r} are not available.", fields={"kind": "not supported"}
            )
        return source

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(self._sources)
