"""Request and response shapes of the microblog API, with the input rules.

Length limits that depend on the Weibo count (140 by default, configurable) are checked by the
service, which answers the typed `text-too-long` problem; the bounds here only keep absurd
bodies out before any work is done.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Visibility = Literal["public", "followers", "friends", "only_me"]
VISIBILITIES: tuple[str, ...] = ("public", "followers", "friends", "only_me")
MAX_RAW_TEXT = 5000  # characters; far above any 140-字 post, even with long URLs


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


RawText = Annotated[str, StringConstraints(max_length=MAX_RAW_TEXT)]
MediaId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
GroupName = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=20, pattern=r"^[^\x00-\x1f\x7f]+$"
    ),
]
Term = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=32, pattern=r"^[^\x00-\x1f\x7f]+$"
    ),
]


# -- input ------------------------------------------------------------------------------


class PostIn(Strict):
    text: RawText = Field("", description="At most 140 Weibo characters (see /microblog/count)")
    images: list[MediaId] = Field(
        default_factory=list,
        max_length=100,
        description="ids from POST /microblog/images, at most 9, in display order",
    )
    visibility: Visibility = "public"


class RepostIn(Strict):
    text: RawText = Field("", description="The reposter's comment; may be empty")
    visibility: Visibility = "public"


class CommentIn(Strict):
    text: RawText
    reply_to: int | None = Field(None, gt=0, lt=2**63, description="a comment id to answer")


class CountIn(Strict):
    text: RawText


class GroupIn(Strict):
    name: GroupName


class MarkReadIn(Strict):
    up_to: int = Field(
        gt=0, lt=2**63, description="the newest notification id seen: it and all before are read"
    )


class HotOverrideIn(Strict):
    term: Term
    action: Literal["pin", "remove"]
    position: int | None = Field(None, ge=1, le=50, description="1-based; pins only")


# -- output -----------------------------------------------------------------------------


class AuthorOut(BaseModel):
    """A person as shown next to a post or in a list, with their verification badge
    (`verified`: "" none, "personal" orange V, "organisation" blue V)."""

    id: int
    handle: str
    display_name: str
    avatar_url: str | None
    avatar_thumb_url: str | None
    verified: str
    verified_reason: str


class ImageOut(BaseModel):
    id: str
    url: str
    thumb_url: str
    width: int
    height: int
    mime: str


class MentionOut(BaseModel):
    handle: str
    user_id: int


class ChainHopOut(BaseModel):
    """One repost between a repost and its root (`//@handle: text` in Weibo's notation)."""

    post_id: int
    author: AuthorOut | None
    text: str


class PostOut(BaseModel):
    id: int
    author: AuthorOut
    text: str
    visibility: Visibility
    status: Literal["published", "held"]
    images: list[ImageOut]
    topics: list[str]
    mentions: list[MentionOut]
    urls: list[str]
    created_at: dt.datetime
    reposts_count: int
    comments_count: int
    likes_count: int
    liked: bool = Field(description="the viewer likes this post")
    repost_of_id: int | None = None
    root: PostOut | None = Field(None, description="for a repost: the original post")
    root_unavailable: bool = Field(
        False, description="for a repost: the original was deleted or is hidden from the viewer"
    )
    chain: list[ChainHopOut] = Field(
        default_factory=list, description="reposts between this one and the root, nearest first"
    )


class PostPage(BaseModel):
    items: list[PostOut]
    next_cursor: str | None = Field(None, description="pass as ?cursor= for the next page")


class ReplyToOut(BaseModel):
    comment_id: int
    user: AuthorOut | None


class CommentOut(BaseModel):
    id: int
    post_id: int
    author: AuthorOut
    text: str
    mentions: list[MentionOut]
    root_comment_id: int | None
    reply_to: ReplyToOut | None
    replies_count: int
    likes_count: int
    liked: bool
    created_at: dt.datetime
    replies: list[CommentOut] = Field(
        default_factory=list, description="top-level comments: the first few replies"
    )


class CommentPage(BaseModel):
    items: list[CommentOut]
    next_cursor: str | None = None


class LikeOut(BaseModel):
    liked: bool
    likes_count: int


class FollowOut(BaseModel):
    following: bool
    followed_by: bool
    mutual: bool
    followers_count: int


class UserCardOut(BaseModel):
    """An entry of a followers/following list or a user search."""

    user: AuthorOut
    since: dt.datetime | None = Field(None, description="when the follow began (lists)")
    mutual: bool = Field(description="the list's owner and this user follow each other")
    following: bool = Field(description="the viewer follows this user")
    followers_count: int = 0


class UserPage(BaseModel):
    items: list[UserCardOut]
    next_cursor: str | None = None


class ProfileOut(BaseModel):
    user: AuthorOut
    bio: str
    region: str
    followers_count: int
    following_count: int
    posts_count: int
    is_self: bool
    following: bool = Field(description="the viewer follows this user")
    followed_by: bool = Field(description="this user follows the viewer")
    mutual: bool


class GroupOut(BaseModel):
    id: int
    name: str
    members_count: int
    created_at: dt.datetime


class TopicOut(BaseModel):
    name: str
    posts_count: int


class TopicPageOut(BaseModel):
    topic: TopicOut
    posts: PostPage


class HotEntryOut(BaseModel):
    rank: int
    term: str = Field(description="what to search or open as a topic")
    score: float
    pinned: bool
    is_topic: bool


class HotOut(BaseModel):
    entries: list[HotEntryOut]
    refreshed_at: dt.datetime | None


class CountOut(BaseModel):
    length: int
    max_length: int
    remaining: int
    urls: list[str]
    topics: list[str]
    mentions: list[str]


class NewCountOut(BaseModel):
    count: int = Field(description="posts newer than `since` in the home timeline (capped)")


NotificationKind = Literal["follow", "mention", "comment", "repost", "like"]


class NotificationOut(BaseModel):
    """One notification. What `post_id` and `comment_id` name depends on `kind`: a mention →
    the post (and comment) mentioning me; comment → the post and the new comment (a reply when
    `reply_to_comment_id` is set); repost → the new repost (`repost_of_id` is what it reposts);
    like → my post, or my comment on `post_id`; follow → neither."""

    id: int
    kind: NotificationKind
    by: AuthorOut
    post_id: int | None
    comment_id: int | None
    reply_to_comment_id: int | None = None
    repost_of_id: int | None = None
    root_id: int | None = None
    text: str = Field(description="the comment, repost or mention, shortened; empty when gone")
    post_text: str | None = Field(
        None, description="the post it is about (for a repost: the one reposted), shortened"
    )
    gone: bool = Field(
        description="the post or comment it is about was deleted or can no longer be seen"
    )
    unread: bool
    created_at: dt.datetime


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    next_cursor: str | None = Field(None, description="pass as ?cursor= for the next page")


class UnreadOut(BaseModel):
    count: int = Field(description="unread notifications, at most 999")
    kinds: dict[str, int] = Field(description="the unread count by kind (kinds with none left out)")
    read_up_to: int = Field(description="every notification id up to this one is read")
