"""My notifications: who followed, mentioned, commented on, reposted or liked me, newest first,
with an unread count and a read mark.

Rows are written by `events.notify` with the sync event that announces them (one row per
recipient and event; likes of one post are not yet collapsed into "N people liked …"). Here
they are only read, and only ever the signed-in user's own: no call takes a user id.

Reading hides what the viewer should not meet: notifications from anyone blocked either way
are left out of the list and the count; one about a post or comment that has since been
deleted, or that the viewer can no longer see, stays in the list (it happened, and it counts
while unread) but comes back `gone`, without the text.

"Read" is one mark per user, `read_up_to`: every id at or below it is read. It only moves
forward, and never past the newest notification the user has, so a notification that arrives
after the client asked cannot be marked read unseen (ids grow per recipient in commit order,
see `events.notify`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hutong.microblog.audience import load_audience
from hutong.microblog.cursors import read_id, write_id
from hutong.microblog.errors import BadNotificationKind
from hutong.microblog.events import snippet
from hutong.microblog.models import Comment, Notification, NotificationsRead, Post
from hutong.microblog.schemas import NotificationOut, NotificationPage, UnreadOut

if TYPE_CHECKING:
    from hutong.microblog.service import MicroblogService

# `?kind=` names a tab of the notifications screen; rows store the event's kind.
KINDS = {
    "mentions": "mention",
    "comments": "comment",
    "reposts": "repost",
    "likes": "like",
    "follows": "follow",
}
MAX_UNREAD = 999


def kind_of(name: str | None) -> str | None:
    """The stored kind for a `?kind=` value (None: every kind); a typed problem otherwise."""
    if name is None or name == "":
        return None
    if name not in KINDS:
        raise BadNotificationKind(list(KINDS))
    return KINDS[name]


class Notifications:
    def __init__(self, svc: MicroblogService) -> None:
        self.svc = svc

    async def page(
        self, me: int, cursor: str | None, kind: str | None, limit: int
    ) -> NotificationPage:
        """My notifications, newest first, optionally of one kind, paged by id."""
        svc = self.svc
        before = read_id(cursor)
        stored_kind = kind_of(kind)
        blocked = await svc.blocked_ids(me)
        async with svc.db.read() as s:
            stmt = self._mine(me, blocked)
            if stored_kind is not None:
                stmt = stmt.where(Notification.kind == stored_kind)
            if before is not None:
                stmt = stmt.where(Notification.id < before)
            rows = list(await s.scalars(stmt.order_by(Notification.id.desc()).limit(limit + 1)))
            more = len(rows) > limit
            rows = rows[:limit]
            read_up_to = await self._read_up_to(s, me)
            items = await self._render(s, me, rows, read_up_to, blocked)
        return NotificationPage(
            items=items, next_cursor=write_id(rows[-1].id) if more and rows else None
        )

    async def unread(self, me: int) -> UnreadOut:
        """How many of my notifications are unread (at most 999), in all and by kind."""
        svc = self.svc
        blocked = await svc.blocked_ids(me)
        async with svc.db.read() as s:
            read_up_to = await self._read_up_to(s, me)
            # Count at most MAX_UNREAD rows: a celebrity's backlog costs no more than that.
            newest = (
                self._mine(me, blocked, Notification.kind)
                .where(Notification.id > read_up_to)
                .order_by(Notification.id.desc())
                .limit(MAX_UNREAD)
                .subquery()
            )
            rows = (
                await s.execute(select(newest.c.kind, func.count()).group_by(newest.c.kind))
            ).all()
        kinds = {str(k): int(n) for k, n in rows}
        return UnreadOut(count=sum(kinds.values()), kinds=kinds, read_up_to=read_up_to)

    async def mark_read(self, me: int, up_to: int) -> UnreadOut:
        """Mark my notifications up to id `up_to` read. The mark never moves back, nor past my
        newest notification (so marking a large id cannot pre-read what has not come yet)."""
        svc = self.svc
        async with svc.db.write() as uow:
            s = uow.session
            newest = await s.scalar(
                select(func.max(Notification.id)).where(Notification.user_id == me)
            )
            mark = min(up_to, int(newest or 0))
            if mark > 0:
                stmt = svc.insert(NotificationsRead).values(user_id=me, read_up_to=mark)
                await s.execute(
                    stmt.on_conflict_do_update(
                        index_elements=[NotificationsRead.user_id],
                        set_={
                            "read_up_to": case(
                                (
                                    stmt.excluded.read_up_to > NotificationsRead.read_up_to,
                                    stmt.excluded.read_up_to,
                                ),
                                else_=NotificationsRead.read_up_to,
                            )
                        },
                    )
                )
        return await self.unread(me)

    # -- helpers -----------------------------------------------------------------------------

    def _mine(self, me: int, blocked: set[int], *columns: Any) -> Select[Any]:
        stmt = select(*columns) if columns else select(Notification)
        stmt = stmt.where(Notification.user_id == me)
        if blocked:
            stmt = stmt.where(Notification.actor_id.not_in(blocked))
        return stmt

    async def _read_up_to(self, s: AsyncSession, me: int) -> int:
        mark = await s.scalar(
            select(NotificationsRead.read_up_to).where(NotificationsRead.user_id == me)
        )
        return int(mark or 0)

    async def _render(
        self,
        s: AsyncSession,
        me: int,
        rows: Sequence[Notification],
        read_up_to: int,
        blocked: set[int],
    ) -> list[NotificationOut]:
        if not rows:
            return []
        post_ids = {r.post_id for r in rows if r.post_id is not None}
        post_ids |= {r.details["repost_of_id"] for r in rows if r.details.get("repost_of_id")}
        posts = (
            {p.id: p for p in await s.scalars(select(Post).where(Post.id.in_(post_ids)))}
            if post_ids
            else {}
        )
        comment_ids = {r.comment_id for r in rows if r.comment_id is not None}
        live_comments = (
            set(
                await s.scalars(
                    select(Comment.id).where(
                        Comment.id.in_(comment_ids), Comment.deleted_at.is_(None)
                    )
                )
            )
            if comment_ids
            else set()
        )
        audience = await load_audience(self.svc, s, me, posts.values(), blocked=blocked)
        seen = {pid for pid, p in posts.items() if audience.can_see(p)}
        authors = await self.svc.authors({r.actor_id for r in rows}, s)
        out = []
        for r in rows:
            by = authors.get(r.actor_id)
            if by is None:  # the account is gone
                continue
            gone = (r.post_id is not None and r.post_id not in seen) or (
                r.comment_id is not None and r.comment_id not in live_comments
            )
            subject = r.details.get("repost_of_id") if r.kind == "repost" else r.post_id
            post_text = None
            if not gone and subject in seen:
                post_text = snippet(posts[subject].text)
            out.append(
                NotificationOut(
                    id=r.id,
                    kind=r.kind,
                    by=by,
                    post_id=r.post_id,
                    comment_id=r.comment_id,
                    reply_to_comment_id=r.details.get("reply_to_comment_id"),
                    repost_of_id=r.details.get("repost_of_id"),
                    root_id=r.details.get("root_id"),
                    text="" if gone else r.text,
                    post_text=post_text,
                    gone=gone,
                    unread=r.id > read_up_to,
                    created_at=r.created_at,
                )
            )
        return out
