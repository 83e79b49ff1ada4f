"""The microblog service: one object built in `app.py`, made of parts named for what they do.

    svc.posts      write, repost, delete, read posts; image uploads
    svc.graph      follow, unfollow, followers/following lists, profiles
    svc.groups     groups of followees
    svc.timeline   the home timeline (stored entries + celebrities merged at read time)
    svc.fanout     the background worker pushing posts into followers' stored timelines
    svc.talk       comments, replies and likes
    svc.topics     #topic# pages and suggestions
    svc.hot        hot search and hot posts
    svc.search     post and user search
    svc.notifications  my notifications: the list, the unread count, the read mark
    svc.post_source, svc.comment_source   what moderation acts on (reports, holds)

Every public coroutine of a part is one transaction (or a read) and returns pydantic models.
Text users write passes through `prepare_text` (length, characters, content policy) before
anything is stored.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from hutong.accounts import AccountService, PublicUser
from hutong.core.clock import Clock
from hutong.core.content import ContentKind, ContentPolicy, Outcome, Verdict
from hutong.core.db import Database
from hutong.core.errors import InvalidInput
from hutong.core.media import MediaStore
from hutong.core.ratelimit import ActionLimits
from hutong.microblog.errors import TextTooLong
from hutong.microblog.models import Account, Celebrity
from hutong.microblog.schemas import AuthorOut
from hutong.microblog.text import Parsed, parse
from hutong.realtime import SyncLog

if TYPE_CHECKING:
    from hutong.contacts import ContactsService

log = logging.getLogger(__name__)

# C0/C1 controls other than tab and line feed, and lone surrogates, are refused: they break
# rendering, and PostgreSQL cannot store NUL.
_BAD_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
MAX_MENTIONS = 20


@dataclass(frozen=True)
class MicroblogPolicy:
    """Every tunable of the microblog (`HUTONG_MICROBLOG_*` settings)."""

    max_chars: int = 140
    max_images: int = 9
    image_max_bytes: int = 10 * 1024 * 1024
    celebrity_threshold: int = 10_000
    inactive_after_s: int = 7 * 86_400
    timeline_max: int = 800
    rebuild_size: int = 400
    follow_backfill: int = 20
    max_following: int = 5000
    max_groups: int = 50
    max_group_members: int = 500
    fanout_poll_s: float = 1.0
    live_push_max: int = 2000
    hot_refresh_s: float = 30.0
    hot_size: int = 50
    hot_min_users: int = 2
    hot_window_s: int = 24 * 3600
    hot_half_life_s: int = 3 * 3600
    hot_bucket_s: int = 600
    hot_posts_window_s: int = 48 * 3600


@dataclass(frozen=True)
class Prepared:
    """User text after intake: what to store, what it contains, and whether it is held."""

    text: str
    parsed: Parsed
    verdict: Verdict | None = None

    @property
    def held(self) -> bool:
        return self.verdict is not None and self.verdict.outcome is Outcome.REVIEW


def author_out(user: PublicUser) -> AuthorOut:
    return AuthorOut(
        id=user.id,
        handle=user.handle,
        display_name=user.display_name,
        avatar_url=user.avatar_url,
        avatar_thumb_url=user.avatar_thumb_url,
        verified=user.verified,
        verified_reason=user.verified_reason,
    )


class MicroblogService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        accounts: AccountService,
        contacts: ContactsService,
        sync_log: SyncLog,
        media: MediaStore,
        policy: MicroblogPolicy,
        *,
        content: ContentPolicy,
        limits: ActionLimits,
    ) -> None:
        from hutong.microblog.conversation import Conversation
        from hutong.microblog.fanout import Fanout
        from hutong.microblog.graph import Graph
        from hutong.microblog.groups import Groups
        from hutong.microblog.notifications import Notifications
        from hutong.microblog.posts import Posts
        from hutong.microblog.search import Search
        from hutong.microblog.sources import CommentSource, PostSource
        from hutong.microblog.timeline import Timeline
        from hutong.microblog.topics import Topics
        from hutong.microblog.trending import HotSearch
        from hutong.microblog.views import Views

        self.db = db
        self.clock = clock
        self.accounts = accounts
        self.contacts = contacts
        self.sync = sync_log
        self.media = media
        self.policy = policy
        self.content = content
        self.limits = limits
        self.insert = sqlite.insert if db.is_sqlite else postgresql.insert
        self.views = Views(self)
        self.posts = Posts(self)
        self.graph = Graph(self)
        self.groups = Groups(self)
        self.timeline = Timeline(self)
        self.fanout = Fanout(self)
        self.talk = Conversation(self)
        self.topics = Topics(self)
        self.hot = HotSearch(self)
        self.search = Search(self)
        self.notifications = Notifications(self)
        self.post_source = PostSource(self)
        self.comment_source = CommentSource(self)

    async def start(self) -> None:
        """Start the background work of this process (fan-out, hot-search refresh)."""
        await self.fanout.start()
        await self.hot.start()

    async def stop(self) -> None:
        await self.hot.stop()
        await self.fanout.stop()

    # -- text intake ---------------------------------------------------------------------

    async def prepare_text(
        self, author_id: int, text: str, kind: ContentKind, *, field: str = "text"
    ) -> Prepared:
        """Check user text before it is stored: characters, Weibo length, content policy.

        Raises the typed problem (`invalid-input`, `text-too-long`, `content-blocked`, …)
        before any write, so bad input changes nothing. Masked words come back replaced; text
        a moderator must see first comes back with `held` (posts only; other kinds refuse).
        """
        text = text.replace("\r\n", "\n").strip()
        if _BAD_CHARS.search(text):
            raise InvalidInput(
                "The text contains control characters.", fields={field: "control characters"}
            )
        parsed = parse(text)
        if parsed.length > self.policy.max_chars:
            raise TextTooLong(parsed.length, self.policy.max_chars, field=field)
        if not text:
            return Prepared(text, parsed)
        verdict: Verdict = await self.content.check(kind, text, author_id=author_id)
        if verdict.outcome is Outcome.REVIEW and kind == "post":
            return Prepared(verdict.text, parse(verdict.text), verdict)
        stored = verdict.publishable(field)
        return Prepared(stored, parsed if stored == text else parse(stored), verdict)

    async def resolve_mentions(self, handles: tuple[str, ...]) -> dict[str, int]:
        """Handle → user id for the mentioned handles that exist (at most 20 per text)."""
        if not handles:
            return {}
        found = await self.accounts.profiles_by_handle(list(handles[:MAX_MENTIONS]))
        return {h: u.id for h, u in found.items()}

    # -- people ----------------------------------------------------------------------------

    async def authors(
        self, user_ids: set[int] | list[int], session: AsyncSession | None = None
    ) -> dict[int, AuthorOut]:
        """Authors with their badges; pass the open session when inside one."""
        profiles = await self.accounts.public_profiles(list(user_ids), session=session)
        return {uid: author_out(p) for uid, p in profiles.items()}

    async def blocked_ids(self, viewer: int) -> set[int]:
        """Everyone blocked either way with `viewer`; call before opening a session."""
        return await self.contacts.blocked_either_way_ids(viewer)

    async def ensure_accounts(self, s: AsyncSession, user_ids: list[int]) -> None:
        """Create missing `mb_accounts` rows (in ascending id order, as all writers lock)."""
        for uid in sorted(set(user_ids)):
            await s.execute(
                self.insert(Account)
                .values(user_id=uid, followers_count=0, following_count=0, posts_count=0)
                .on_conflict_do_nothing(index_elements=[Account.user_id])
            )

    async def bump(self, s: AsyncSession, user_id: int, column: str, delta: int) -> int | None:
        """Add `delta` to a counter of a user's `mb_accounts` row, never below zero.

        A guarded single statement: concurrent bumps serialise on the row and none is lost.
        Returns the new value (None if the row is missing or the guard refused).
        """
        col = getattr(Account, column)
        stmt = update(Account).where(Account.user_id == user_id)
        if delta < 0:
            stmt = stmt.where(col >= -delta)
        result = await s.execute(stmt.values({column: col + delta}).returning(col))
        value = result.scalar_one_or_none()
        return int(value) if value is not None else None

    async def is_celebrity(self, s: AsyncSession, user_id: int) -> bool:
        return (
            await s.scalar(select(Celebrity.user_id).where(Celebrity.user_id == user_id))
        ) is not None
