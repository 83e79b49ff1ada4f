"""The follow graph: follow, unfollow, followers and following lists, profiles with counts.

Counters (`mb_accounts.followers_count`, `following_count`) change in the same transaction as
the edge, by guarded single-statement updates, always in ascending user-id order so two
people following each other at the same moment cannot deadlock on PostgreSQL.

An account whose follower count reaches the celebrity threshold joins `mb_celebrities`: its
posts are no longer pushed but merged into timelines at read time. It leaves only below 90 % of
the threshold (so an account hovering at the line does not flap), and then its recent posts
are pushed to its active followers, so their timelines do not lose them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import cast, delete, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from hutong.accounts import PublicUser
from hutong.microblog import events
from hutong.microblog.audience import PUSHED_VISIBILITIES, followers_among, following_among
from hutong.microblog.cursors import read_pair, write_pair
from hutong.microblog.errors import FollowingLimit, SelfFollow
from hutong.microblog.models import (
    Account,
    Celebrity,
    FanoutJob,
    Follow,
    FolloweeGroup,
    GroupMember,
    Post,
    TimelineEntry,
)
from hutong.microblog.schemas import FollowOut, ProfileOut, UserCardOut, UserPage
from hutong.microblog.service import author_out

if TYPE_CHECKING:
    from hutong.microblog.service import MicroblogService


class Graph:
    def __init__(self, svc: MicroblogService) -> None:
        self.svc = svc

    async def target(self, viewer: int, handle: str) -> PublicUser:
        """A user by handle as the viewer may see them (404 if missing or they blocked the
        viewer)."""
        return await self.svc.accounts.public_profile(handle, viewer_id=viewer)

    # -- follow / unfollow -------------------------------------------------------------

    async def follow(self, me: int, handle: str) -> FollowOut:
        """Follow `handle`. Following someone already followed changes nothing."""
        svc = self.svc
        target = await self.target(me, handle)
        if target.id == me:
            raise SelfFollow("You cannot follow yourself.", fields={"handle": "yourself"})
        me_author = (await svc.authors([me]))[me]
        now = svc.clock.now()
        async with svc.db.write() as uow:
            s = uow.session
            await svc.contacts.check_can_interact(me, target.id, session=s)
            await svc.ensure_accounts(s, [me, target.id])
            mine = await s.get(Account, me)
            if mine is not None and mine.following_count >= svc.policy.max_following:
                raise FollowingLimit(f"You can follow at most {svc.policy.max_following} accounts.")
            added = await s.scalar(
                svc.insert(Follow)
                .values(follower_id=me, followee_id=target.id, created_at=now)
                .on_conflict_do_nothing(index_elements=[Follow.follower_id, Follow.followee_id])
                .returning(Follow.followee_id)
            )
            followers = None
            if added is not None:
                for uid, column in sorted(
                    [(me, "following_count"), (target.id, "followers_count")]
                ):
                    value = await svc.bump(s, uid, column, +1)
                    if uid == target.id:
                        followers = value
                if followers is not None and followers >= svc.policy.celebrity_threshold:
                    await s.execute(
                        svc.insert(Celebrity)
                        .values(user_id=target.id, since=now)
                        .on_conflict_do_nothing(index_elements=[Celebrity.user_id])
                    )
                elif await svc.timeline.is_active(s, me):
                    await self._backfill(s, me, target.id)
                await events.notify(svc.sync, uow, [target.id], events.FOLLOW, me_author, {})
            return await self._relation(s, me, target.id)

    async def unfollow(self, me: int, handle: str) -> FollowOut:
        """Stop following `handle`; their posts leave the home timeline and groups at once."""
        svc = self.svc
        target = await self.target(me, handle)
        async with svc.db.write() as uow:
            s = uow.session
            removed = await s.scalar(
                delete(Follow)
                .where(Follow.follower_id == me, Follow.followee_id == target.id)
                .returning(Follow.followee_id)
            )
            if removed is not None:
                followers = None
                for uid, column in sorted(
                    [(me, "following_count"), (target.id, "followers_count")]
                ):
                    value = await svc.bump(s, uid, column, -1)
                    if uid == target.id:
                        followers = value
                await s.execute(
                    delete(TimelineEntry).where(
                        TimelineEntry.owner_id == me, TimelineEntry.author_id == target.id
                    )
                )
                await s.execute(
                    delete(GroupMember).where(
                        GroupMember.member_id == target.id,
                        GroupMember.group_id.in_(
                            select(FolloweeGroup.id).where(FolloweeGroup.owner_id == me)
                        ),
                    )
                )
                if followers is not None and followers < svc.policy.celebrity_threshold * 0.9:
                    await self._leave_celebrities(s, target.id)
            if removed is not None:
                uow.after_commit(svc.fanout.wake)
            return await self._relation(s, me, target.id)

    async def _backfill(self, s: AsyncSession, me: int, author: int) -> None:
        """A new follow brings the author's latest posts into the follower's timeline."""
        # A plain SELECT … WHERE (not FROM a subquery): SQLite needs the WHERE to tell the
        # upsert's ON CONFLICT from a join's ON.
        recent = (
            select(cast(literal(me), TimelineEntry.owner_id.type), Post.id, Post.author_id)
            .where(
                Post.author_id == author,
                Post.deleted_at.is_(None),
                Post.status == "published",
                Post.visibility.in_(PUSHED_VISIBILITIES),
            )
            .order_by(Post.id.desc())
            .limit(self.svc.policy.follow_backfill)
        )
        await s.execute(
            self.svc.insert(TimelineEntry)
            .from_select(["owner_id", "post_id", "author_id"], recent)
            .on_conflict_do_nothing(index_elements=[TimelineEntry.owner_id, TimelineEntry.post_id])
        )

    async def _leave_celebrities(self, s: AsyncSession, author: int) -> None:
        left = await s.scalar(
            delete(Celebrity).where(Celebrity.user_id == author).returning(Celebrity.user_id)
        )
        if left is None:
            return
        recent = await s.scalars(
            select(Post.id)
            .where(
                Post.author_id == author,
                Post.deleted_at.is_(None),
                Post.status == "published",
                Post.visibility.in_(PUSHED_VISIBILITIES),
            )
            .order_by(Post.id.desc())
            .limit(self.svc.policy.follow_backfill)
        )
        now = self.svc.clock.now()
        for post_id in recent:
            s.add(FanoutJob(kind="push", post_id=post_id, author_id=author, created_at=now))

    async def _relation(self, s: AsyncSession, me: int, other: int) -> FollowOut:
        following = bool(await following_among(s, me, {other}))
        followed_by = bool(await followers_among(s, me, {other}))
        count = await s.scalar(select(Account.followers_count).where(Account.user_id == other))
        return FollowOut(
            following=following,
            followed_by=followed_by,
            mutual=following and followed_by,
            followers_count=int(count or 0),
        )

    # -- lists -------------------------------------------------------------------------

    async def followers(self, viewer: int, handle: str, cursor: str | None, limit: int) -> UserPage:
        """People following `handle`, newest first; `mutual`: `handle` follows them back."""
        return await self._list(viewer, handle, cursor, limit, followers=True)

    async def following(self, viewer: int, handle: str, cursor: str | None, limit: int) -> UserPage:
        """People `handle` follows, newest first; `mutual`: they follow `handle` back."""
        return await self._list(viewer, handle, cursor, limit, followers=False)

    async def _list(
        self, viewer: int, handle: str, cursor: str | None, limit: int, *, followers: bool
    ) -> UserPage:
        svc = self.svc
        owner = await self.target(viewer, handle)
        after = read_pair(cursor)
        # Followers of X: edges (follower=them, followee=X); following of X: (X, them).
        mine, theirs = (
            (Follow.followee_id, Follow.follower_id)
            if followers
            else (Follow.follower_id, Follow.followee_id)
        )
        blocked = await svc.contacts.blocked_either_way_ids(viewer)
        async with svc.db.read() as s:
            stmt = select(theirs, Follow.created_at).where(mine == owner.id)
            if after is not None:
                stmt = stmt.where(tuple_(Follow.created_at, theirs) < tuple_(*after))
            rows = (
                await s.execute(
                    stmt.order_by(Follow.created_at.desc(), theirs.desc()).limit(limit + 1)
                )
            ).all()
            more = len(rows) > limit
            rows = rows[:limit]
            ids = {r[0] for r in rows}
            if followers:
                mutual = await following_among(s, owner.id, ids)
            else:
                mutual = await followers_among(s, owner.id, ids)
            viewer_follows = (
                ids
                if (viewer == owner.id and not followers)
                else await following_among(s, viewer, ids)
            )
            counts = await self.follower_counts(s, ids)
        people = await svc.authors(ids)
        items = [
            UserCardOut(
                user=people[uid],
                since=at,
                mutual=uid in mutual,
                following=uid in viewer_follows,
                followers_count=counts.get(uid, 0),
            )
            for uid, at in rows
            if uid in people and uid not in blocked
        ]
        last = rows[-1] if rows else None
        return UserPage(
            items=items, next_cursor=write_pair(last[1], last[0]) if more and last else None
        )

    async def follower_counts(self, s: AsyncSession, ids: set[int]) -> dict[int, int]:
        if not ids:
            return {}
        rows = await s.execute(
            select(Account.user_id, Account.followers_count).where(Account.user_id.in_(ids))
        )
        return {uid: int(n) for uid, n in rows.all()}

    # -- profile -----------------------------------------------------------------------

    async def profile(self, viewer: int, handle: str) -> ProfileOut:
        """A user's page header: badge, bio, counts and how the viewer relates to them."""
        user = await self.target(viewer, handle)
        async with self.svc.db.read() as s:
            row = await s.get(Account, user.id)
            following = bool(await following_among(s, viewer, {user.id}))
            followed_by = bool(await followers_among(s, viewer, {user.id}))
        is_self = user.id == viewer
        return ProfileOut(
            user=author_out(user),
            bio=user.bio,
            region=user.region,
            followers_count=row.followers_count if row else 0,
            following_count=row.following_count if row else 0,
            posts_count=row.posts_count if row else 0,
            is_self=is_self,
            following=following and not is_self,
            followed_by=followed_by and not is_self,
            mutual=following and followed_by and not is_self,
        )

    async def followee_ids(self, s: AsyncSession, user: int) -> list[int]:
        return list(await s.scalars(select(Follow.followee_id).where(Follow.follower_id == user)))
