"""Microblog tables (all prefixed `mb_`).

User ids are plain id columns without foreign keys into accounts' tables, as everywhere one
domain refers to another's rows. Post ids grow with time, so "newest first" is "highest id
first" everywhere, and a page cursor is simply the last id seen.

The hot tables of the home timeline — `mb_follows` and `mb_timeline` — are keyed by the
columns every query starts with and, on SQLite, stored WITHOUT ROWID so the primary key is the
table itself (one b-tree instead of two).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hutong.core.db import Base, BigId

NO_ROWID = {"sqlite_with_rowid": False}


class Post(Base):
    """A post or a repost. A repost points at the post it reposts and at the chain's root.

    Counters are changed only by guarded single-statement updates (`x = x + 1`, `x = x - 1
    WHERE x > 0`) in the same transaction as the row they count, so they are exact and never
    negative (the CHECK constraints make a bug fail loudly instead of storing -1).
    """

    __tablename__ = "mb_posts"
    __table_args__ = (
        Index("ix_mb_posts_author", "author_id", "id"),
        Index("ix_mb_posts_repost_of", "repost_of_id", "id"),
        Index("ix_mb_posts_created", "created_at"),
        CheckConstraint(
            "reposts_count >= 0 AND comments_count >= 0 AND likes_count >= 0", name="counts"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    author_id: Mapped[int] = mapped_column(BigId)
    text: Mapped[str] = mapped_column(Text, default="")
    # public | followers | friends | only_me
    visibility: Mapped[str] = mapped_column(String(10))
    # published | held (waiting for a moderator: only the author sees it)
    status: Mapped[str] = mapped_column(String(10), default="published")
    images: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # {"topics": [...], "mentions": {handle: user_id}, "urls": [...]}
    entities: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    repost_of_id: Mapped[int | None] = mapped_column(BigId)
    root_id: Mapped[int | None] = mapped_column(BigId)
    # The reposts between this one and the root, nearest first: [{post_id, author_id, text}].
    chain: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    reposts_count: Mapped[int] = mapped_column(Integer, default=0)
    comments_count: Mapped[int] = mapped_column(Integer, default=0)
    likes_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime]
    deleted_at: Mapped[dt.datetime | None]


class Account(Base):
    """A user's microblog counters and timeline state; created on first use."""

    __tablename__ = "mb_accounts"
    __table_args__ = (
        CheckConstraint(
            "followers_count >= 0 AND following_count >= 0 AND posts_count >= 0", name="counts"
        ),
    )

    user_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    followers_count: Mapped[int] = mapped_column(Integer, default=0)
    following_count: Mapped[int] = mapped_column(Integer, default=0)
    posts_count: Mapped[int] = mapped_column(Integer, default=0)
    # Last time the user was seen using the microblog; fan-out skips users idle for 7 days.
    active_at: Mapped[dt.datetime | None]
    # Below this post id the stored timeline may have holes (trimmed, or rebuilt after an
    # absence); pages further back are read from the follow graph instead.
    timeline_floor: Mapped[int] = mapped_column(BigInteger, default=0)


class Celebrity(Base):
    """Accounts whose posts are merged into followers' timelines at read time, not pushed."""

    __tablename__ = "mb_celebrities"

    user_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    since: Mapped[dt.datetime]


class Follow(Base):
    """`follower_id` follows `followee_id`."""

    __tablename__ = "mb_follows"
    __table_args__ = (
        Index("ix_mb_follows_followers", "followee_id", "created_at", "follower_id"),
        Index("ix_mb_follows_following", "follower_id", "created_at", "followee_id"),
        NO_ROWID,
    )

    follower_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    followee_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    created_at: Mapped[dt.datetime]


class TimelineEntry(Base):
    """A post pushed into `owner_id`'s home timeline (a cache: reads re-check everything)."""

    __tablename__ = "mb_timeline"
    __table_args__ = (NO_ROWID,)

    owner_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    post_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    author_id: Mapped[int] = mapped_column(BigId)


class FanoutJob(Base):
    """Work the fan-out worker owes: written in the post's own transaction, deleted when done,
    so a crash between commit and fan-out loses nothing (the next worker picks it up)."""

    __tablename__ = "mb_fanout_jobs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # push | retract
    post_id: Mapped[int] = mapped_column(BigId)
    author_id: Mapped[int] = mapped_column(BigId)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # A worker that claims a job leases it until then; an expired lease may be claimed again.
    leased_until: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]


class FolloweeGroup(Base):
    """A user's named group of people they follow, to filter the home timeline by."""

    __tablename__ = "mb_groups"
    __table_args__ = (Index("uq_mb_groups_owner_name", "owner_id", "name", unique=True),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    owner_id: Mapped[int] = mapped_column(BigId)
    name: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[dt.datetime]


class GroupMember(Base):
    __tablename__ = "mb_group_members"
    __table_args__ = (Index("ix_mb_group_members_member", "member_id"),)

    group_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    member_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    created_at: Mapped[dt.datetime]


class Upload(Base):
    """An image a user uploaded for their posts; a post may only use its author's uploads."""

    __tablename__ = "mb_uploads"

    owner_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    media_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    thumb_id: Mapped[str] = mapped_column(String(64))
    mime: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime]


class Comment(Base):
    """A comment on a post, or a reply inside a comment's thread (`root_comment_id`)."""

    __tablename__ = "mb_comments"
    __table_args__ = (
        Index("ix_mb_comments_post", "post_id", "root_comment_id", "id"),
        CheckConstraint("replies_count >= 0 AND likes_count >= 0", name="counts"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    post_id: Mapped[int] = mapped_column(BigId)
    author_id: Mapped[int] = mapped_column(BigId)
    text: Mapped[str] = mapped_column(Text)
    entities: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The top-level comment whose thread this reply belongs to (None for top-level comments),
    # and the comment / user it answers.
    root_comment_id: Mapped[int | None] = mapped_column(BigId)
    reply_to_comment_id: Mapped[int | None] = mapped_column(BigId)
    reply_to_user_id: Mapped[int | None] = mapped_column(BigId)
    replies_count: Mapped[int] = mapped_column(Integer, default=0)
    likes_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime]
    deleted_at: Mapped[dt.datetime | None]


class PostLike(Base):
    __tablename__ = "mb_post_likes"
    __table_args__ = (NO_ROWID,)

    post_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    created_at: Mapped[dt.datetime]


class CommentLike(Base):
    __tablename__ = "mb_comment_likes"
    __table_args__ = (NO_ROWID,)

    comment_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    created_at: Mapped[dt.datetime]


class Topic(Base):
    """A `#topic#`; `key` is its folded form (NFKC, case-folded), `name` the first spelling."""

    __tablename__ = "mb_topics"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    posts_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime]


class PostTopic(Base):
    __tablename__ = "mb_post_topics"
    __table_args__ = (NO_ROWID,)

    topic_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    post_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)


class SearchGram(Base):
    """The inverted index of post search: character bigrams of CJK runs and lower-cased
    words of other scripts, each pointing at the posts containing it (see `search.py`)."""

    __tablename__ = "mb_search_grams"
    __table_args__ = (NO_ROWID,)

    gram: Mapped[str] = mapped_column(String(32), primary_key=True)
    post_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)


class TrendActivity(Base):
    """One user's latest use of a term (a topic posted, a query searched), by time bucket.

    One row per (term, user): however often an account repeats a term it counts once, at its
    latest bucket. Hot search sums decayed counts of distinct users per bucket.
    """

    __tablename__ = "mb_trend_activity"
    __table_args__ = (Index("ix_mb_trend_activity_bucket", "bucket"), NO_ROWID)

    term: Mapped[str] = mapped_column(String(128), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    bucket: Mapped[int] = mapped_column(BigInteger)
    display: Mapped[str] = mapped_column(String(128))


class HotOverride(Base):
    """An admin's decision about a hot-search entry: pin it at a position, or remove it."""

    __tablename__ = "mb_hot_overrides"

    term: Mapped[str] = mapped_column(String(128), primary_key=True)
    action: Mapped[str] = mapped_column(String(8))  # pin | remove
    display: Mapped[str] = mapped_column(String(128))
    position: Mapped[int | None] = mapped_column(Integer)
    actor_id: Mapped[int] = mapped_column(BigId)
    created_at: Mapped[dt.datetime]


class Notification(Base):
    """Something that happened to `user_id` in the microblog: followed, mentioned, commented
    on, reposted, liked. Written by `events.notify` in the transaction that emits the matching
    sync event, after that event has locked the recipient's sequence row — so one recipient's
    notification ids grow in commit order, and "read up to id N" never covers a row that
    commits later. One row per event (repeated likes of the same post are not collapsed).
    """

    __tablename__ = "microblog_notifications"
    __table_args__ = (
        Index("ix_microblog_notifications_user", "user_id", "id"),
        Index("ix_microblog_notifications_user_kind", "user_id", "kind", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigId)
    kind: Mapped[str] = mapped_column(String(10))  # follow | mention | comment | repost | like
    actor_id: Mapped[int] = mapped_column(BigId)
    post_id: Mapped[int | None] = mapped_column(BigId)
    comment_id: Mapped[int | None] = mapped_column(BigId)
    # The rest of the event: reply_to_comment_id, repost_of_id, root_id (whichever apply).
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # A snippet of the comment, repost or post that mentions (empty for follows and likes).
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime]


class NotificationsRead(Base):
    """How far a user has read their notifications: every id ≤ `read_up_to` is read."""

    __tablename__ = "microblog_notification_reads"

    user_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    read_up_to: Mapped[int] = mapped_column(BigInteger, default=0)
