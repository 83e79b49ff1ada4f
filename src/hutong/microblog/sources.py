"""Posts and comments as moderation sees them (`core.content.ContentSource`): what a reporter
saw, taking an item down on a moderator's decision, publishing a post held for review.
`app.py` registers them with moderation as kinds "post" and "comment"; refs are ids."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hutong.core.content import ContentItem
from hutong.core.errors import HutongError
from hutong.microblog.models import Comment

if TYPE_CHECKING:
    from hutong.microblog.service import MicroblogService


def _id(ref: str) -> int | None:
    return int(ref) if ref.isdigit() and 0 < len(ref) <= 18 else None


class PostSource:
    def __init__(self, svc: MicroblogService) -> None:
        self.svc = svc

    async def resolve(self, viewer_id: int, ref: str) -> ContentItem | None:
        post_id = _id(ref)
        if post_id is None:
            return None
        try:
            post = await self.svc.posts.get(viewer_id, post_id)
        except HutongError:
            return None
        return ContentItem(
            author_id=post.author.id,
            text=post.text,
            context={
                "post_id": post.id,
                "visibility": post.visibility,
                "images": [i.url for i in post.images],
                "repost_of_id": post.repost_of_id,
            },
        )

    async def remove(self, ref: str, reason: str) -> None:
        post_id = _id(ref)
        if post_id is not None:
            await self.svc.posts.remove(post_id)

    async def release(self, ref: str) -> None:
        post_id = _id(ref)
        if post_id is not None:
            await self.svc.posts.release(post_id)


class CommentSource:
    def __init__(self, svc: MicroblogService) -> None:
        self.svc = svc

    async def resolve(self, viewer_id: int, ref: str) -> ContentItem | None:
        comment_id = _id(ref)
        if comment_id is None:
            return None
        async with self.svc.db.read() as s:
            comment = await s.get(Comment, comment_id)
            if comment is None or comment.deleted_at is not None:
                return None
            try:
                await self.svc.posts.visible_post(s, viewer_id, comment.post_id)
            except HutongError:
                return None
            if await self.svc.contacts.is_blocked_either_way(
                viewer_id, comment.author_id, session=s
            ):
                return None
        return ContentItem(
            author_id=comment.author_id,
            text=comment.text,
            context={"comment_id": comment.id, "post_id": comment.post_id},
        )

    async def remove(self, ref: str, reason: str) -> None:
        comment_id = _id(ref)
        if comment_id is not None:
            await self.svc.talk.remove(comment_id)

    async def release(self, ref: str) -> None:
        """Comments are never held: a review verdict refuses them."""
