"""Hot search (热搜) and hot posts.

Activity: posting a `#topic#` and searching a term each record (term, user, time bucket) in
`mb_trend_activity`, one row per term and user — repeating a term moves that user's row to
the newest bucket but never adds a second one, so one account's spam counts once.

Ranking: every `hot_refresh_s` (30 s by default, well within the required minute) each
process recomputes the list from the last `hot_window_s` of activity: a term's score is the
number of distinct users per bucket, each halved every `hot_half_life_s` of age. Terms need
at least `hot_min_users` distinct users; terms the content policy does not allow outright
(block, review or mask) never appear; admins' removals hide a term and pins put one at a
fixed position. An admin's change is broadcast so every process refreshes at once.

Hot posts: public posts of the last `hot_posts_window_s`, ranked by
(likes + 2·comments + 3·reposts + 1) / (age in hours + 2)^1.5, recomputed with the list.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select

from hutong.core.auth import Principal
from hutong.core.content import Outcome
from hutong.core.errors import Forbidden, NotFound
from hutong.core.pubsub import Subscription
from hutong.microblog.models import HotOverride, Post, Topic, TrendActivity
from hutong.microblog.schemas import HotEntryOut, HotOut, PostOut
from hutong.microblog.topics import key_of

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from hutong.microblog.service import MicroblogService

log = logging.getLogger(__name__)
TOPIC = "microblog:hot"
HOT_POSTS = 100


@dataclass
class Snapshot:
    entries: list[HotEntryOut] = field(default_factory=list)
    post_ids: list[int] = field(default_factory=list)
    refreshed_at: dt.datetime | None = None
    monotonic: float = 0.0


class HotSearch:
    def __init__(self, svc: MicroblogService) -> None:
        self.svc = svc
        self.snapshot = Snapshot()
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._sub: Subscription | None = None
        self._lock = asyncio.Lock()

    # -- activity ------------------------------------------------------------------------

    def bucket(self, at: dt.datetime) -> int:
        return int(at.timestamp()) // self.svc.policy.hot_bucket_s

    async def record(self, s: AsyncSession, user_id: int, terms: list[tuple[str, str]]) -> None:
        """Count `user_id` once, now, for each (key, display) term."""
        svc = self.svc
        b = self.bucket(svc.clock.now())
        for key, display in terms:
            if not key:
                continue
            stmt = svc.insert(TrendActivity).values(
                term=key, user_id=user_id, bucket=b, display=display[:128]
            )
            await s.execute(
                stmt.on_conflict_do_update(
                    index_elements=[TrendActivity.term, TrendActivity.user_id],
                    set_={"bucket": stmt.excluded.bucket, "display": stmt.excluded.display},
                )
            )

    async def searched(self, user_id: int, query: str) -> None:
        display = " ".join(query.split())
        key = key_of(display)
        if 0 < len(display) <= 32:
            async with self.svc.db.write() as uow:
                await self.record(uow.session, user_id, [(key, display)])

    # -- the list --------------------------------------------------------------------------

    async def current(self) -> HotOut:
        if self.snapshot.refreshed_at is None or (
            time.monotonic() - self.snapshot.monotonic > self.svc.policy.hot_refresh_s
        ):
            await self.refresh()
        return HotOut(entries=self.snapshot.entries, refreshed_at=self.snapshot.refreshed_at)

    async def refresh(self) -> None:
        """Recompute hot search and hot posts from the database (the source of truth)."""
        async with self._lock:
            svc = self.svc
            policy = svc.policy
            now = svc.clock.now()
            current = self.bucket(now)
            oldest = current - policy.hot_window_s // policy.hot_bucket_s
            async with svc.db.read() as s:
                rows = (
                    await s.execute(
                        select(
                            TrendActivity.term,
                            TrendActivity.bucket,
                            func.count(),
                            func.max(TrendActivity.display),
                        )
                        .where(TrendActivity.bucket >= oldest)
                        .group_by(TrendActivity.term, TrendActivity.bucket)
                    )
                ).all()
                overrides = list(await s.scalars(select(HotOverride)))
                scores: dict[str, float] = defaultdict(float)
                users: dict[str, int] = defaultdict(int)
                display: dict[str, str] = {}
                for term, b, n, shown in rows:
                    age_s = (current - b) * policy.hot_bucket_s
                    scores[term] += n * 0.5 ** (age_s / policy.hot_half_life_s)
                    users[term] += n
                    display.setdefault(term, shown)
                removed = {o.term for o in overrides if o.action == "remove"}
                pinned = sorted(
                    (o for o in overrides if o.action == "pin"),
                    key=lambda o: (o.position or 1, o.created_at),
                )
                ranked = sorted(
                    (
                        t
                        for t in scores
                        if t not in removed
                        and users[t] >= policy.hot_min_users
                        and t not in {p.term for p in pinned}
                    ),
                    key=lambda t: -scores[t],
                )
                chosen = await self._allowed(ranked, display, policy.hot_size)
                keys = [*chosen, *(p.term for p in pinned)]
                topics = set(await s.scalars(select(Topic.key).where(Topic.key.in_(keys))))
                post_ids = await self._hot_posts(s, now)
            entries = [(t, display[t], scores[t], False) for t in chosen]
            for pin in pinned:
                at = min(max((pin.position or 1) - 1, 0), len(entries))
                entries.insert(at, (pin.term, pin.display, scores.get(pin.term, 0.0), True))
            entries = entries[: policy.hot_size]
            self.snapshot = Snapshot(
                entries=[
                    HotEntryOut(
                        rank=i + 1,
                        term=shown,
                        score=round(score, 3),
                        pinned=is_pin,
                        is_topic=key in topics,
                    )
                    for i, (key, shown, score, is_pin) in enumerate(entries)
                ],
                post_ids=post_ids,
                refreshed_at=now,
                monotonic=time.monotonic(),
            )

    async def _allowed(self, ranked: list[str], display: dict[str, str], size: int) -> list[str]:
        out: list[str] = []
        for term in ranked:
            if len(out) >= size:
                break
            verdict = await self.svc.content.check("post", display[term], author_id=0)
            if verdict.outcome is Outcome.ALLOW:
                out.append(term)
        return out

    async def _hot_posts(self, s: AsyncSession, now: dt.datetime) -> list[int]:
        since = now - dt.timedelta(seconds=self.svc.policy.hot_posts_window_s)
        engagement = Post.likes_count + 2 * Post.comments_count + 3 * Post.reposts_count
        rows = (
            await s.execute(
                select(Post.id, engagement, Post.created_at)
                .where(
                    Post.created_at >= since,
                    Post.deleted_at.is_(None),
                    Post.status == "published",
                    Post.visibility == "public",
                    engagement > 0,
                )
                .order_by(engagement.desc())
                .limit(1000)
            )
        ).all()

        def score(row: Any) -> float:
            age_h = max((now - row[2]).total_seconds(), 0) / 3600
            return float((row[1] + 1) / math.pow(age_h + 2, 1.5))

        return [r[0] for r in sorted(rows, key=lambda r: (-score(r), -r[0]))[:HOT_POSTS]]

    async def hot_posts(self, viewer: int, limit: int) -> list[PostOut]:
        if self.snapshot.refreshed_at is None:
            await self.refresh()
        ids = self.snapshot.post_ids
        blocked = await self.svc.blocked_ids(viewer)
        async with self.svc.db.read() as s:
            rows = {p.id: p for p in await s.scalars(select(Post).where(Post.id.in_(ids)))}
            ordered = [rows[i] for i in ids if i in rows]
            return (await self.svc.views.posts(s, viewer, ordered, blocked=blocked))[:limit]

    # -- administration ----------------------------------------------------------------

    async def overrides(self, actor: Principal) -> list[dict[str, Any]]:
        _admin(actor)
        async with self.svc.db.read() as s:
            rows = await s.scalars(select(HotOverride).order_by(HotOverride.created_at))
            return [{"term": o.display, "action": o.action, "position": o.position} for o in rows]

    async def override(
        self, actor: Principal, term: str, action: str, position: int | None
    ) -> HotOut:
        """Pin `term` at `position` (1 when not given), or remove it from the list."""
        _admin(actor)
        svc = self.svc
        display = " ".join(term.split())
        values = {
            "term": key_of(display),
            "action": action,
            "display": display,
            "position": (position or 1) if action == "pin" else None,
            "actor_id": actor.user_id,
            "created_at": svc.clock.now(),
        }
        async with svc.db.write() as uow:
            stmt = svc.insert(HotOverride).values(**values)
            await uow.session.execute(
                stmt.on_conflict_do_update(
                    index_elements=[HotOverride.term],
                    set_={k: v for k, v in values.items() if k != "term"},
                )
            )
            uow.after_commit(self._broadcast)
        await self.refresh()
        return await self.current()

    async def clear(self, actor: Principal, term: str) -> HotOut:
        """Undo an admin's pin or removal."""
        _admin(actor)
        async with self.svc.db.write() as uow:
            gone = await uow.session.execute(
                delete(HotOverride).where(HotOverride.term == key_of(" ".join(term.split())))
            )
            if not gone.rowcount:  # type: ignore[attr-defined]
                raise NotFound("No pin or removal for that term.")
            uow.after_commit(self._broadcast)
        await self.refresh()
        return await self.current()

    async def _broadcast(self) -> None:
        await self.svc.sync.pubsub.publish(TOPIC, {"type": "refresh"})

    # -- background refresh --------------------------------------------------------------

    async def start(self) -> None:
        self._sub = await self.svc.sync.pubsub.subscribe(TOPIC, lambda _t, _m: self._wake.set())
        self._task = asyncio.create_task(self._loop(), name="microblog-hot")

    async def stop(self) -> None:
        # The subscription is left to die with pub/sub itself, which stops right after us.
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        while True:
            try:
                await self.refresh()
                await self._prune()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("hot search refresh failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.svc.policy.hot_refresh_s)
            self._wake.clear()

    async def _prune(self) -> None:
        """Drop activity older than the window (it no longer counts)."""
        policy = self.svc.policy
        oldest = self.bucket(self.svc.clock.now()) - policy.hot_window_s // policy.hot_bucket_s
        async with self.svc.db.write() as uow:
            await uow.session.execute(delete(TrendActivity).where(TrendActivity.bucket < oldest))


def _admin(actor: Principal) -> None:
    if actor.role != "admin":
        raise Forbidden("Only admins manage hot search.")
