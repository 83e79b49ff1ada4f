"""The home timeline: posts of the people one follows (and one's own), newest first.

Hybrid fan-out. Posts of ordinary accounts are pushed into each active follower's stored
timeline (`mb_timeline`) by the fan-out worker; posts of celebrities (`mb_celebrities`,
followed by more than the threshold) are never pushed — a page merges the stored entries with
the followed celebrities' newest posts in one UNION ALL query (one index range per source,
each limited to the page size), so a celebrity with millions of followers posts in constant
time and a reader pays for the few celebrities they follow, not for their follower counts.

The stored timeline is a cache; every page re-checks that the viewer still follows the author,
and visibility, blocks and deletion (`Audience`). Below `mb_accounts.timeline_floor` the cache
may have holes (trimmed to `timeline_max` entries, or rebuilt after an absence), so older pages
come straight from the follow graph ("pull") instead.

Activity. Followers idle for `inactive_after_s` (7 days) are not pushed to. When one comes
back, the first page of their timeline rebuilds the stored entries first — the newest
`rebuild_size` posts of their followees since the newest entry they have — in the same
request, so the first page is never empty; the hole below is then read by pull.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, bindparam, cast, delete, func, literal, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from hutong.microblog.audience import PUSHED_VISIBILITIES
from hutong.microblog.cursors import read_id
from hutong.microblog.models import Account, Celebrity, Follow, Post, TimelineEntry
from hutong.microblog.paging import fill_page
from hutong.microblog.schemas import NewCountOut, PostPage

if TYPE_CHECKING:
    from hutong.microblog.service import MicroblogService

TOUCH_EVERY = dt.timedelta(hours=1)
MAX_ARMS = 400  # SQLite allows 500 terms in one compound SELECT
NEW_MAX = 99


_PUSHED = ", ".join(f"'{v}'" for v in PUSHED_VISIBILITIES)


@functools.lru_cache(maxsize=512)
def page_statement(celebs: int, below: bool, only: bool) -> Any:
    """One page of candidates as a single statement: the newest `:n` stored entries (whose
    author the viewer still follows) and the newest `:n` posts of each followed celebrity
    (`:c0`, `:c1`, …), each an index range scan with its own LIMIT, merged newest first.

    Written as SQL text, cached per shape: building and hashing an expression tree of 20
    UNION arms on every request cost more than running it.
    """
    # Only constants and arm counts shape the SQL; every value is a bound parameter.
    upper = " AND {col} < :below" if below else ""
    stored = (
        "SELECT t.post_id AS id FROM mb_timeline t WHERE t.owner_id = :viewer"  # noqa: S608
        " AND t.post_id > :low"
        + upper.format(col="t.post_id")
        + (" AND t.author_id IN :only" if only else "")
        + " AND (t.author_id = :viewer OR EXISTS (SELECT 1 FROM mb_follows f"
        " WHERE f.follower_id = :viewer AND f.followee_id = t.author_id))"
        " ORDER BY t.post_id DESC LIMIT :n"
    )
    celeb = (
        "SELECT p.id AS id FROM mb_posts p WHERE p.author_id = :c{i} AND p.id > :low"  # noqa: S608
        + upper.format(col="p.id")
        + " AND p.deleted_at IS NULL AND p.status = 'published'"
        + f" AND p.visibility IN ({_PUSHED}) ORDER BY p.id DESC LIMIT :n"
    )
    arms = [stored, *(celeb.format(i=i) for i in range(celebs))]
    merged = " UNION ".join(
        "SELECT id FROM (" + arm + f") AS a{i}"  # noqa: S608
        for i, arm in enumerate(arms)
    )
    sql = (
        "SELECT mb_posts.* FROM mb_posts JOIN (" + merged + ") AS u ON mb_posts.id = u.id"  # noqa: S608
        " ORDER BY mb_posts.id DESC LIMIT :n"
    )
    clause = text(sql)
    if only:
        clause = clause.bindparams(bindparam("only", expanding=True))
    return select(Post).from_statement(clause)


class Timeline:
    def __init__(self, svc: MicroblogService) -> None:
        self.svc = svc

    # -- reading -------------------------------------------------------------------------

    async def home(
        self, viewer: int, cursor: str | None, limit: int, group_id: int | None = None
    ) -> PostPage:
        """One page of the viewer's home timeline (optionally only one followee group)."""
        svc = self.svc
        before = read_id(cursor)
        blocked = await svc.blocked_ids(viewer)
        for _ in range(2):
            async with svc.db.read() as s:
                state = (
                    await s.execute(
                        select(Account.active_at, Account.timeline_floor).where(
                            Account.user_id == viewer
                        )
                    )
                ).first()
                active_at, floor = state if state is not None else (None, 0)
                # A first page notes the visit (and rebuilds after an absence) first, in a
                # write transaction of its own, at most once an hour; then reads.
                if before is not None or self._fresh(active_at):
                    return await self._page(s, viewer, before, limit, group_id, floor, blocked)
            await self.arrive(viewer)
        raise AssertionError("unreachable: arrive() leaves the account fresh")

    async def _page(
        self,
        s: AsyncSession,
        viewer: int,
        before: int | None,
        limit: int,
        group_id: int | None,
        floor: int,
        blocked: set[int],
    ) -> PostPage:
        svc = self.svc
        only = None
        if group_id is not None:
            only = await svc.groups.member_ids(s, viewer, group_id)
        celebs = await self._celebrities(s, viewer, only)

        async def fetch(below: int | None, n: int) -> list[Post]:
            return await self._candidates(s, viewer, below, n, floor, celebs, only)

        items, next_cursor = await fill_page(
            fetch,
            lambda rows: svc.views.posts(
                s, viewer, rows, blocked=blocked, known_following={r.author_id for r in rows}
            ),
            before,
            limit,
        )
        return PostPage(items=items, next_cursor=next_cursor)

    async def new_count(self, viewer: int, since: int) -> NewCountOut:
        """How many posts are newer than `since` (the newest the client shows), up to 99."""
        async with self.svc.db.read() as s:
            floor = int(
                await s.scalar(select(Account.timeline_floor).where(Account.user_id == viewer)) or 0
            )
            celebs = await self._celebrities(s, viewer, None)
            ids = await self._candidate_ids(s, viewer, None, NEW_MAX, floor, celebs, None, since)
        return NewCountOut(count=len(ids))

    async def _celebrities(self, s: AsyncSession, viewer: int, only: set[int] | None) -> list[int]:
        rows = await s.scalars(
            select(Celebrity.user_id)
            .join(Follow, and_(Follow.followee_id == Celebrity.user_id))
            .where(Follow.follower_id == viewer)
        )
        return sorted(c for c in rows if only is None or c in only)

    async def _candidates(
        self,
        s: AsyncSession,
        viewer: int,
        below: int | None,
        n: int,
        floor: int,
        celebs: list[int],
        only: set[int] | None,
    ) -> list[Post]:
        if below is not None and below <= floor + 1:
            return await self._pull(s, viewer, below, n, only)
        params: dict[str, Any] = {"viewer": viewer, "low": floor, "n": n}
        if below is not None:
            params["below"] = below
        if only is not None:
            params["only"] = sorted(only)
        arms = celebs[:MAX_ARMS]
        params.update({f"c{i}": celeb for i, celeb in enumerate(arms)})
        stmt = page_statement(len(arms), below is not None, only is not None)
        out = list(await s.scalars(stmt, params))
        if len(out) < n and floor > 0:
            out += await self._pull(s, viewer, floor + 1, n - len(out), only)
        return out

    async def _candidate_ids(
        self,
        s: AsyncSession,
        viewer: int,
        below: int | None,
        n: int,
        floor: int,
        celebs: list[int],
        only: set[int] | None,
        above: int = 0,
    ) -> list[int]:
        """Ids only (the "new posts" count), through the same statement."""
        params: dict[str, Any] = {"viewer": viewer, "low": max(floor, above), "n": n}
        arms = celebs[:MAX_ARMS]
        params.update({f"c{i}": celeb for i, celeb in enumerate(arms)})
        return [p.id for p in await s.scalars(page_statement(len(arms), False, False), params)]

    async def _pull(
        self, s: AsyncSession, viewer: int, below: int, n: int, only: set[int] | None
    ) -> list[Post]:
        """Below the floor: straight from the follow graph (slower, and rarely needed)."""
        followees = select(Follow.followee_id).where(Follow.follower_id == viewer)
        stmt = select(Post).where(
            Post.id < below,
            or_(Post.author_id == viewer, Post.author_id.in_(followees)),
            Post.deleted_at.is_(None),
        )
        if only is not None:
            stmt = stmt.where(Post.author_id.in_(only))
        return list(await s.scalars(stmt.order_by(Post.id.desc()).limit(n)))

    # -- activity, rebuild, trim ---------------------------------------------------------

    async def is_active(self, s: AsyncSession, user: int) -> bool:
        """Whether fan-out pushes to `user` (they read their timeline in the last 7 days)."""
        active_at = await s.scalar(select(Account.active_at).where(Account.user_id == user))
        return active_at is not None and active_at >= self._idle_before()

    def _idle_before(self) -> dt.datetime:
        return self.svc.clock.now() - dt.timedelta(seconds=self.svc.policy.inactive_after_s)

    def _fresh(self, active_at: dt.datetime | None) -> bool:
        return active_at is not None and active_at >= self.svc.clock.now() - TOUCH_EVERY

    async def arrive(self, viewer: int) -> None:
        """Note that the viewer reads their timeline (at most one write an hour), rebuilding
        it first if they were away long enough not to be pushed to."""
        svc = self.svc
        async with svc.db.write() as uow:
            s = uow.session
            await svc.ensure_accounts(s, [viewer])
            account = await s.get(Account, viewer, with_for_update=True)
            assert account is not None
            if self._fresh(account.active_at):
                return  # another request got here first
            if account.active_at is None or account.active_at < self._idle_before():
                await self._rebuild(s, account)
            else:
                await self._trim(s, account)
            account.active_at = svc.clock.now()

    async def _rebuild(self, s: AsyncSession, account: Account) -> None:
        viewer = account.user_id
        newest = int(
            await s.scalar(
                select(func.max(TimelineEntry.post_id)).where(TimelineEntry.owner_id == viewer)
            )
            or 0
        )
        size = self.svc.policy.rebuild_size
        recent = (
            select(cast(literal(viewer), TimelineEntry.owner_id.type), Post.id, Post.author_id)
            .where(
                Post.author_id.in_(select(Follow.followee_id).where(Follow.follower_id == viewer)),
                Post.author_id.not_in(select(Celebrity.user_id)),
                Post.id > newest,
                Post.deleted_at.is_(None),
                Post.status == "published",
                Post.visibility.in_(PUSHED_VISIBILITIES),
            )
            .order_by(Post.id.desc())
            .limit(size)
        )
        added = list(
            await s.scalars(
                self.svc.insert(TimelineEntry)
                .from_select(["owner_id", "post_id", "author_id"], recent)
                .on_conflict_do_nothing(
                    index_elements=[TimelineEntry.owner_id, TimelineEntry.post_id]
                )
                .returning(TimelineEntry.post_id)
            )
        )
        if len(added) >= size:
            # Posts between `newest` and the oldest one added were not brought back.
            account.timeline_floor = max(account.timeline_floor, min(added) - 1)
        await self._trim(s, account)

    async def _trim(self, s: AsyncSession, account: Account) -> None:
        boundary = await s.scalar(
            select(TimelineEntry.post_id)
            .where(TimelineEntry.owner_id == account.user_id)
            .order_by(TimelineEntry.post_id.desc())
            .offset(self.svc.policy.timeline_max)
            .limit(1)
        )
        if boundary is not None:
            await s.execute(
                delete(TimelineEntry).where(
                    TimelineEntry.owner_id == account.user_id, TimelineEntry.post_id <= boundary
                )
            )
            account.timeline_floor = max(account.timeline_floor, int(boundary))
