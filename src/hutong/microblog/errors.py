"""Typed problems of the microblog; each has its own `type` slug so clients can tell them apart
without reading the text. Posts a viewer may not see are plain `not-found`: a stranger cannot
learn that a followers-only post exists."""

from __future__ import annotations

from hutong.core.errors import Conflict, Forbidden, HutongError, InvalidInput


class TextTooLong(InvalidInput):
    code = "text-too-long"
    title = "The text is longer than allowed"

    def __init__(self, length: int, limit: int, *, field: str = "text") -> None:
        super().__init__(
            f"{length} characters; at most {limit} are allowed (Weibo count).",
            fields={field: f"{length} of at most {limit} characters"},
            extra={"length": length, "max_length": limit},
        )


class TooManyImages(InvalidInput):
    code = "too-many-images"
    title = "Too many images"

    def __init__(self, count: int, limit: int) -> None:
        super().__init__(
            f"{count} images; a post has at most {limit}.",
            fields={"images": f"at most {limit}"},
            extra={"count": count, "max_images": limit},
        )


class SelfFollow(InvalidInput):
    code = "self-follow"
    title = "You cannot follow yourself"


class FollowingLimit(Conflict):
    code = "following-limit"
    title = "You follow as many accounts as allowed"


class NotFollowing(Conflict):
    code = "not-following"
    title = "Only accounts you follow can be in your groups"


class GroupLimit(Conflict):
    code = "group-limit"
    title = "Too many groups or members"


class PostDeleted(HutongError):
    status = 410
    code = "post-deleted"
    title = "This post has been deleted"


class NotRepostable(Forbidden):
    code = "not-repostable"
    title = "Only public posts can be reposted"


class BadCursor(InvalidInput):
    code = "bad-cursor"
    title = "The page cursor is not valid"

    def __init__(self) -> None:
        super().__init__("Use the next_cursor of a previous page.", fields={"cursor": "invalid"})


class BadNotificationKind(InvalidInput):
    code = "bad-notification-kind"
    title = "No such kind of notification"

    def __init__(self, kinds: list[str]) -> None:
        super().__init__(
            f"kind is one of: {', '.join(kinds)}.",
            fields={"kind": "unknown"},
            extra={"kinds": kinds},
        )
