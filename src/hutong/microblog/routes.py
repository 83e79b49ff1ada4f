"""Microblog HTTP API, all under `/microblog`, all for signed-in users.

Pages: list endpoints take `?cursor=&limit=` (limit 1–50, default 20) and answer
`{"items": [...], "next_cursor": "..." | null}`; pass `next_cursor` back for the next page.

Posts (`PostOut`) carry their author with the verification badge, images, topics, mentions
(handle → user id, for links), URLs, counts, whether the viewer liked them and, for a repost,
the original (`root`, or `root_unavailable` when it was deleted or is hidden) and the chain of
reposts in between.

Errors are problem+json. Microblog `type` slugs: `text-too-long` (with `length`,
`max_length`), `too-many-images` (with `count`, `max_images`), `self-follow`,
`following-limit`, `not-following`, `group-limit`, `post-deleted` (410), `not-repostable`,
`bad-cursor`, `bad-notification-kind` (with `kinds`); plus `not-found` (also for posts the
viewer may not see), `forbidden`, `blocked` (contacts), `content-blocked` /
`content-needs-review` (moderation), `invalid-input`, `payload-too-large`, `unsupported-media`.

Realtime: see `hutong.microblog.events` for the notifications these calls produce; each is
also kept on the server, listed by `GET /microblog/notifications`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Path, Query, Response, UploadFile
from starlette.requests import HTTPConnection

from hutong.core.auth import Principal, require_principal
from hutong.microblog.schemas import (
    CommentIn,
    CommentOut,
    CommentPage,
    CountIn,
    CountOut,
    FollowOut,
    GroupIn,
    GroupOut,
    HotOut,
    HotOverrideIn,
    ImageOut,
    LikeOut,
    MarkReadIn,
    NewCountOut,
    NotificationPage,
    PostIn,
    PostOut,
    PostPage,
    ProfileOut,
    RepostIn,
    TopicOut,
    TopicPageOut,
    UnreadOut,
    UserCardOut,
    UserPage,
)
from hutong.microblog.service import MicroblogService
from hutong.microblog.text import parse

router = APIRouter(prefix="/microblog", tags=["microblog"])
CurrentUser = Annotated[Principal, Depends(require_principal)]


def microblog(conn: HTTPConnection) -> MicroblogService:
    svc: MicroblogService = conn.app.state.microblog
    return svc


Microblog = Annotated[MicroblogService, Depends(microblog)]
Id = Annotated[int, Path(gt=0, lt=2**63)]
# Handles are [a-z0-9_]; anything else (NUL bytes included) is a 422 before any query.
Handle = Annotated[str, Path(pattern=r"^[A-Za-z0-9_]{1,20}$")]
# Free text in URLs: no control characters (PostgreSQL cannot even compare a NUL).
_PRINTABLE = r"^[^\x00-\x1f\x7f]+$"
Cursor = Annotated[str | None, Query(max_length=64, description="next_cursor of the last page")]
Limit = Annotated[int, Query(ge=1, le=50)]


# -- the counter ----------------------------------------------------------------------------


@router.post("/count", response_model=CountOut)
async def count(body: CountIn, me: CurrentUser, svc: Microblog) -> CountOut:
    """The Weibo length of a text and what it links — the server's answer to the composer's
    counter (same algorithm; see `hutong.microblog.text`)."""
    parsed = parse(body.text.replace("\r\n", "\n").strip())
    limit = svc.policy.max_chars
    return CountOut(
        length=parsed.length,
        max_length=limit,
        remaining=limit - parsed.length,
        urls=list(parsed.urls),
        topics=list(parsed.topics),
        mentions=list(parsed.mentions),
    )


# -- posts ------------------------------------------------------------------------------------


@router.post("/images", response_model=ImageOut, status_code=201)
async def upload_image(
    me: CurrentUser, svc: Microblog, file: Annotated[UploadFile, File()]
) -> ImageOut:
    """Upload an image (JPEG, PNG, GIF or WebP, ≤ 10 MiB) to attach to a post by its `id`."""
    data = await file.read(svc.policy.image_max_bytes + 1)
    return await svc.posts.upload_image(me.user_id, data)


@router.post("/posts", response_model=PostOut, status_code=201)
async def create_post(body: PostIn, me: CurrentUser, svc: Microblog) -> PostOut:
    """Publish a post: ≤ 140 Weibo characters, ≤ 9 images, a visibility. Held for review
    (`status: "held"`, visible to the author only) when moderation asks for it."""
    return await svc.posts.create(me.user_id, body)


@router.get("/posts/{post_id}", response_model=PostOut)
async def get_post(post_id: Id, me: CurrentUser, svc: Microblog) -> PostOut:
    """One post (404 if the viewer may not see it, 410 if deleted)."""
    return await svc.posts.get(me.user_id, post_id)


@router.delete("/posts/{post_id}", status_code=204)
async def delete_post(post_id: Id, me: CurrentUser, svc: Microblog) -> Response:
    """Delete a post (its author or a moderator); it vanishes from every timeline."""
    await svc.posts.delete(me, post_id)
    return Response(status_code=204)


@router.post("/posts/{post_id}/reposts", response_model=PostOut, status_code=201)
async def repost(post_id: Id, body: RepostIn, me: CurrentUser, svc: Microblog) -> PostOut:
    """Repost a public post with an optional comment; the chain keeps its root."""
    return await svc.posts.repost(me.user_id, post_id, body)


@router.get("/posts/{post_id}/reposts", response_model=PostPage)
async def reposts(
    post_id: Id, me: CurrentUser, svc: Microblog, cursor: Cursor = None, limit: Limit = 20
) -> PostPage:
    return await svc.posts.reposts_of(me.user_id, post_id, cursor, limit)


@router.put("/posts/{post_id}/like", response_model=LikeOut)
async def like_post(post_id: Id, me: CurrentUser, svc: Microblog) -> LikeOut:
    return await svc.talk.like_post(me.user_id, post_id, like=True)


@router.delete("/posts/{post_id}/like", response_model=LikeOut)
async def unlike_post(post_id: Id, me: CurrentUser, svc: Microblog) -> LikeOut:
    return await svc.talk.like_post(me.user_id, post_id, like=False)


# -- comments ---------------------------------------------------------------------------------


@router.get("/posts/{post_id}/comments", response_model=CommentPage)
async def comments(
    post_id: Id, me: CurrentUser, svc: Microblog, cursor: Cursor = None, limit: Limit = 20
) -> CommentPage:
    """Top-level comments, newest first, each with its first three replies."""
    return await svc.talk.comments(me.user_id, post_id, cursor, limit)


@router.post("/posts/{post_id}/comments", response_model=CommentOut, status_code=201)
async def comment(post_id: Id, body: CommentIn, me: CurrentUser, svc: Microblog) -> CommentOut:
    """Comment on a post, or reply to one of its comments (`reply_to`)."""
    return await svc.talk.comment(me.user_id, post_id, body.text, body.reply_to)


@router.get("/comments/{comment_id}/replies", response_model=CommentPage)
async def replies(
    comment_id: Id, me: CurrentUser, svc: Microblog, cursor: Cursor = None, limit: Limit = 20
) -> CommentPage:
    """A comment's thread, oldest first."""
    return await svc.talk.replies(me.user_id, comment_id, cursor, limit)


@router.delete("/comments/{comment_id}", status_code=204)
async def delete_comment(comment_id: Id, me: CurrentUser, svc: Microblog) -> Response:
    """Delete a comment (its author, the post's author or a moderator), with its replies."""
    await svc.talk.delete_comment(me, comment_id)
    return Response(status_code=204)


@router.put("/comments/{comment_id}/like", response_model=LikeOut)
async def like_comment(comment_id: Id, me: CurrentUser, svc: Microblog) -> LikeOut:
    return await svc.talk.like_comment(me.user_id, comment_id, like=True)


@router.delete("/comments/{comment_id}/like", response_model=LikeOut)
async def unlike_comment(comment_id: Id, me: CurrentUser, svc: Microblog) -> LikeOut:
    return await svc.talk.like_comment(me.user_id, comment_id, like=False)


# -- timelines --------------------------------------------------------------------------------


@router.get("/home", response_model=PostPage)
async def home(
    me: CurrentUser,
    svc: Microblog,
    cursor: Cursor = None,
    limit: Limit = 20,
    group: Annotated[int | None, Query(gt=0, lt=2**63, description="a group id")] = None,
) -> PostPage:
    """The home timeline: my posts and those of people I follow, newest first."""
    return await svc.timeline.home(me.user_id, cursor, limit, group)


@router.get("/home/new", response_model=NewCountOut)
async def home_new(
    me: CurrentUser,
    svc: Microblog,
    since: Annotated[int, Query(ge=0, lt=2**63, description="the newest post id shown")],
) -> NewCountOut:
    """How many newer posts the home timeline has (for the "N new posts" banner)."""
    return await svc.timeline.new_count(me.user_id, since)


# -- people -----------------------------------------------------------------------------------


@router.get("/users/{handle}", response_model=ProfileOut)
async def profile(handle: Handle, me: CurrentUser, svc: Microblog) -> ProfileOut:
    """A profile page header: badge, bio, counts, follow state."""
    return await svc.graph.profile(me.user_id, handle)


@router.get("/users/{handle}/posts", response_model=PostPage)
async def user_posts(
    handle: Handle, me: CurrentUser, svc: Microblog, cursor: Cursor = None, limit: Limit = 20
) -> PostPage:
    """Their posts I may see, newest first."""
    return await svc.posts.of_user(me.user_id, handle, cursor, limit)


@router.put("/users/{handle}/follow", response_model=FollowOut)
async def follow(handle: Handle, me: CurrentUser, svc: Microblog) -> FollowOut:
    """Follow (again: no change). They get `microblog.follow`."""
    return await svc.graph.follow(me.user_id, handle)


@router.delete("/users/{handle}/follow", response_model=FollowOut)
async def unfollow(handle: Handle, me: CurrentUser, svc: Microblog) -> FollowOut:
    return await svc.graph.unfollow(me.user_id, handle)


@router.get("/users/{handle}/followers", response_model=UserPage)
async def followers(
    handle: Handle, me: CurrentUser, svc: Microblog, cursor: Cursor = None, limit: Limit = 20
) -> UserPage:
    """Newest followers first; `mutual`: they follow each other."""
    return await svc.graph.followers(me.user_id, handle, cursor, limit)


@router.get("/users/{handle}/following", response_model=UserPage)
async def following(
    handle: Handle, me: CurrentUser, svc: Microblog, cursor: Cursor = None, limit: Limit = 20
) -> UserPage:
    return await svc.graph.following(me.user_id, handle, cursor, limit)


# -- groups -----------------------------------------------------------------------------------


@router.get("/groups", response_model=list[GroupOut])
async def groups(me: CurrentUser, svc: Microblog) -> list[GroupOut]:
    """My groups of followees (filter the home timeline with `?group=<id>`)."""
    return await svc.groups.mine(me.user_id)


@router.post("/groups", response_model=GroupOut, status_code=201)
async def create_group(body: GroupIn, me: CurrentUser, svc: Microblog) -> GroupOut:
    return await svc.groups.create(me.user_id, body.name)


@router.patch("/groups/{group_id}", response_model=GroupOut)
async def rename_group(group_id: Id, body: GroupIn, me: CurrentUser, svc: Microblog) -> GroupOut:
    return await svc.groups.rename(me.user_id, group_id, body.name)


@router.delete("/groups/{group_id}", status_code=204)
async def delete_group(group_id: Id, me: CurrentUser, svc: Microblog) -> Response:
    await svc.groups.delete(me.user_id, group_id)
    return Response(status_code=204)


@router.get("/groups/{group_id}/members", response_model=list[UserCardOut])
async def group_members(group_id: Id, me: CurrentUser, svc: Microblog) -> list[UserCardOut]:
    return await svc.groups.members(me.user_id, group_id)


@router.put("/groups/{group_id}/members/{handle}", response_model=GroupOut)
async def add_member(group_id: Id, handle: Handle, me: CurrentUser, svc: Microblog) -> GroupOut:
    """Add someone I follow to the group."""
    return await svc.groups.add(me.user_id, group_id, handle)


@router.delete("/groups/{group_id}/members/{handle}", response_model=GroupOut)
async def remove_member(group_id: Id, handle: Handle, me: CurrentUser, svc: Microblog) -> GroupOut:
    return await svc.groups.remove(me.user_id, group_id, handle)


# -- topics, hot search, search ---------------------------------------------------------------


@router.get("/topics", response_model=list[TopicOut])
async def suggest_topics(
    me: CurrentUser,
    svc: Microblog,
    q: Annotated[str, Query(min_length=1, max_length=32, pattern=_PRINTABLE)],
) -> list[TopicOut]:
    """Topics starting with `q`, most used first (the composer's `#` autocomplete)."""
    return await svc.topics.suggest(q)


@router.get("/topics/{name}", response_model=TopicPageOut)
async def topic(
    name: Annotated[str, Path(min_length=1, max_length=64, pattern=_PRINTABLE)],
    me: CurrentUser,
    svc: Microblog,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> TopicPageOut:
    """A topic page: the topic (without `#`) and its posts, newest first."""
    return await svc.topics.page(me.user_id, name, cursor, limit)


@router.get("/hot", response_model=HotOut)
async def hot(me: CurrentUser, svc: Microblog) -> HotOut:
    """Hot search: terms ranked by recent activity of distinct people (refreshed ≤ 30 s)."""
    return await svc.hot.current()


@router.get("/hot/posts", response_model=list[PostOut])
async def hot_posts(me: CurrentUser, svc: Microblog, limit: Limit = 20) -> list[PostOut]:
    """Public posts ranked by engagement and recency."""
    return await svc.hot.hot_posts(me.user_id, limit)


@router.get("/admin/hot", response_model=list[dict[str, Any]])
async def hot_overrides(me: CurrentUser, svc: Microblog) -> list[dict[str, Any]]:
    """Admins: current pins and removals."""
    return await svc.hot.overrides(me)


@router.post("/admin/hot", response_model=HotOut)
async def override_hot(body: HotOverrideIn, me: CurrentUser, svc: Microblog) -> HotOut:
    """Admins: pin a term at a position, or remove it from hot search."""
    return await svc.hot.override(me, body.term, body.action, body.position)


@router.delete("/admin/hot/{term}", response_model=HotOut)
async def clear_hot_override(
    term: Annotated[str, Path(min_length=1, max_length=32, pattern=_PRINTABLE)],
    me: CurrentUser,
    svc: Microblog,
) -> HotOut:
    """Admins: undo a pin or removal."""
    return await svc.hot.clear(me, term)


@router.get("/search/posts", response_model=PostPage)
async def search_posts(
    me: CurrentUser,
    svc: Microblog,
    q: Annotated[str, Query(min_length=1, max_length=64, pattern=_PRINTABLE)],
    cursor: Cursor = None,
    limit: Limit = 20,
) -> PostPage:
    """Posts containing every word of `q` (Chinese included), newest first."""
    return await svc.search.posts(me.user_id, q, cursor, limit)


@router.get("/search/users", response_model=list[UserCardOut])
async def search_users(
    me: CurrentUser,
    svc: Microblog,
    q: Annotated[str, Query(min_length=1, max_length=40, pattern=_PRINTABLE)],
    limit: Limit = 20,
) -> list[UserCardOut]:
    """People by handle or name; also the composer's `@` autocomplete (followees first)."""
    return await svc.search.users(me.user_id, q, limit)


# -- notifications ------------------------------------------------------------------------------


@router.get("/notifications", response_model=NotificationPage)
async def notifications(
    me: CurrentUser,
    svc: Microblog,
    cursor: Cursor = None,
    limit: Limit = 20,
    kind: Annotated[
        str | None,
        Query(max_length=16, description="mentions | comments | reposts | likes | follows"),
    ] = None,
) -> NotificationPage:
    """My notifications, newest first (none from people blocked either way; one about a post
    or comment since deleted or hidden comes back `gone`)."""
    return await svc.notifications.page(me.user_id, cursor, kind, limit)


@router.get("/notifications/unread", response_model=UnreadOut)
async def notifications_unread(me: CurrentUser, svc: Microblog) -> UnreadOut:
    """How many of my notifications are unread, in all and by kind."""
    return await svc.notifications.unread(me.user_id)


@router.post("/notifications/read", response_model=UnreadOut)
async def notifications_read(body: MarkReadIn, me: CurrentUser, svc: Microblog) -> UnreadOut:
    """Mark my notifications up to `up_to` read; answers the unread count left."""
    return await svc.notifications.mark_read(me.user_id, body.up_to)
