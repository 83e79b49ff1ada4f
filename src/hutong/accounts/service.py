"""Account operations. Each public coroutine is one transaction and returns plain data.

`check_*` helpers validate without writing; the others change state and emit events after
commit (sync events to the user's devices, cache invalidation to every worker).
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hutong.accounts.models import Session, User
from hutong.accounts.schemas import (
    HANDLE_RE,
    RESERVED_HANDLES,
    Me,
    ProfileIn,
    PublicUser,
    SessionOut,
)
from hutong.accounts.sessions import SessionCache, hash_token, me_from_row, media_url
from hutong.core.clock import Clock
from hutong.core.content import ContentKind, ContentPolicy
from hutong.core.db import Database, UnitOfWork
from hutong.core.errors import (
    BadCredentials,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    TooManyRequests,
)
from hutong.core.media import MediaStore
from hutong.core.passwords import Hasher
from hutong.core.ratelimit import RateLimiter
from hutong.realtime import SyncLog, session_topic


@dataclass(frozen=True)
class LoginPolicy:
    fail_limit_account: int
    fail_limit_ip: int
    fail_window_s: int
    register_limit_ip: int
    register_window_s: int


# Hooks installed by higher domains through app.py (accounts imports none of them):
# run inside the write transaction that changes a user's phone and/or email, with the new
# values (None = removed), so derived data commits or rolls back with the account.
ContactPointHook = Callable[[UnitOfWork, int, dict[str, str | None]], Awaitable[None]]
# Asked before `viewer` sees `target`'s profile (blocking lives in contacts); False hides it.
ProfileGuard = Callable[[int, int], Awaitable[bool]]
# Asked before a session opens for a user (bans live in moderation); raises to refuse.
LoginGuard = Callable[[int], Awaitable[None]]


@dataclass(frozen=True)
class NewSession:
    session_id: int
    token: str
    token_hash: str
    me: Me


def public_from_row(user: User) -> PublicUser:
    return PublicUser(
        id=user.id,
        handle=user.handle,
        display_name=user.display_name,
        avatar_url=media_url(user.avatar_id),
        avatar_thumb_url=media_url(user.avatar_thumb_id),
        bio=user.bio,
        region=user.region,
        verified=user.verified,
        verified_reason=user.verified_reason,
    )


class AccountService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        hasher: Hasher,
        limiter: RateLimiter,
        policy: LoginPolicy,
        cache: SessionCache,
        sync_log: SyncLog,
        media: MediaStore,
        *,
        content: ContentPolicy,
    ) -> None:
        self.db = db
        self.clock = clock
        self.hasher = hasher
        self.limiter = limiter
        self.policy = policy
        self.cache = cache
        self.sync = sync_log
        self.media = media
        # Every name and bio a user writes goes through the content policy (moderation).
        self.content = content
        self._contact_point_hooks: list[ContactPointHook] = []
        self._profile_guards: list[ProfileGuard] = []
        self._login_guards: list[LoginGuard] = []

    def on_contact_points_changed(self, hook: ContactPointHook) -> None:
        self._contact_point_hooks.append(hook)

    def add_profile_guard(self, guard: ProfileGuard) -> None:
        self._profile_guards.append(guard)

    def add_login_guard(self, guard: LoginGuard) -> None:
        self._login_guards.append(guard)

    # -- registration and sign-in -------------------------------------------------------

    async def register(
        self,
        handle: str,
        password: str,
        display_name: str | None,
        *,
        device_name: str,
        ip: str,
        kind: str = "web",
        role: str = "user",
        allow_reserved: bool = False,
    ) -> NewSession:
        if not HANDLE_RE.match(handle):
            raise InvalidInput("Invalid handle.", fields={"handle": "3–20 of a–z, 0–9, _"})
        if handle in RESERVED_HANDLES and not allow_reserved:
            raise Conflict("That handle is reserved.", fields={"handle": "reserved"})
        if ip:
            await self._throttle(
                f"register:ip:{ip}", self.policy.register_limit_ip, self.policy.register_window_s
            )
        await self._screen("handle", handle, 0, maskable=False)
        if display_name:
            display_name = await self._screen("display_name", display_name, 0)
        password_hash = await self.hasher.hash(password)
        now = self.clock.now()
        try:
            async with self.db.write() as uow:
                user = User(
                    handle=handle,
                    display_name=display_name or handle,
                    password_hash=password_hash,
                    role=role,
                    created_at=now,
                    updated_at=now,
                )
                uow.session.add(user)
                await uow.session.flush()
                new = await self._open_session(uow, user, kind, device_name, ip)
        except IntegrityError as exc:
            raise Conflict("That handle is taken.", fields={"handle": "already taken"}) from exc
        return new

    async def login(
        self, handle: str, password: str, *, device_name: str, ip: str, kind: str
    ) -> NewSession:
        """Check the password and open a session, throttled per account and per IP.

        A failed attempt counts against both; when either is over its limit the answer is 429
        with Retry-After, even for the right password, so guessing cannot continue.
        """
        key = handle.strip().lower()
        acct_key, ip_key = f"login:acct:{key}", f"login:ip:{ip}"
        for k, limit in (
            (acct_key, self.policy.fail_limit_account),
            (ip_key, self.policy.fail_limit_ip),
        ):
            n, retry = await self.limiter.count(k)
            if n >= limit:
                raise TooManyRequests(
                    f"Too many failed sign-ins. Try again in {retry} s.", retry_after=retry
                )
        async with self.db.read() as s:
            user = await s.scalar(select(User).where(User.handle == key))
        ok = await self.hasher.verify(user.password_hash if user else None, password)
        if not ok or user is None:
            await self.limiter.hit(acct_key, self.policy.fail_window_s)
            await self.limiter.hit(ip_key, self.policy.fail_window_s)
            raise BadCredentials("Wrong handle or password.")
        await self.limiter.reset(acct_key)
        await self.check_login_allowed(user.id)
        async with self.db.write() as uow:
            fresh = await uow.session.get(User, user.id)
            if fresh is None:
                raise BadCredentials("Wrong handle or password.")
            return await self._open_session(uow, fresh, kind, device_name, ip)

    async def open_session_for(
        self, uow: UnitOfWork, user_id: int, kind: str, device_name: str, ip: str
    ) -> NewSession:
        """Used by QR login: a session for a user who proved themselves another way (the
        caller has run `check_login_allowed` before its write began)."""
        user = await uow.session.get(User, user_id)
        if user is None:
            raise NotFound("No such user.")
        return await self._open_session(uow, user, kind, device_name, ip)

    async def check_login_allowed(self, user_id: int) -> None:
        """Run the login guards (a banned account may not sign in). Call it before the write
        that opens the session: a guard reads, and a read inside a write takes a second
        pooled connection."""
        for guard in self._login_guards:
            await guard(user_id)

    async def _open_session(
        self, uow: UnitOfWork, user: User, kind: str, device_name: str, ip: str
    ) -> NewSession:
        """The session row and its event; the caller has run `check_login_allowed` (a brand
        new account has nothing to check)."""
        token = secrets.token_urlsafe(32)
        now = self.clock.now()
        sess = Session(
            user_id=user.id,
            token_hash=hash_token(token),
            kind=kind,
            device_name=device_name[:80] or "Unknown device",
            ip=ip[:64],
            created_at=now,
            last_seen_at=now,
        )
        uow.session.add(sess)
        await uow.session.flush()
        await self.sync.emit(
            uow,
            [user.id],
            "session.created",
            {"session_id": sess.id, "device_name": sess.device_name, "kind": kind},
        )
        return NewSession(sess.id, token, sess.token_hash, me_from_row(user))

    async def _screen(
        self, kind: ContentKind, text: str, author_id: int, *, maskable: bool = True
    ) -> str:
        """The text to store, or a typed 422 when the content policy refuses it.

        Profile fields cannot wait for a moderator, so "review" refuses them as well.
        """
        verdict = await self.content.check(kind, text, author_id=author_id)
        return verdict.publishable(kind, maskable=maskable)

    async def _throttle(self, key: str, limit: int, window_s: int) -> None:
        n, retry = await self.limiter.hit(key, window_s)
        if n > limit:
            raise TooManyRequests(retry_after=retry)

    # -- sessions ------------------------------------------------------------------------

    async def list_sessions(self, user_id: int, current_session_id: int) -> list[SessionOut]:
        async with self.db.read() as s:
            rows = (
                await s.scalars(
                    select(Session)
                    .where(Session.user_id == user_id, Session.revoked_at.is_(None))
                    .order_by(Session.last_seen_at.desc(), Session.id.desc())
                )
            ).all()
        return [
            SessionOut(
                id=r.id,
                kind=r.kind,
                device_name=r.device_name,
                ip=r.ip,
                created_at=r.created_at,
                last_seen_at=r.last_seen_at,
                current=r.id == current_session_id,
            )
            for r in rows
        ]

    async def revoke_session(self, user_id: int, session_id: int) -> None:
        """Sign a device out. Its requests fail at once and its socket is closed."""
        async with self.db.write() as uow:
            result = await uow.session.execute(
                update(Session)
                .where(
                    Session.id == session_id,
                    Session.user_id == user_id,
                    Session.revoked_at.is_(None),
                )
                .values(revoked_at=self.clock.now())
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise NotFound("No such active session.")
            await self.sync.emit(uow, [user_id], "session.revoked", {"session_id": session_id})
            self._after_revoke(uow, [session_id])

    def _after_revoke(self, uow: UnitOfWork, session_ids: list[int]) -> None:
        async def notify() -> None:
            await self.cache.invalidate(session_ids=session_ids)
            for sid in session_ids:
                await self.sync.pubsub.publish(session_topic(sid), {"type": "revoked"})

        uow.after_commit(notify)

    # -- profile -------------------------------------------------------------------------

    async def me(self, user_id: int) -> Me:
        async with self.db.read() as s:
            user = await s.get(User, user_id)
        if user is None:
            raise NotFound("No such user.")
        return me_from_row(user)

    async def public_profile(self, handle: str, *, viewer_id: int | None = None) -> PublicUser:
        """A profile by handle; with `viewer_id`, hidden (404) from whom a guard refuses."""
        if not HANDLE_RE.match(handle.strip().lower()):
            # Not a possible handle (PostgreSQL would also reject a NUL byte with a 500).
            raise NotFound("No user with that handle.")
        async with self.db.read() as s:
            user = await s.scalar(select(User).where(User.handle == handle.strip().lower()))
        if user is None:
            raise NotFound("No user with that handle.")
        if viewer_id is not None and viewer_id != user.id:
            for guard in self._profile_guards:
                if not await guard(viewer_id, user.id):
                    raise NotFound("No user with that handle.")
        return public_from_row(user)

    async def public_profiles(
        self, user_ids: list[int], *, session: AsyncSession | None = None
    ) -> dict[int, PublicUser]:
        """Profiles of many users at once, for other domains to decorate their lists.

        Inside a write transaction this reads through the write's own session (a caller
        holding a connection must not wait for a second one: under load the pool could run
        dry); `session` names another open session to use.
        """
        if not user_ids:
            return {}
        stmt = select(User).where(User.id.in_(set(user_ids)))
        if session is not None:
            rows = (await session.scalars(stmt)).all()
        else:
            async with self.db.reading() as s:
                rows = (await s.scalars(stmt)).all()
        return {u.id: public_from_row(u) for u in rows}

    async def profiles_by_handle(self, handles: list[str]) -> dict[str, PublicUser]:
        """Profiles of the existing users among `handles` (any case), keyed by handle."""
        wanted = {h.strip().lower() for h in handles if h.strip()}
        if not wanted:
            return {}
        async with self.db.read() as s:
            rows = (await s.scalars(select(User).where(User.handle.in_(wanted)))).all()
        return {u.handle: public_from_row(u) for u in rows}

    async def search_profiles(self, query: str, *, limit: int = 20) -> list[PublicUser]:
        """People whose handle starts with, or whose display name contains, `query`
        (case-insensitive); an exact handle first."""
        q = query.strip().lower().lstrip("@")
        if not q:
            return []
        pattern = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        async with self.db.read() as s:
            rows = (
                await s.scalars(
                    select(User)
                    .where(
                        or_(
                            User.handle.like(pattern + "%", escape="\\"),
                            func.lower(User.display_name).like(f"%{pattern}%", escape="\\"),
                        )
                    )
                    .order_by(User.handle != q, User.id)
                    .limit(limit)
                )
            ).all()
        return [public_from_row(u) for u in rows]

    async def update_profile(self, user_id: int, changes: ProfileIn) -> Me:
        values = changes.model_dump(exclude_unset=True)
        for k in ("phone", "email"):
            if values.get(k) == "":
                values[k] = None
        if "display_name" in values and values["display_name"] is None:
            raise InvalidInput("Display name cannot be empty.", fields={"display_name": "empty"})
        for k in ("bio", "region"):
            if k in values and values[k] is None:
                values[k] = ""
        if values.get("display_name"):
            values["display_name"] = await self._screen(
                "display_name", values["display_name"], user_id
            )
        if values.get("bio"):
            values["bio"] = await self._screen("bio", values["bio"], user_id)
        try:
            async with self.db.write() as uow:
                user = await self._update_user(uow, user_id, values)
        except IntegrityError as exc:
            field = "phone" if "phone" in str(exc.orig) else "email"
            raise Conflict(
                f"That {field} belongs to another account.", fields={field: "already used"}
            ) from exc
        return user

    async def set_avatar(self, user_id: int, data: bytes, *, max_bytes: int, thumb: int) -> Me:
        stored = await self.media.put_image(data, max_bytes=max_bytes, thumb_side=thumb)
        async with self.db.write() as uow:
            return await self._update_user(
                uow, user_id, {"avatar_id": stored.id, "avatar_thumb_id": stored.thumb_id}
            )

    async def _update_user(self, uow: UnitOfWork, user_id: int, values: dict[str, object]) -> Me:
        user = await uow.session.get(User, user_id)
        if user is None:
            raise NotFound("No such user.")
        for k, v in values.items():
            setattr(user, k, v)
        user.updated_at = self.clock.now()
        await uow.session.flush()
        points = {k: str(v) if v else None for k, v in values.items() if k in ("phone", "email")}
        if points:
            for hook in self._contact_point_hooks:
                await hook(uow, user_id, points)
        me = me_from_row(user)
        await self.sync.emit(uow, [user_id], "profile.updated", me.model_dump(mode="json"))

        async def drop_cached() -> None:
            await self.cache.invalidate(user_ids=[user_id])

        uow.after_commit(drop_cached)
        return me

    async def verify_password(self, user_id: int, password: str) -> bool:
        """Whether `password` is the user's; for other domains that re-confirm identity
        (the wallet, before setting or resetting a payment PIN)."""
        async with self.db.read() as s:
            stored = await s.scalar(select(User.password_hash).where(User.id == user_id))
        return await self.hasher.verify(stored, password)

    async def change_password(
        self, user_id: int, current_session_id: int, old: str, new: str
    ) -> None:
        """Change the password and sign out every other device."""
        async with self.db.read() as s:
            stored = await s.scalar(select(User.password_hash).where(User.id == user_id))
        if not await self.hasher.verify(stored, old):
            raise BadCredentials("The current password is wrong.")
        new_hash = await self.hasher.hash(new)
        async with self.db.write() as uow:
            await uow.session.execute(
                update(User)
                .where(User.id == user_id)
                .values(password_hash=new_hash, updated_at=self.clock.now())
            )
            others = list(
                (
                    await uow.session.scalars(
                        select(Session.id).where(
                            Session.user_id == user_id,
                            Session.revoked_at.is_(None),
                            Session.id != current_session_id,
                        )
                    )
                ).all()
            )
            if others:
                await uow.session.execute(
                    update(Session)
                    .where(Session.id.in_(others))
                    .values(revoked_at=self.clock.now())
                )
                for sid in others:
                    await self.sync.emit(uow, [user_id], "session.revoked", {"session_id": sid})
                self._after_revoke(uow, others)

    # -- administration ------------------------------------------------------------------

    async def set_role(self, actor_role: str, user_id: int, role: str) -> Me:
        if actor_role != "admin":
            raise Forbidden("Only admins change roles.")
        async with self.db.write() as uow:
            return await self._update_user(uow, user_id, {"role": role})

    async def set_verification(self, actor_role: str, user_id: int, kind: str, reason: str) -> Me:
        if actor_role != "admin":
            raise Forbidden("Only admins grant verification badges.")
        async with self.db.write() as uow:
            return await self._update_user(
                uow, user_id, {"verified": kind, "verified_reason": reason if kind else ""}
            )

    async def count_users(self) -> int:
        async with self.db.read() as s:
            return int(await s.scalar(select(func.count()).select_from(User)) or 0)

    async def set_password(self, handle: str, password: str, role: str | None = None) -> int:
        """Operator tool (`hutong create-admin`): set a password, optionally a role."""
        new_hash = await self.hasher.hash(password)
        async with self.db.write() as uow:
            user = await uow.session.scalar(select(User).where(User.handle == handle))
            if user is None:
                raise NotFound("No such user.")
            user.password_hash = new_hash
            if role:
                user.role = role
            user.updated_at = self.clock.now()
            uid = user.id

            async def drop_cached() -> None:
                await self.cache.invalidate(user_ids=[uid])

            uow.after_commit(drop_cached)
            return uid
