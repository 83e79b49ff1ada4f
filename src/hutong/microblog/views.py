"""Turning stored posts and comments into what a viewer gets: visibility filtered, authors with
their badges, the original of a repost, and whether the viewer liked each."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hutong.microblog.audience import Audience, load_audience
from hutong.microblog.models import Comment, CommentLike, Post, PostLike
from hutong.microblog.schemas import (
    AuthorOut,
    ChainHopOut,
    CommentOut,
    ImageOut,
    MentionOut,
    PostOut,
    ReplyToOut,
)

if TYPE_CHECKING:
    from hutong.microblog.service import MicroblogService


def media_url(media_id: str) -> str:
    return f"/media/{media_id}"


def image_out(image: dict[str, Any]) -> ImageOut:
    return ImageOut(
        id=image["id"],
        url=media_url(image["id"]),
        thumb_url=media_url(image["thumb_id"]),
        width=image["width"],
        height=image["height"],
        mime=image["mime"],
    )


def mentions_out(entities: dict[str, Any]) -> list[MentionOut]:
    return [MentionOut(handle=h, user_id=uid) for h, uid in entities.get("mentions", [])]


class Views:
    def __init__(self, svc: MicroblogService) -> None:
        self.svc = svc

    async def posts(
        self,
        s: AsyncSession,
        viewer: int,
        rows: Sequence[Post],
        *,
        blocked: set[int] | None = None,
        known_following: set[int] | None = None,
    ) -> list[PostOut]:
        """The posts of `rows` the viewer may see, in the given order, fully decorated.

        Everything is read in the caller's session `s` (never a second connection while one
        is held: under load that could exhaust the pool). For more than a post or two, pass
        `blocked` (`MicroblogService.blocked_ids`, fetched before opening the session).
        """
        rows = list(rows)
        if not rows:
            return []
        have = {r.id: r for r in rows}
        root_ids = {r.root_id for r in rows if r.root_id is not None} - have.keys()
        roots = dict(have)
        if root_ids:
            for r in await s.scalars(select(Post).where(Post.id.in_(root_ids))):
                roots[r.id] = r
        audience = await load_audience(
            self.svc, s, viewer, roots.values(), blocked=blocked, known_following=known_following
        )
        visible = [r for r in rows if audience.can_see(r)]
        if not visible:
            return []
        shown_roots = {
            r.root_id: roots[r.root_id]
            for r in visible
            if r.root_id is not None and r.root_id in roots and audience.can_see(roots[r.root_id])
        }
        ids = {r.id for r in visible} | shown_roots.keys()
        liked = set(
            await s.scalars(
                select(PostLike.post_id).where(
                    PostLike.user_id == viewer, PostLike.post_id.in_(ids)
                )
            )
        )
        people = {r.author_id for r in visible} | {r.author_id for r in shown_roots.values()}
        people |= {hop["author_id"] for r in visible for hop in r.chain}
        authors = await self.svc.authors(people, s)
        out = []
        for r in visible:
            if r.author_id not in authors:
                continue
            post = self._post(r, authors, liked)
            if r.root_id is not None:
                root = shown_roots.get(r.root_id)
                if root is not None and root.author_id in authors:
                    post.root = self._post(root, authors, liked)
                else:
                    post.root_unavailable = True
            out.append(post)
        return out

    async def post_visible(self, s: AsyncSession, viewer: int, post: Post) -> tuple[bool, Audience]:
        audience = await load_audience(self.svc, s, viewer, [post])
        return audience.can_see(post), audience

    def _post(self, r: Post, authors: dict[int, AuthorOut], liked: set[int]) -> PostOut:
        entities = r.entities or {}
        return PostOut(
            id=r.id,
            author=authors[r.author_id],
            text=r.text,
            visibility=r.visibility,
            status=r.status,
            images=[image_out(i) for i in r.images or []],
            topics=list(entities.get("topics", [])),
            mentions=mentions_out(entities),
            urls=list(entities.get("urls", [])),
            created_at=r.created_at,
            reposts_count=r.reposts_count,
            comments_count=r.comments_count,
            likes_count=r.likes_count,
            liked=r.id in liked,
            repost_of_id=r.repost_of_id,
            chain=[
                ChainHopOut(
                    post_id=hop["post_id"], author=authors.get(hop["author_id"]), text=hop["text"]
                )
                for hop in r.chain or []
            ],
        )

    async def comments(
        self,
        s: AsyncSession,
        viewer: int,
        rows: Sequence[Comment],
        replies: dict[int, list[Comment]] | None = None,
        *,
        blocked: set[int],
    ) -> list[CommentOut]:
        """Comments (with their first replies) minus those of people blocked either way."""
        replies = replies or {}
        every = list(rows) + [c for cs in replies.values() for c in cs]
        if not every:
            return []
        every = [c for c in every if c.author_id not in blocked and c.deleted_at is None]
        liked = set(
            await s.scalars(
                select(CommentLike.comment_id).where(
                    CommentLike.user_id == viewer,
                    CommentLike.comment_id.in_({c.id for c in every}),
                )
            )
        )
        people = {c.author_id for c in every} | {
            c.reply_to_user_id for c in every if c.reply_to_user_id is not None
        }
        authors = await self.svc.authors(people, s)
        keep = {c.id for c in every if c.author_id in authors}
        out = []
        for c in rows:
            if c.id not in keep:
                continue
            item = self._comment(c, authors, liked)
            item.replies = [
                self._comment(r, authors, liked) for r in replies.get(c.id, []) if r.id in keep
            ]
            out.append(item)
        return out

    def _comment(self, c: Comment, authors: dict[int, AuthorOut], liked: set[int]) -> CommentOut:
        reply_to = None
        if c.reply_to_comment_id is not None:
            reply_to = ReplyToOut(
                comment_id=c.reply_to_comment_id,
                user=authors.get(c.reply_to_user_id) if c.reply_to_user_id else None,
            )
        return CommentOut(
            id=c.id,
            post_id=c.post_id,
            author=authors[c.author_id],
            text=c.text,
            mentions=mentions_out(c.entities or {}),
            root_comment_id=c.root_comment_id,
            reply_to=reply_to,
            replies_count=c.replies_count,
            likes_count=c.likes_count,
            liked=c.id in liked,
            created_at=c.created_at,
        )
