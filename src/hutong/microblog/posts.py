"""Writing, reposting, deleting and reading posts.

A post's transaction stores the post, its topics and search terms, bumps the author's count,
puts it in the author's own timeline and — unless the author is a celebrity (merged at read
time) or the post is only for the author — records a fan-out job that the background worker
turns into timeline entries for the followers after commit. Mentioned people who may see the
post are notified in the same transaction.

Validation (length, characters, content policy, images, visibility of what is reposted) all
happens before the write, so bad input changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hutong.core.auth import Principal
from hutong.core.db import UnitOfWork
from hutong.core.errors import Forbidden, InvalidInput, NotFound
from hutong.microblog import events
from hutong.microblog.audience import audience_of_author
from hutong.microblog.cursors import read_id
from hutong.microblog.errors import NotRepostable, PostDeleted, TooManyImages
from hutong.microblog.models import FanoutJob, Post, TimelineEntry, Upload
from hutong.microblog.paging import fill_page
from hutong.microblog.schemas import ImageOut, PostIn, PostOut, PostPage, RepostIn
from hutong.microblog.service import Prepared
from hutong.microblog.views import image_out

if TYPE_CHECKING:
    from hutong.microblog.service import MicroblogService

MAX_CHAIN = 10
MODERATORS = ("moderator", "admin")


class Posts:
    def __init__(self, svc: MicroblogService) -> None:
        self.svc = svc

    # -- images --------------------------------------------------------------------------

    async def upload_image(self, me: int, data: bytes) -> ImageOut:
        """Store an image for a later post (JPEG, PNG, GIF or WebP; sniffed, thumbnailed)."""
        stored = await self.svc.media.put_image(
            data, max_bytes=self.svc.policy.image_max_bytes, thumb_side=360
        )
        async with self.svc.db.write() as uow:
            await uow.session.execute(
                self.svc.insert(Upload)
                .values(
                    owner_id=me,
                    media_id=stored.id,
                    thumb_id=stored.thumb_id,
                    mime=stored.mime,
                    width=stored.width,
                    height=stored.height,
                    created_at=self.svc.clock.now(),
                )
                .on_conflict_do_nothing(index_elements=[Upload.owner_id, Upload.media_id])
            )
        return image_out(
            {
                "id": stored.id,
                "thumb_id": stored.thumb_id,
                "width": stored.width,
                "height": stored.height,
                "mime": stored.mime,
            }
        )

    async def _images(self, s: AsyncSession, me: int, ids: list[str]) -> list[dict[str, Any]]:
        if not ids:
            return []
        rows = {
            u.media_id: u
            for u in await s.scalars(
                select(Upload).where(Upload.owner_id == me, Upload.media_id.in_(set(ids)))
            )
        }
        missing = {
            f"images.{i}": "not one of your uploads" for i, m in enumerate(ids) if m not in rows
        }
        if missing:
            raise InvalidInput("Upload images with POST /microblog/images first.", fields=missing)
        return [
            {
                "id": m,
                "thumb_id": rows[m].thumb_id,
                "width": rows[m].width,
                "height": rows[m].height,
                "mime": rows[m].mime,
            }
            for m in ids
        ]

    # -- writing -------------------------------------------------------------------------

    async def create(self, me: int, body: PostIn) -> PostOut:
        """Publish a post (or hold it, when the content policy wants a moderator first)."""
        svc = self.svc
        if len(body.images) > svc.policy.max_images:
            raise TooManyImages(len(body.images), svc.policy.max_images)
        prepared = await svc.prepare_text(me, body.text, "post")
        if not prepared.text and not body.images:
            raise InvalidInput("Write something or add an image.", fields={"text": "empty"})
        await svc.limits.hit(me, "post")
        mentions = await svc.resolve_mentions(prepared.parsed.mentions)
        async with svc.db.write() as uow:
            images = await self._images(uow.session, me, body.images)
            post = await self._store(uow, me, prepared, mentions, body.visibility, images=images)
        return await self.render(me, post)

    async def repost(self, me: int, post_id: int, body: RepostIn) -> PostOut:
        """Repost `post_id` with an optional comment. A repost of a repost keeps the root and
        records the chain of reposts in between (nearest first, at most 10)."""
        svc = self.svc
        prepared = await svc.prepare_text(me, body.text, "post")
        await svc.limits.hit(me, "post")
        mentions = await svc.resolve_mentions(prepared.parsed.mentions)
        async with svc.db.write() as uow:
            s = uow.session
            target = await self.visible_post(s, me, post_id)
            root = target
            if target.root_id is not None:
                root = await s.get(Post, target.root_id)  # type: ignore[assignment]
                if root is None or root.deleted_at is not None:
                    raise PostDeleted("The original post has been deleted.")
                if not (await svc.views.post_visible(s, me, root))[0]:
                    raise NotFound("No such post.")
            if target.visibility != "public" or root.visibility != "public":
                raise NotRepostable("Only public posts can be reposted.")
            for author in {target.author_id, root.author_id} - {me}:
                await svc.contacts.check_can_interact(me, author, session=s)
            chain: list[dict[str, Any]] = []
            if target.root_id is not None:
                hop = {"post_id": target.id, "author_id": target.author_id, "text": target.text}
                chain = [hop, *target.chain][:MAX_CHAIN]
            post = await self._store(
                uow,
                me,
                prepared,
                mentions,
                body.visibility,
                repost_of=target.id,
                root_id=root.id,
                chain=chain,
            )
            for counted in {target.id, root.id}:
                await s.execute(
                    update(Post)
                    .where(Post.id == counted)
                    .values(reposts_count=Post.reposts_count + 1)
                )
            # The reposted authors hear of it only if they may see the repost (one kept to
            # "only me", or to friends they are not, says nothing to them).
            told = {
                author
                for author in {target.author_id, root.author_id} - {me}
                if (await svc.views.post_visible(s, author, post))[0]
            }
            if post.status == "published" and told:
                by = (await svc.authors([me], s))[me]
                await events.notify(
                    svc.sync,
                    uow,
                    told,
                    events.REPOST,
                    by,
                    {
                        "post_id": post.id,
                        "repost_of_id": target.id,
                        "root_id": root.id,
                        "text": events.snippet(post.text),
                    },
                )
        return await self.render(me, post)

    async def _store(
        self,
        uow: UnitOfWork,
        me: int,
        prepared: Prepared,
        mentions: dict[str, int],
        visibility: str,
        *,
        images: list[dict[str, Any]] | None = None,
        repost_of: int | None = None,
        root_id: int | None = None,
        chain: list[dict[str, Any]] | None = None,
    ) -> Post:
        svc = self.svc
        s = uow.session
        now = svc.clock.now()
        parsed = prepared.parsed
        post = Post(
            author_id=me,
            text=prepared.text,
            visibility=visibility,
            status="held" if prepared.held else "published",
            images=images or [],
            entities={
                "topics": list(parsed.topics),
                "mentions": [[h, mentions[h]] for h in parsed.mentions if h in mentions],
                "urls": list(parsed.urls),
            },
            repost_of_id=repost_of,
            root_id=root_id,
            chain=chain or [],
            created_at=now,
        )
        s.add(post)
        await s.flush()
        await svc.ensure_accounts(s, [me])
        await svc.bump(s, me, "posts_count", +1)
        s.add(TimelineEntry(owner_id=me, post_id=post.id, author_id=me))
        if post.status == "published":
            await self.publish(uow, post)
        elif prepared.verdict is not None:
            # Into moderation's review queue, in this same transaction.
            await svc.content.hold(
                uow, "post", str(post.id), author_id=me, verdict=prepared.verdict
            )
        return post

    async def publish(self, uow: UnitOfWork, post: Post) -> None:
        """What makes a stored post reach people: topics, search, fan-out, mentions."""
        svc = self.svc
        s = uow.session
        await svc.topics.attach(uow, post)
        await svc.search.index(s, post)
        if post.visibility == "only_me":
            return
        if not await svc.is_celebrity(s, post.author_id):
            s.add(
                FanoutJob(
                    kind="push",
                    post_id=post.id,
                    author_id=post.author_id,
                    created_at=svc.clock.now(),
                )
            )
            uow.after_commit(svc.fanout.wake)
        await self._notify_mentions(uow, post)

    async def _notify_mentions(self, uow: UnitOfWork, post: Post) -> None:
        mentioned = {uid for _, uid in post.entities.get("mentions", [])} - {post.author_id}
        if not mentioned:
            return
        svc = self.svc
        s = uow.session
        reach = []
        for uid in sorted(mentioned):
            audience = await audience_of_author(svc, s, uid, post.author_id)
            if audience.can_see(post):
                reach.append(uid)
        if reach:
            by = (await svc.authors([post.author_id], s))[post.author_id]
            await events.notify(
                svc.sync,
                uow,
                reach,
                events.MENTION,
                by,
                {"post_id": post.id, "comment_id": None, "text": events.snippet(post.text)},
            )

    async def delete(self, principal: Principal, post_id: int) -> None:
        """Delete a post (its author, or a moderator). It vanishes from every timeline, topic,
        search and profile at once; the worker then removes the stored timeline entries."""
        me = principal.user_id
        async with self.svc.db.write() as uow:
            post = await uow.session.get(Post, post_id, with_for_update=True)
            if post is None or post.deleted_at is not None:
                raise NotFound("No such post.")
            if post.author_id != me and principal.role not in MODERATORS:
                visible, _ = await self.svc.views.post_visible(uow.session, me, post)
                if not visible:
                    raise NotFound("No such post.")
                raise Forbidden("Only the author or a moderator can delete a post.")
            await self._take_down(uow, post)

    async def remove(self, post_id: int) -> None:
        """Take a post down for moderation (idempotent; no permission check: the caller is
        moderation acting on a moderator's decision)."""
        async with self.svc.db.write() as uow:
            post = await uow.session.get(Post, post_id, with_for_update=True)
            if post is not None and post.deleted_at is None:
                await self._take_down(uow, post)

    async def release(self, post_id: int) -> None:
        """Publish a post held for review, once a moderator approved it (idempotent): it
        reaches topics, search, followers' timelines and the people it mentions."""
        async with self.svc.db.write() as uow:
            post = await uow.session.get(Post, post_id, with_for_update=True)
            if post is not None and post.deleted_at is None and post.status == "held":
                post.status = "published"
                await self.publish(uow, post)

    async def _take_down(self, uow: UnitOfWork, post: Post) -> None:
        svc = self.svc
        s = uow.session
        published = post.status == "published"
        post.deleted_at = svc.clock.now()
        await svc.bump(s, post.author_id, "posts_count", -1)
        if published:
            await svc.topics.detach(s, post)
            await svc.search.unindex(s, post)
        for counted in {post.repost_of_id, post.root_id} - {None}:
            await s.execute(
                update(Post)
                .where(Post.id == counted, Post.reposts_count > 0)
                .values(reposts_count=Post.reposts_count - 1)
            )
        await s.execute(
            delete(TimelineEntry).where(
                TimelineEntry.owner_id == post.author_id, TimelineEntry.post_id == post.id
            )
        )
        if (
            published
            and post.visibility != "only_me"
            and not await svc.is_celebrity(s, post.author_id)
        ):
            s.add(
                FanoutJob(
                    kind="retract",
                    post_id=post.id,
                    author_id=post.author_id,
                    created_at=svc.clock.now(),
                )
            )
            uow.after_commit(svc.fanout.wake)

    # -- reading -------------------------------------------------------------------------

    async def visible_post(self, s: AsyncSession, viewer: int, post_id: int) -> Post:
        """The post if the viewer may see it: 404 if not (or missing), 410 if deleted."""
        post = await s.get(Post, post_id)
        if post is None:
            raise NotFound("No such post.")
        if post.deleted_at is not None:
            raise PostDeleted("This post has been deleted.")
        visible, _ = await self.svc.views.post_visible(s, viewer, post)
        if not visible:
            raise NotFound("No such post.")
        return post

    async def get(self, viewer: int, post_id: int) -> PostOut:
        async with self.svc.db.read() as s:
            post = await self.visible_post(s, viewer, post_id)
            [out] = await self.svc.views.posts(s, viewer, [post])
        return out

    async def render(self, viewer: int, post: Post) -> PostOut:
        async with self.svc.db.read() as s:
            [out] = await self.svc.views.posts(s, viewer, [post])
        return out

    async def of_user(self, viewer: int, handle: str, cursor: str | None, limit: int) -> PostPage:
        """A profile's posts the viewer may see, newest first."""
        svc = self.svc
        user = await svc.graph.target(viewer, handle)
        before = read_id(cursor)
        async with svc.db.read() as s:
            audience = await audience_of_author(svc, s, viewer, user.id)
            kinds = audience.visible_kinds(user.id)
            if not kinds:
                return PostPage(items=[])

            async def fetch(below: int | None, n: int) -> list[Post]:
                stmt = select(Post).where(
                    Post.author_id == user.id,
                    Post.deleted_at.is_(None),
                    Post.visibility.in_(kinds),
                )
                if viewer != user.id:
                    stmt = stmt.where(Post.status == "published")
                if below is not None:
                    stmt = stmt.where(Post.id < below)
                return list(await s.scalars(stmt.order_by(Post.id.desc()).limit(n)))

            items, next_cursor = await fill_page(
                fetch,
                lambda rows: svc.views.posts(s, viewer, rows, blocked=audience.blocked),
                before,
                limit,
            )
        return PostPage(items=items, next_cursor=next_cursor)

    async def reposts_of(
        self, viewer: int, post_id: int, cursor: str | None, limit: int
    ) -> PostPage:
        """Reposts of a post, newest first: for an original, every repost in its tree; for a
        repost, the reposts of it."""
        svc = self.svc
        before = read_id(cursor)
        blocked = await svc.blocked_ids(viewer)
        async with svc.db.read() as s:
            post = await self.visible_post(s, viewer, post_id)
            col = Post.root_id if post.root_id is None else Post.repost_of_id

            async def fetch(below: int | None, n: int) -> list[Post]:
                stmt = select(Post).where(col == post.id, Post.deleted_at.is_(None))
                if below is not None:
                    stmt = stmt.where(Post.id < below)
                return list(await s.scalars(stmt.order_by(Post.id.desc()).limit(n)))

            items, next_cursor = await fill_page(
                fetch, lambda rows: svc.views.posts(s, viewer, rows, blocked=blocked), before, limit
            )
        return PostPage(items=items, next_cursor=next_cursor)
