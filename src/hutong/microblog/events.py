"""Notifications the microblog sends, all through the sync backbone (`SyncLog.emit` inside the
write transaction, published after commit), so they reach every device live and after any
reconnect through `/sync`:

* `microblog.follow` → the followed user: `{"by"}`
* `microblog.mention` → each mentioned user who may see the text:
  `{"by", "post_id", "comment_id" (null when mentioned in a post), "text"}`
* `microblog.comment` → the post's author, and the author of the comment replied to:
  `{"by", "post_id", "comment_id", "reply_to_comment_id", "text"}`
* `microblog.repost` → the original's author and the reposted repost's author:
  `{"by", "post_id" (the new repost), "repost_of_id", "root_id", "text"}`
* `microblog.like` → the author of the liked post or comment:
  `{"by", "post_id", "comment_id" (null for a post)}`

`by` is an Author (`AuthorOut`: id, handle, display name, avatar, verification badge). Nobody is
notified of their own actions, and never by someone they blocked or who blocked them (those
actions are refused or, for mentions, silently not delivered).

Each event is also stored as a row of `microblog_notifications` for its recipient, in the same
transaction, so the list (`GET /microblog/notifications`) and its unread count live on the
server and survive a new device (see `notifications.py`).

Besides these stored events, the fan-out worker sends an ephemeral `microblog.timeline`
message (`{"post_id", "author_id"}`, never stored, may be missed) to each follower whose stored
timeline just received a post, so an open home page can show "new posts" at once; clients that
missed it, and followers of celebrities (merged at read time), ask `GET /microblog/home/new`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert

from hutong.core.db import UnitOfWork
from hutong.microblog.models import Notification
from hutong.microblog.schemas import AuthorOut
from hutong.realtime import SyncLog

FOLLOW = "microblog.follow"
MENTION = "microblog.mention"
COMMENT = "microblog.comment"
REPOST = "microblog.repost"
LIKE = "microblog.like"
TIMELINE = "microblog.timeline"
SNIPPET = 60
PREFIX = "microblog."
# Payload keys kept as columns of the stored notification; the rest goes into `details`.
_COLUMNS = ("post_id", "comment_id", "text")


def snippet(text: str) -> str:
    return text if len(text) <= SNIPPET else text[: SNIPPET - 1] + "…"


async def notify(
    sync: SyncLog,
    uow: UnitOfWork,
    user_ids: Iterable[int],
    kind: str,
    by: AuthorOut,
    payload: dict[str, Any],
) -> None:
    """Emit one event to each of `user_ids` except the actor, and store it as a notification.

    The event goes first: `SyncLog.emit` locks each recipient's sequence row until commit, so
    the notification ids given to one recipient afterwards grow in the order the transactions
    commit (a client that read up to id N never meets a smaller id later).
    """
    targets = sorted(set(user_ids) - {by.id})
    if not targets:
        return
    await sync.emit(uow, targets, kind, {"by": by.model_dump(mode="json"), **payload})
    details = {k: v for k, v in payload.items() if k not in _COLUMNS and v is not None}
    now = sync.clock.now()
    await uow.session.execute(
        insert(Notification),
        [
            {
                "user_id": uid,
                "kind": kind.removeprefix(PREFIX),
                "actor_id": by.id,
                "post_id": payload.get("post_id"),
                "comment_id": payload.get("comment_id"),
                "details": details,
                "text": payload.get("text") or "",
                "created_at": now,
            }
            for uid in targets
        ],
    )
