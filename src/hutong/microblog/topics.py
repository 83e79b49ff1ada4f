"""`#topic#` pages: each topic is a row keyed by its folded name, linked to the posts using it.

A post's topics are attached in the post's own transaction (counter by upsert, so concurrent
posts on one topic add up exactly) and count as trend activity of the author for hot search.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hutong.core.db import UnitOfWork
from hutong.core.errors import NotFound
from hutong.microblog.cursors import read_id
from hutong.microblog.models import Post, PostTopic, Topic
from hutong.microblog.paging import fill_page
from hutong.microblog.schemas import PostPage, TopicOut, TopicPageOut
from hutong.microblog.text import topic_key

if TYPE_CHECKING:
    from hutong.microblog.service import MicroblogService

KEY_MAX = 128


def key_of(name: str) -> str:
    return topic_key(name)[:KEY_MAX]


class Topics:
    def __init__(self, svc: MicroblogService) -> None:
        self.svc = svc

    async def attach(self, uow: UnitOfWork, post: Post) -> None:
        names = post.entities.get("topics", [])
        if not names:
            return
        svc = self.svc
        s = uow.session
        now = svc.clock.now()
        for name in names:
            key = key_of(name)
            stmt = svc.insert(Topic).values(key=key, name=name, posts_count=1, created_at=now)
            topic_id = await s.scalar(
                stmt.on_conflict_do_update(
                    index_elements=[Topic.key], set_={"posts_count": Topic.posts_count + 1}
                ).returning(Topic.id)
            )
            s.add(PostTopic(topic_id=topic_id, post_id=post.id))
        await svc.hot.record(s, post.author_id, [(key_of(n), n) for n in names])

    async def detach(self, s: AsyncSession, post: Post) -> None:
        ids = list(await s.scalars(select(PostTopic.topic_id).where(PostTopic.post_id == post.id)))
        if not ids:
            return
        await s.execute(
            update(Topic)
            .where(Topic.id.in_(ids), Topic.posts_count > 0)
            .values(posts_count=Topic.posts_count - 1)
        )
        await s.execute(delete(PostTopic).where(PostTopic.post_id == post.id))

    async def page(self, viewer: int, name: str, cursor: str | None, limit: int) -> TopicPageOut:
        """A topic and its posts the viewer may see, newest first."""
        svc = self.svc
        before = read_id(cursor)
        blocked = await svc.blocked_ids(viewer)
        async with svc.db.read() as s:
            topic = await s.scalar(select(Topic).where(Topic.key == key_of(name)))
            if topic is None:
                raise NotFound("No posts use this topic yet.")

            async def fetch(below: int | None, n: int) -> list[Post]:
                ids = select(PostTopic.post_id).where(PostTopic.topic_id == topic.id)
                if below is not None:
                    ids = ids.where(PostTopic.post_id < below)
                ids = ids.order_by(PostTopic.post_id.desc()).limit(n)
                rows = {p.id: p for p in await s.scalars(select(Post).where(Post.id.in_(ids)))}
                return sorted(rows.values(), key=lambda p: -p.id)

            items, next_cursor = await fill_page(
                fetch, lambda rows: svc.views.posts(s, viewer, rows, blocked=blocked), before, limit
            )
        return TopicPageOut(
            topic=TopicOut(name=topic.name, posts_count=topic.posts_count),
            posts=PostPage(items=items, next_cursor=next_cursor),
        )

    async def suggest(self, prefix: str, limit: int = 10) -> list[TopicOut]:
        """Topics starting with `prefix`, most used first (for the composer's `#` menu)."""
        key = key_of(prefix)
        if not key:
            return []
        async with self.svc.db.read() as s:
            # A key range rather than LIKE: it uses the unique index on both databases.
            rows = await s.scalars(
                select(Topic)
                .where(Topic.key >= key, Topic.key < key + "\U0010ffff")
                .order_by(Topic.posts_count.desc(), Topic.id)
                .limit(limit)
            )
            return [TopicOut(name=t.name, posts_count=t.posts_count) for t in rows]
