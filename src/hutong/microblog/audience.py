"""Who may see a post. Every read path — timelines, post pages, comments, topics, search, hot
posts, profiles — filters through `Audience.can_see`, so the rule lives in one place:

* nobody sees a deleted post; only its author sees a post held for review;
* nobody sees the posts of someone who blocked them or whom they blocked (contacts' blocks);
* public: everyone signed in; followers: the author's followers; friends: people who follow
  the author and are followed back (mutual follows), or the author's WeChat-style friends
  (contacts); only_me: the author alone.

An `Audience` is loaded once per request for the authors of the posts at hand, with as few
queries as the posts need (no follow lookups for a page of public posts).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hutong.microblog.models import Follow, Post

if TYPE_CHECKING:
    from hutong.microblog.service import MicroblogService

# What a follower's stored timeline may hold (only_me posts are never pushed).
PUSHED_VISIBILITIES = ("public", "followers", "friends")


@dataclass
class Audience:
    viewer: int
    following: set[int] = field(default_factory=set)
    followed_by: set[int] = field(default_factory=set)
    friends: set[int] = field(default_factory=set)
    blocked: set[int] = field(default_factory=set)

    def can_see(self, post: Post) -> bool:
        if post.deleted_at is not None:
            return False
        author = post.author_id
        if author == self.viewer:
            return True
        if post.status != "published" or author in self.blocked:
            return False
        vis = post.visibility
        if vis == "public":
            return True
        if vis == "followers":
            return author in self.following
        if vis == "friends":
            return (author in self.following and author in self.followed_by) or (
                author in self.friends
            )
        return False

    def visible_kinds(self, author: int) -> tuple[str, ...]:
        """The visibilities of `author`'s posts this viewer may see (for SQL filters)."""
        if author == self.viewer:
            return ("public", "followers", "friends", "only_me")
        if author in self.blocked:
            return ()
        kinds = ["public"]
        if author in self.following:
            kinds.append("followers")
        if (author in self.following and author in self.followed_by) or author in self.friends:
            kinds.append("friends")
        return tuple(kinds)


async def load_audience(
    svc: MicroblogService,
    s: AsyncSession,
    viewer: int,
    posts: Iterable[Post],
    *,
    blocked: set[int] | None = None,
    known_following: set[int] | None = None,
) -> Audience:
    """The facts needed to decide about `posts` for `viewer`, read in the caller's session.

    `blocked`: everyone blocked either way with the viewer, fetched by the caller before it
    opened its session (`contacts.blocked_either_way_ids`); without it each author is checked
    here, which suits one or two posts. `known_following`: authors the caller already knows
    the viewer follows (the home timeline's query checks the follow itself).
    """
    posts = list(posts)
    authors = {p.author_id for p in posts} - {viewer}
    audience = Audience(viewer)
    if not authors:
        return audience
    if blocked is None:
        audience.blocked = {
            a for a in authors if await svc.contacts.is_blocked_either_way(viewer, a, session=s)
        }
    else:
        audience.blocked = blocked & authors
    restricted = {p.author_id for p in posts if p.visibility in ("followers", "friends")}
    restricted -= {viewer} | audience.blocked
    if not restricted:
        return audience
    known = (known_following or set()) & restricted
    audience.following = known | await following_among(s, viewer, restricted - known)
    friends_only = {p.author_id for p in posts if p.visibility == "friends"} & restricted
    if friends_only:
        audience.followed_by = await followers_among(s, viewer, friends_only)
        for author in friends_only - (audience.following & audience.followed_by):
            if await svc.contacts.are_friends(viewer, author, session=s):
                audience.friends.add(author)
    return audience


async def audience_of_author(
    svc: MicroblogService, s: AsyncSession, viewer: int, author: int
) -> Audience:
    """Everything about one author (a profile page, a mention): follows both ways,
    friendship, blocks — all read in the caller's session."""
    audience = Audience(viewer)
    if author == viewer:
        return audience
    if await svc.contacts.is_blocked_either_way(viewer, author, session=s):
        audience.blocked = {author}
    audience.following = await following_among(s, viewer, {author})
    audience.followed_by = await followers_among(s, viewer, {author})
    if not (audience.following and audience.followed_by) and await svc.contacts.are_friends(
        viewer, author, session=s
    ):
        audience.friends = {author}
    return audience


async def following_among(s: AsyncSession, user: int, others: set[int]) -> set[int]:
    """Which of `others` `user` follows (primary-key lookups)."""
    if not others:
        return set()
    rows = await s.scalars(
        select(Follow.followee_id).where(Follow.follower_id == user, Follow.followee_id.in_(others))
    )
    return set(rows)


async def followers_among(s: AsyncSession, user: int, others: set[int]) -> set[int]:
    """Which of `others` follow `user` (primary-key lookups, not a scan of user's followers)."""
    if not others:
        return set()
    rows = await s.scalars(
        select(Follow.follower_id).where(Follow.follower_id.in_(others), Follow.followee_id == user)
    )
    return set(rows)
