"""Comments with replies, and likes on posts and comments.

Counts are exact and never negative: a like row and the counter it feeds change in one
transaction, and the counter only moves when the row really appeared (INSERT … ON CONFLICT DO
NOTHING RETURNING) or really disappeared (DELETE … RETURNING); decrements are guarded with
`WHERE count > 0` besides. So any interleaving of likes and unlikes — on SQLite's serialised
writers or PostgreSQL's row locks — leaves `likes_count` equal to the number of like rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hutong.core.auth import Principal
from hutong.core.errors import Forbidden, InvalidInput, NotFound
from hutong.microblog import events
from hutong.microblog.audience import audience_of_author
from hutong.microblog.cursors import read_id
from hutong.microblog.models import Comment, CommentLike, Post, PostLike
from hutong.microblog.paging import fill_page
from hutong.microblog.posts import MODERATORS
from hutong.microblog.schemas import CommentOut, CommentPage, LikeOut

if TYPE_CHECKING:
    from hutong.microblog.service import MicroblogService

REPLY_PREVIEW = 3


class Conversation:
    def __init__(self, svc: MicroblogService) -> None:
        self.svc = svc

    # -- comments ------------------------------------------------------------------------

    async def comment(
        self, me: int, post_id: int, text: str, reply_to: int | None = None
    ) -> CommentOut:
        """Comment on a post the viewer can see, or reply to one of its comments."""
        svc = self.svc
        prepared = await svc.prepare_text(me, text, "comment")
        if not prepared.text:
            raise InvalidInput("Write something.", fields={"text": "empty"})
        await svc.limits.hit(me, "comment")
        mentions = await svc.resolve_mentions(prepared.parsed.mentions)
        by = (await svc.authors([me]))[me]
        async with svc.db.write() as uow:
            s = uow.session
            post = await svc.posts.visible_post(s, me, post_id)
            await svc.contacts.check_can_interact(me, post.author_id, session=s)
            parent = None
            if reply_to is not None:
                parent = await s.get(Comment, reply_to)
                if parent is None or parent.post_id != post.id or parent.deleted_at is not None:
                    raise NotFound("No such comment on this post.")
                await svc.contacts.check_can_interact(me, parent.author_id, session=s)
            root_id = None if parent is None else (parent.root_comment_id or parent.id)
            comment = Comment(
                post_id=post.id,
                author_id=me,
                text=prepared.text,
                entities={
                    "mentions": [
                        [h, mentions[h]] for h in prepared.parsed.mentions if h in mentions
                    ],
                },
                root_comment_id=root_id,
                reply_to_comment_id=parent.id if parent else None,
                reply_to_user_id=parent.author_id if parent else None,
                created_at=svc.clock.now(),
            )
            s.add(comment)
            await s.flush()
            await s.execute(
                update(Post)
                .where(Post.id == post.id)
                .values(comments_count=Post.comments_count + 1)
            )
            if root_id is not None:
                await s.execute(
                    update(Comment)
                    .where(Comment.id == root_id)
                    .values(replies_count=Comment.replies_count + 1)
                )
            payload = {
                "post_id": post.id,
                "comment_id": comment.id,
                "reply_to_comment_id": comment.reply_to_comment_id,
                "text": events.snippet(comment.text),
            }
            told = {post.author_id} | ({parent.author_id} if parent else set())
            await events.notify(svc.sync, uow, told, events.COMMENT, by, payload)
            mentioned = {uid for _, uid in comment.entities["mentions"]} - told - {me}
            reach = [
                uid
                for uid in sorted(mentioned)
                if (await audience_of_author(svc, s, uid, post.author_id)).can_see(post)
                and not await svc.contacts.is_blocked_either_way(me, uid, session=s)
            ]
            await events.notify(
                svc.sync,
                uow,
                reach,
                events.MENTION,
                by,
                {"post_id": post.id, "comment_id": comment.id, "text": payload["text"]},
            )
            [out] = await svc.views.comments(s, me, [comment], blocked=set())
        return out

    async def comments(
        self, viewer: int, post_id: int, cursor: str | None, limit: int
    ) -> CommentPage:
        """A post's top-level comments, newest first, each with its first replies."""
        svc = self.svc
        before = read_id(cursor)
        blocked = await svc.blocked_ids(viewer)
        async with svc.db.read() as s:
            post = await svc.posts.visible_post(s, viewer, post_id)

            async def fetch(below: int | None, n: int) -> list[Comment]:
                return await self._thread(s, post.id, None, below, n, newest_first=True)

            async def render(rows: list[Comment]) -> list[CommentOut]:
                replies = {
                    c.id: await self._thread(s, post.id, c.id, None, REPLY_PREVIEW)
                    for c in rows
                    if c.replies_count
                }
                return await svc.views.comments(s, viewer, rows, replies, blocked=blocked)

            items, next_cursor = await fill_page(fetch, render, before, limit)  # type: ignore[arg-type]
        return CommentPage(items=items, next_cursor=next_cursor)

    async def replies(
        self, viewer: int, comment_id: int, cursor: str | None, limit: int
    ) -> CommentPage:
        """The replies in a comment's thread, oldest first (a conversation reads down)."""
        svc = self.svc
        after = read_id(cursor)
        blocked = await svc.blocked_ids(viewer)
        async with svc.db.read() as s:
            root = await s.get(Comment, comment_id)
            if root is None or root.deleted_at is not None:
                raise NotFound("No such comment.")
            await svc.posts.visible_post(s, viewer, root.post_id)
            rows = await self._thread(s, root.post_id, root.id, after, limit + 1)
            items = await svc.views.comments(s, viewer, rows[:limit], blocked=blocked)
        more = len(rows) > limit
        return CommentPage(items=items, next_cursor=str(rows[limit - 1].id) if more else None)

    async def _thread(
        self,
        s: AsyncSession,
        post_id: int,
        root_id: int | None,
        bound: int | None,
        n: int,
        *,
        newest_first: bool = False,
    ) -> list[Comment]:
        stmt = select(Comment).where(
            Comment.post_id == post_id,
            Comment.root_comment_id.is_(None)
            if root_id is None
            else (Comment.root_comment_id == root_id),
            Comment.deleted_at.is_(None),
        )
        if newest_first:
            if bound is not None:
                stmt = stmt.where(Comment.id < bound)
            stmt = stmt.order_by(Comment.id.desc())
        else:
            if bound is not None:
                stmt = stmt.where(Comment.id > bound)
            stmt = stmt.order_by(Comment.id)
        return list(await s.scalars(stmt.limit(n)))

    async def delete_comment(self, principal: Principal, comment_id: int) -> None:
        """Delete a comment (its author, the post's author, or a moderator). Deleting a
        top-level comment deletes its replies with it."""
        me = principal.user_id
        async with self.svc.db.write() as uow:
            s = uow.session
            comment = await s.get(Comment, comment_id, with_for_update=True)
            if comment is None or comment.deleted_at is not None:
                raise NotFound("No such comment.")
            post = await s.get(Post, comment.post_id)
            assert post is not None
            if me not in (comment.author_id, post.author_id) and principal.role not in MODERATORS:
                raise Forbidden("Only its author, the post's author or a moderator can.")
            await self._take_down(s, comment)

    async def remove(self, comment_id: int) -> None:
        """Take a comment down on a moderator's decision (idempotent)."""
        async with self.svc.db.write() as uow:
            comment = await uow.session.get(Comment, comment_id, with_for_update=True)
            if comment is not None and comment.deleted_at is None:
                await self._take_down(uow.session, comment)

    async def _take_down(self, s: AsyncSession, comment: Comment) -> None:
        now = self.svc.clock.now()
        comment.deleted_at = now
        gone = 1
        if comment.root_comment_id is None:
            result = await s.execute(
                update(Comment)
                .where(Comment.root_comment_id == comment.id, Comment.deleted_at.is_(None))
                .values(deleted_at=now)
                .returning(Comment.id)
            )
            gone += len(result.all())
        else:
            await s.execute(
                update(Comment)
                .where(Comment.id == comment.root_comment_id, Comment.replies_count > 0)
                .values(replies_count=Comment.replies_count - 1)
            )
        await s.execute(
            update(Post)
            .where(Post.id == comment.post_id, Post.comments_count >= gone)
            .values(comments_count=Post.comments_count - gone)
        )

    # -- likes -----------------------------------------------------------------------------

    async def _set_like(
        self,
        s: AsyncSession,
        likes: Any,
        key: str,
        counted: Any,
        target_id: int,
        me: int,
        like: bool,
    ) -> tuple[bool, int]:
        """Add (or remove) `me`'s row in `likes` for `target_id` and move `counted`'s
        likes_count with it, never below zero; repeating either changes nothing. Whether it
        changed, and the count now."""
        column = getattr(likes, key)
        if like:
            changed = (
                await s.scalar(
                    self.svc.insert(likes)
                    .values({key: target_id, "user_id": me, "created_at": self.svc.clock.now()})
                    .on_conflict_do_nothing(index_elements=[column, likes.user_id])
                    .returning(likes.user_id)
                )
                is not None
            )
            step = update(counted).where(counted.id == target_id)
            step = step.values(likes_count=counted.likes_count + 1)
        else:
            changed = (
                await s.scalar(
                    delete(likes)
                    .where(column == target_id, likes.user_id == me)
                    .returning(likes.user_id)
                )
                is not None
            )
            step = update(counted).where(counted.id == target_id, counted.likes_count > 0)
            step = step.values(likes_count=counted.likes_count - 1)
        if changed:
            await s.execute(step)
        count = await s.scalar(select(counted.likes_count).where(counted.id == target_id))
        return changed, int(count or 0)

    async def like_post(self, me: int, post_id: int, *, like: bool) -> LikeOut:
        """Like (or unlike) a post the viewer can see. Repeating either changes nothing."""
        svc = self.svc
        by = (await svc.authors([me]))[me] if like else None
        async with svc.db.write() as uow:
            s = uow.session
            post = await svc.posts.visible_post(s, me, post_id)
            if like:
                await svc.contacts.check_can_interact(me, post.author_id, session=s)
            changed, count = await self._set_like(s, PostLike, "post_id", Post, post.id, me, like)
            if changed and like and by is not None:
                await events.notify(
                    svc.sync,
                    uow,
                    [post.author_id],
                    events.LIKE,
                    by,
                    {"post_id": post.id, "comment_id": None},
                )
        return LikeOut(liked=like, likes_count=count)

    async def like_comment(self, me: int, comment_id: int, *, like: bool) -> LikeOut:
        svc = self.svc
        by = (await svc.authors([me]))[me] if like else None
        async with svc.db.write() as uow:
            s = uow.session
            comment = await s.get(Comment, comment_id)
            if comment is None or comment.deleted_at is not None:
                raise NotFound("No such comment.")
            await svc.posts.visible_post(s, me, comment.post_id)
            if like:
                await svc.contacts.check_can_interact(me, comment.author_id, session=s)
            changed, count = await self._set_like(
                s, CommentLike, "comment_id", Comment, comment.id, me, like
            )
            if changed and like and by is not None:
                await events.notify(
                    svc.sync,
                    uow,
                    [comment.author_id],
                    events.LIKE,
                    by,
                    {"post_id": comment.post_id, "comment_id": comment.id},
                )
        return LikeOut(liked=like, likes_count=count)
