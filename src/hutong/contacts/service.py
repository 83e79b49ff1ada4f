"""Contacts operations: privacy, finding people, friends, blocks — and the checks every later
feature calls (`check_can_interact`, `are_friends`). Friend requests live in `requests.py`,
QR codes in `qr.py`, contact-book matching in `matching.py`, imports in `importing.py`; this
class owns them all so the rest of Hutong sees one `ContactsService`.

Each public coroutine is one transaction and returns plain data (pydantic models).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

from pypinyin import Style, lazy_pinyin
from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from hutong.accounts import AccountService, PublicUser
from hutong.contacts import relations
from hutong.contacts.directory import Directory, normalise_phone, phone_digest
from hutong.contacts.errors import NotAPhoneNumber, SelfRequest
from hutong.contacts.events import emit_each
from hutong.contacts.importing import Importer
from hutong.contacts.index import index_letter, sort_key
from hutong.contacts.matching import Matching
from hutong.contacts.models import Block, FriendRequest, Friendship
from hutong.contacts.qr import QrCodes
from hutong.contacts.requests import FriendRequests
from hutong.contacts.schemas import (
    BlockedOut,
    FriendListOut,
    FriendOut,
    FriendPatchIn,
    PersonOut,
    PrivacyIn,
    PrivacyOut,
    Source,
    TagOut,
)
from hutong.core.clock import Clock
from hutong.core.db import Database, UnitOfWork
from hutong.core.errors import InvalidInput, NotFound, TooManyRequests
from hutong.core.media import MediaStore
from hutong.core.qrcodes import QrRegistry
from hutong.core.ratelimit import ActionLimits, RateLimiter
from hutong.core.signing import Signer
from hutong.realtime import SyncLog

HANDLE_LIKE = re.compile(r"^@?[A-Za-z0-9_]{3,20}$")
PHONE_LIKE = re.compile(r"^\+?[\d\s().-]{5,30}$")


@dataclass(frozen=True)
class ContactsPolicy:
    """Limits, all from `HUTONG_CONTACTS_*` settings."""

    rerequest_limit: int = 2
    rerequest_window_s: int = 86_400
    search_limit: int = 120
    search_window_s: int = 3600
    match_max_numbers: int = 10_000
    match_daily_uploads: int = 20
    match_daily_numbers: int = 50_000
    scan_max_bytes: int = 8 * 1024 * 1024
    import_max_bytes: int = 2 * 1024 * 1024
    group_qr_ttl_s: int = 7 * 86_400
    default_region: str = "CN"


class ContactsService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        accounts: AccountService,
        sync_log: SyncLog,
        limiter: RateLimiter,
        signer: Signer,
        media: MediaStore,
        policy: ContactsPolicy,
        *,
        limits: ActionLimits,
    ) -> None:
        self.db = db
        self.clock = clock
        self.accounts = accounts
        self.sync = sync_log
        self.limiter = limiter
        self.limits = limits
        self.policy = policy
        self.insert = sqlite.insert if db.is_sqlite else postgresql.insert
        self.directory = Directory(is_sqlite=db.is_sqlite)
        self.requests = FriendRequests(self)
        self.qr = QrCodes(self, signer, media)
        self.matching = Matching(self)
        self.imports = Importer(self, signer)

    def register_qr(self, registry: QrRegistry) -> None:
        """Personal ("u"), group ("g") and invite ("inv") codes resolve through the platform
        registry: `/api/qr/<token>`, `/qr/<token>.png|svg` and scanning then understand them."""
        self.qr.register(registry)
        registry.register("inv", self.imports.resolve)

    # -- the checks every feature calls ------------------------------------------------

    @asynccontextmanager
    async def _reading(self, session: AsyncSession | None) -> AsyncIterator[AsyncSession]:
        if session is not None:
            yield session
        else:
            async with self.db.read() as s:
                yield s

    async def check_can_interact(
        self, actor: int, other: int, *, session: AsyncSession | None = None
    ) -> None:
        """Raise a 403 `blocked` problem if either user blocked the other.

        Messaging, transfers, red envelopes and friend requests call this before acting; pass
        `session` to check inside your own write transaction.
        """
        async with self._reading(session) as s:
            await relations.check_can_interact(s, actor, other)

    async def is_blocked_either_way(
        self, a: int, b: int, *, session: AsyncSession | None = None
    ) -> bool:
        async with self._reading(session) as s:
            return bool(await relations.blocks_between(s, a, b))

    async def pair_problems(
        self, session: AsyncSession, pairs: Sequence[tuple[int, int]]
    ) -> dict[tuple[int, int], Exception]:
        """`check_can_interact` and `are_friends` for many pairs at once, inside the caller's
        transaction: a `Blocked` problem or `relations.NotFriend` per pair that may not talk."""
        return await relations.pair_problems(session, pairs)

    async def are_friends(self, a: int, b: int, *, session: AsyncSession | None = None) -> bool:
        """True when a and b are (mutual) friends. Blocking does not end a friendship."""
        async with self._reading(session) as s:
            return await relations.is_friend(s, a, b)

    async def friend_ids(self, user_id: int) -> set[int]:
        async with self.db.read() as s:
            return set(
                await s.scalars(select(Friendship.friend_id).where(Friendship.user_id == user_id))
            )

    async def blocked_either_way_ids(self, user_id: int) -> set[int]:
        """Everyone `user_id` blocked or was blocked by (to filter feeds and search)."""
        async with self.db.read() as s:
            mine = await s.scalars(select(Block.blocked_id).where(Block.user_id == user_id))
            theirs = await s.scalars(select(Block.user_id).where(Block.blocked_id == user_id))
            return set(mine) | set(theirs)

    async def may_view_profile(self, viewer: int, target: int) -> bool:
        """Accounts' profile guard: someone who blocked you is invisible to you."""
        async with self.db.read() as s:
            return (target, viewer) not in await relations.blocks_between(s, viewer, target)

    # -- privacy -----------------------------------------------------------------------

    async def privacy(self, user_id: int) -> PrivacyOut:
        async with self.db.read() as s:
            return relations.privacy_out(
                await relations.load_settings(s, user_id, self.clock.now())
            )

    async def update_privacy(self, user_id: int, changes: PrivacyIn) -> PrivacyOut:
        now = self.clock.now()
        async with self.db.write() as uow:
            row = await relations.lock_settings(uow, user_id, now, is_sqlite=self.db.is_sqlite)
            for key, value in changes.model_dump(exclude_none=True).items():
                setattr(row, key, value)
            row.updated_at = now
            await uow.session.flush()
            out = relations.privacy_out(row)
            await self.sync.emit(uow, [user_id], "contacts.privacy_updated", out.model_dump())
        return out

    # -- finding people ----------------------------------------------------------------

    async def profile_of(self, user_id: int) -> PublicUser:
        found = await self.accounts.public_profiles([user_id])
        if user_id not in found:
            raise NotFound("No such user.")
        return found[user_id]

    async def person(self, viewer: int, user: PublicUser, source: Source | None) -> PersonOut:
        async with self.db.read() as s:
            if (user.id, viewer) in await relations.blocks_between(s, viewer, user.id):
                raise NotFound("No such user.")
            rel = (await relations.relationships(s, viewer, [user.id]))[user.id]
        return PersonOut(user=user, relationship=rel, source=source)

    async def view(self, viewer: int, handle: str) -> PersonOut:
        """A profile page: the user and how the viewer relates to them."""
        return await self.person(viewer, await self.accounts.public_profile(handle), None)

    async def view_id(self, viewer: int, user_id: int) -> PersonOut:
        return await self.person(viewer, await self.profile_of(user_id), None)

    async def search(self, viewer: int, query: str) -> PersonOut:
        """Find one person by exact handle or phone number, if they allow being found so.

        A person who does not allow it, does not exist, or blocked the viewer all get the same
        404, so the answer reveals nothing. Throttled per user against enumeration.
        """
        q = query.strip()
        by_phone = bool(PHONE_LIKE.match(q)) and sum(c.isdigit() for c in q) >= 5
        if not by_phone and not HANDLE_LIKE.match(q):
            raise InvalidInput("Enter a handle or a phone number.", fields={"q": "invalid"})
        n, retry = await self.limiter.hit(f"contacts:search:{viewer}", self.policy.search_window_s)
        if n > self.policy.search_limit:
            raise TooManyRequests(f"Too many searches; try again in {retry} s.", retry_after=retry)
        missing = NotFound("No user found. They may not allow being found this way.")
        e164 = normalise_phone(q, self.policy.default_region) if by_phone else None
        # Digits that make no valid number may still be a handle, such as "20240101".
        if by_phone and e164 is None and not HANDLE_LIKE.match(q):
            raise NotAPhoneNumber(f"{q!r} is not a phone number.", fields={"q": "not a phone"})
        source: Source
        if e164 is not None:
            async with self.db.read() as s:
                hits = await self.directory.lookup(s, [phone_digest(e164)])
            found = [uid for _, kind, uid in hits if kind == "phone"]
            if not found:
                raise missing
            user, source = await self.profile_of(found[0]), "phone"
        else:
            try:
                user = await self.accounts.public_profile(q.lstrip("@"))
            except NotFound:
                raise missing from None
            source = "handle"
            async with self.db.read() as s:
                settings = await relations.load_settings(s, user.id, self.clock.now())
                allowed = settings.findable_by_handle or await relations.is_friend(
                    s, viewer, user.id
                )
            if not allowed and user.id != viewer:
                raise missing
        try:
            return await self.person(viewer, user, source)
        except NotFound:
            raise missing from None

    # -- friends -----------------------------------------------------------------------

    def friend_out(self, row: Friendship, user: PublicUser) -> FriendOut:
        return FriendOut(
            user=user,
            remark=row.remark,
            tags=list(row.tags or []),
            letter=index_letter(row.remark or user.display_name),
            since=row.created_at,
        )

    async def friends(self, user_id: int, query: str | None = None) -> FriendListOut:
        """The friend list, sorted for the A–Z index; `query` filters by name, remark, handle,
        tag or pinyin initials (case-insensitive)."""
        async with self.db.read() as s:
            rows = list(await s.scalars(select(Friendship).where(Friendship.user_id == user_id)))
        profiles = await self.accounts.public_profiles([r.friend_id for r in rows])
        out = [self.friend_out(r, profiles[r.friend_id]) for r in rows if r.friend_id in profiles]
        if query and query.strip():
            out = [f for f in out if _matches(f, query.strip().casefold())]
        out.sort(key=lambda f: sort_key(f.remark or f.user.display_name))
        letters = sorted({f.letter for f in out}, key=lambda c: (c == "#", c))
        return FriendListOut(friends=out, index=letters)

    async def friend(self, user_id: int, friend_id: int) -> FriendOut:
        async with self.db.reading() as s:
            row = await s.get(Friendship, (user_id, friend_id))
        if row is None:
            raise NotFound("Not in your friends.")
        return self.friend_out(row, await self.profile_of(friend_id))

    async def update_friend(self, user_id: int, friend_id: int, patch: FriendPatchIn) -> FriendOut:
        """Set the remark (my name for them) and tags; only my side changes."""
        async with self.db.write() as uow:
            row = await uow.session.get(Friendship, (user_id, friend_id), with_for_update=True)
            if row is None:
                raise NotFound("Not in your friends.")
            if patch.remark is not None:
                row.remark = patch.remark
            if patch.tags is not None:
                row.tags = patch.tags
            await uow.session.flush()
            out = self.friend_out(row, await self.profile_of(friend_id))
            await self.sync.emit(
                uow, [user_id], "contacts.friend_updated", {"friend": out.model_dump(mode="json")}
            )
        return out

    async def remove_friend(self, user_id: int, friend_id: int) -> None:
        """End the friendship for both sides; the other side is told "friend removed"."""
        async with self.db.write() as uow:
            result = await uow.session.execute(
                delete(Friendship).where(
                    Friendship.user_id.in_([user_id, friend_id]),
                    Friendship.friend_id.in_([user_id, friend_id]),
                    Friendship.user_id != Friendship.friend_id,
                )
            )
            if not result.rowcount:  # type: ignore[attr-defined]
                raise NotFound("Not in your friends.")
            await emit_each(
                self.sync,
                uow,
                {
                    user_id: ("contacts.friend_removed", {"user_id": friend_id, "by": user_id}),
                    friend_id: ("contacts.friend_removed", {"user_id": user_id, "by": user_id}),
                },
            )

    async def tags(self, user_id: int) -> list[TagOut]:
        async with self.db.read() as s:
            all_tags = await s.scalars(select(Friendship.tags).where(Friendship.user_id == user_id))
            counts: dict[str, int] = {}
            for tags in all_tags:
                for t in tags or []:
                    counts[t] = counts.get(t, 0) + 1
        return [
            TagOut(tag=t, count=n) for t, n in sorted(counts.items(), key=lambda x: sort_key(x[0]))
        ]

    async def make_friends(
        self,
        uow: UnitOfWork,
        a: int,
        b: int,
        *,
        a_side: tuple[str, Sequence[str]] = ("", ()),
        b_side: tuple[str, Sequence[str]] = ("", ()),
    ) -> None:
        """Both directed rows, each with its owner's remark and tags. Idempotent."""
        now = self.clock.now()
        rows = [
            {"user_id": a, "friend_id": b, "remark": a_side[0], "tags": list(a_side[1])},
            {"user_id": b, "friend_id": a, "remark": b_side[0], "tags": list(b_side[1])},
        ]
        stmt = self.insert(Friendship).values([{**r, "created_at": now} for r in rows])
        await uow.session.execute(stmt.on_conflict_do_nothing())

    # -- blocks ------------------------------------------------------------------------

    async def block(self, user_id: int, target: int) -> BlockedOut:
        """Block `target`: they can no longer request, message or see you. Pending requests
        between you are closed. The friendship (if any) stays until you delete it."""
        if user_id == target:
            raise SelfRequest("You cannot block yourself.")
        user = await self.profile_of(target)
        now = self.clock.now()
        async with self.db.write() as uow:
            stmt = self.insert(Block).values(user_id=user_id, blocked_id=target, created_at=now)
            await uow.session.execute(stmt.on_conflict_do_nothing())
            for src, dst, status in ((target, user_id, "declined"), (user_id, target, "withdrawn")):
                await uow.session.execute(
                    update(FriendRequest)
                    .where(
                        FriendRequest.from_user_id == src,
                        FriendRequest.to_user_id == dst,
                        FriendRequest.status == "pending",
                    )
                    .values(status=status, decided_at=now)
                )
            row = await uow.session.get(Block, (user_id, target))
            assert row is not None
            out = BlockedOut(user=user, since=row.created_at)
            await self.sync.emit(uow, [user_id], "contacts.blocked", {"user_id": target})
        return out

    async def unblock(self, user_id: int, target: int) -> None:
        async with self.db.write() as uow:
            result = await uow.session.execute(
                delete(Block).where(Block.user_id == user_id, Block.blocked_id == target)
            )
            if not result.rowcount:  # type: ignore[attr-defined]
                raise NotFound("You have not blocked this user.")
            await self.sync.emit(uow, [user_id], "contacts.unblocked", {"user_id": target})

    async def blocked(self, user_id: int) -> list[BlockedOut]:
        async with self.db.read() as s:
            rows = list(
                await s.scalars(
                    select(Block).where(Block.user_id == user_id).order_by(Block.created_at.desc())
                )
            )
        profiles = await self.accounts.public_profiles([r.blocked_id for r in rows])
        return [
            BlockedOut(user=profiles[r.blocked_id], since=r.created_at)
            for r in rows
            if r.blocked_id in profiles
        ]


def _matches(friend: FriendOut, needle: str) -> bool:
    user = friend.user
    names = [friend.remark, user.display_name, user.handle, *friend.tags]
    if any(needle in n.casefold() for n in names if n):
        return True
    for name in (friend.remark, user.display_name):
        if name:
            initials = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER)).casefold()
            spelled = "".join(lazy_pinyin(name)).casefold()
            if initials.startswith(needle) or needle in spelled:
                return True
    return False
