"""The fan-out worker: turns `mb_fanout_jobs` into followers' timeline entries.

Durability. A job row is written in the same transaction as the post (or the deletion), so
once the author's request has succeeded the fan-out is owed even if this process dies the next
instant. The worker claims jobs with a lease (`leased_until`, `FOR UPDATE SKIP LOCKED` on
PostgreSQL, so several processes share the work), does each in one transaction and deletes the
job in that same transaction: a crash mid-job rolls it back and the lease expiry hands it to
the next worker. Entries are inserted with ON CONFLICT DO NOTHING, so doing a job twice is
harmless.

Speed. A push is one set-based statement — INSERT … SELECT from the author's followers joined
with their activity — whatever the follower count (at most the celebrity threshold, since
celebrities are not pushed). It runs right after the post commits: the post's after-commit
hook wakes the worker; a poll every `fanout_poll_s` picks up jobs from other processes and
expired leases.

One supervised task per process runs the loop; an error is logged and retried with backoff,
never lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from typing import TYPE_CHECKING

from sqlalchemy import and_, delete, exists, literal, or_, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import aliased

from hutong.microblog import events
from hutong.microblog.models import Account, FanoutJob, Follow, Post, TimelineEntry
from hutong.realtime import user_topic

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from hutong.microblog.service import MicroblogService

log = logging.getLogger(__name__)
LEASE = dt.timedelta(seconds=60)
CLAIM = 16
MAX_ATTEMPTS = 10


class Fanout:
    def __init__(self, svc: MicroblogService) -> None:
        self.svc = svc
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._live: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="microblog-fanout")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for task in list(self._live):
            task.cancel()

    async def wake(self) -> None:
        """After-commit hook of posts and deletions: there is work now."""
        self._wake.set()

    async def _loop(self) -> None:
        delay = 0.1
        while True:
            try:
                while await self.run_once():
                    pass
                delay = 0.1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.svc.policy.fanout_poll_s)
                self._wake.clear()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("fan-out failed; retrying")
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    async def drain(self, wait_s: float = 30.0) -> None:
        """Do every job there is now, and wait for jobs other tasks hold (tests, the bench)."""
        deadline = asyncio.get_running_loop().time() + wait_s
        while True:
            while await self.run_once():
                pass
            async with self.svc.db.read() as s:
                left = await s.scalar(select(FanoutJob.id).limit(1))
            if left is None:
                return
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("fan-out jobs still pending")
            await asyncio.sleep(0.01)

    async def run_once(self) -> int:
        """Claim and do a batch of jobs; the number done."""
        jobs = await self._claim()
        for job_id, kind, post_id, author_id in jobs:
            if kind == "push":
                await self._push(job_id, post_id, author_id)
            else:
                await self._retract(job_id, post_id, author_id)
        return len(jobs)

    async def _claim(self) -> list[tuple[int, str, int, int]]:
        now = self.svc.clock.now()
        claimable = and_(
            or_(FanoutJob.leased_until.is_(None), FanoutJob.leased_until < now),
            FanoutJob.attempts < MAX_ATTEMPTS,
        )
        # Look before leasing: an idle worker polls with a read, not a write transaction.
        async with self.svc.db.read() as s:
            if await s.scalar(select(FanoutJob.id).where(claimable).limit(1)) is None:
                return []
        async with self.svc.db.write() as uow:
            ids = (
                select(FanoutJob.id)
                .where(claimable)
                .order_by(FanoutJob.id)
                .limit(CLAIM)
                .with_for_update(skip_locked=True)
            )
            rows = await uow.session.execute(
                update(FanoutJob)
                .where(FanoutJob.id.in_(ids))
                .values(leased_until=now + LEASE, attempts=FanoutJob.attempts + 1)
                .returning(FanoutJob.id, FanoutJob.kind, FanoutJob.post_id, FanoutJob.author_id)
            )
            return sorted((r[0], r[1], r[2], r[3]) for r in rows.all())

    async def _push(self, job_id: int, post_id: int, author_id: int) -> None:
        svc = self.svc
        friends: set[int] = set()
        async with svc.db.read() as s:
            post = await s.get(Post, post_id)
        if post is not None and post.visibility == "friends":
            friends = await svc.contacts.friend_ids(author_id)
        active_since = svc.clock.now() - dt.timedelta(seconds=svc.policy.inactive_after_s)
        owners: list[int] = []
        async with svc.db.write() as uow:
            s = uow.session
            if (
                post is not None
                and post.deleted_at is None
                and post.status == "published"
                and post.visibility != "only_me"
            ):
                owners = await self._insert(s, post, active_since, friends)
            await s.execute(delete(FanoutJob).where(FanoutJob.id == job_id))
        if owners and len(owners) <= svc.policy.live_push_max:
            task = asyncio.create_task(self._announce(owners, post_id, author_id))
            self._live.add(task)
            task.add_done_callback(self._live.discard)

    async def _insert(
        self, s: AsyncSession, post: Post, active_since: dt.datetime, friends: set[int]
    ) -> list[int]:
        """Push `post` to its author's active followers (for a friends-only post: those who
        are followed back or are friends) in one statement; the followers reached."""
        followers = (
            select(
                Follow.follower_id,
                sql_cast(literal(post.id), TimelineEntry.post_id.type),
                sql_cast(literal(post.author_id), TimelineEntry.author_id.type),
            )
            .join(Account, Account.user_id == Follow.follower_id)
            .where(Follow.followee_id == post.author_id, Account.active_at >= active_since)
        )
        if post.visibility == "friends":
            edge = aliased(Follow)
            back = exists().where(
                edge.follower_id == post.author_id, edge.followee_id == Follow.follower_id
            )
            followers = followers.where(
                or_(back, Follow.follower_id.in_(friends)) if friends else back
            )
        result = await s.scalars(
            self.svc.insert(TimelineEntry)
            .from_select(["owner_id", "post_id", "author_id"], followers)
            .on_conflict_do_nothing(index_elements=[TimelineEntry.owner_id, TimelineEntry.post_id])
            .returning(TimelineEntry.owner_id)
        )
        return list(result)

    async def _retract(self, job_id: int, post_id: int, author_id: int) -> None:
        async with self.svc.db.write() as uow:
            await uow.session.execute(
                delete(TimelineEntry).where(
                    TimelineEntry.post_id == post_id,
                    TimelineEntry.owner_id.in_(
                        select(Follow.follower_id).where(Follow.followee_id == author_id)
                    ),
                )
            )
            await uow.session.execute(delete(FanoutJob).where(FanoutJob.id == job_id))

    async def _announce(self, owners: list[int], post_id: int, author_id: int) -> None:
        """Tell open home pages that a post arrived (ephemeral; may be missed)."""
        payload = {"post_id": post_id, "author_id": author_id}
        try:
            for owner in owners:
                await self.svc.sync.publish_ephemeral(user_topic(owner), events.TIMELINE, payload)
        except Exception:
            log.warning("announcing post %s failed", post_id, exc_info=True)
