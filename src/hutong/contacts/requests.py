"""Friend requests: send with a greeting → accept / decline, or withdraw while pending.

Concurrency. At most one request per pair of people may be pending, whichever way it points:
a partial unique index on the ordered pair enforces it, so when two people request each other
at the same moment one insert wins and the other fails. The loser retries its transaction,
now sees the winner's request and accepts it instead (requesting someone who asked you is
agreeing) — the pair ends with exactly one friendship. Every status change is a guarded
`UPDATE … WHERE status = 'pending'` whose row count is checked, so accepting twice (or
accepting while the sender withdraws) lets exactly one transition win. Friendship rows are
inserted with ON CONFLICT DO NOTHING, so a second path to the same friendship adds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from hutong.accounts import PublicUser
from hutong.contacts import relations
from hutong.contacts.errors import (
    AlreadyFriends,
    DuplicateRequest,
    NotFindable,
    SelfRequest,
)
from hutong.contacts.events import emit_each
from hutong.contacts.models import ContactSettings, FriendRequest
from hutong.contacts.schemas import RequestOut, Source
from hutong.core.db import UnitOfWork
from hutong.core.errors import Conflict, NotFound, TooManyRequests

if TYPE_CHECKING:
    from hutong.contacts.service import ContactsService

Direction = Literal["incoming", "outgoing", "all"]
_SOURCE_SETTING = {
    "handle": ("findable_by_handle",),
    "phone": ("findable_by_phone",),
    "contacts": ("findable_by_phone", "findable_by_email"),
    "qr": ("findable_by_qr",),
}


def _check_source(settings: ContactSettings, source: str) -> None:
    """Requests must come the way the recipient allows being found. "invite", "group" and
    "card" are vouched for by the caller (a redeemed invite, a shared group, a shared card)."""
    needed = _SOURCE_SETTING.get(source)
    if needed and not any(getattr(settings, n) for n in needed):
        how = {"contacts": "contact matching"}.get(source, source)
        raise NotFindable(f"This user does not accept friend requests by {how}.")


class FriendRequests:
    def __init__(self, contacts: ContactsService) -> None:
        self.c = contacts
        self.db = contacts.db
        self.clock = contacts.clock
        self.policy = contacts.policy

    def _out(self, req: FriendRequest, profiles: dict[int, PublicUser]) -> RequestOut:
        return RequestOut(
            id=req.id,
            from_user=profiles[req.from_user_id],
            to_user=profiles[req.to_user_id],
            greeting=req.greeting,
            source=req.source,
            status=req.status,
            created_at=req.created_at,
            decided_at=req.decided_at,
        )

    async def send(
        self,
        from_id: int,
        to_id: int,
        *,
        source: Source,
        greeting: str = "",
        remark: str = "",
        tags: Sequence[str] = (),
        qr_token: str | None = None,
    ) -> RequestOut:
        """Ask `to_id` to be friends. The answer's status is "pending", or "accepted" when
        they do not require approval or had already asked `from_id` themselves."""
        if from_id == to_id:
            raise SelfRequest("You cannot send a friend request to yourself.")
        profiles = await self.c.accounts.public_profiles([from_id, to_id])
        if to_id not in profiles or from_id not in profiles:
            raise NotFound("No such user.")
        if source == "qr":
            await self.c.qr.check_personal_token(qr_token, to_id)
        rerequest_key = await self._rerequest_key(from_id, to_id)
        # The platform's anti-spam limit per user and action (stricter for new accounts).
        await self.c.limits.hit(from_id, "friend_request")
        for attempt in range(3):
            try:
                out = await self._send_once(
                    from_id, to_id, source, greeting, remark, list(tags), profiles
                )
                break
            except IntegrityError:
                # A request between the two committed meanwhile; look again.
                if attempt == 2:
                    raise Conflict("The request changed meanwhile; try again.") from None
        if rerequest_key:
            await self.c.limiter.hit(rerequest_key, self.policy.rerequest_window_s)
        return out

    async def _rerequest_key(self, from_id: int, to_id: int) -> str | None:
        """After a decline, asking the same person again is limited (returns the counter)."""
        async with self.db.read() as s:
            last = await s.scalar(
                select(FriendRequest.status)
                .where(FriendRequest.from_user_id == from_id, FriendRequest.to_user_id == to_id)
                .order_by(FriendRequest.id.desc())
                .limit(1)
            )
        if last != "declined":
            return None
        key = f"contacts:rereq:{from_id}:{to_id}"
        n, retry = await self.c.limiter.count(key)
        if n >= self.policy.rerequest_limit:
            raise TooManyRequests(
                f"They declined your request. You can ask again in {retry} s.", retry_after=retry
            )
        return key

    async def _send_once(
        self,
        a: int,
        b: int,
        source: Source,
        greeting: str,
        remark: str,
        tags: list[str],
        profiles: dict[int, PublicUser],
    ) -> RequestOut:
        now = self.clock.now()
        async with self.db.write() as uow:
            s = uow.session
            await relations.check_can_interact(s, a, b)
            if await relations.is_friend(s, a, b):
                raise AlreadyFriends("You are already friends.")
            pending = await s.scalar(
                select(FriendRequest)
                .where(
                    FriendRequest.pair_low == min(a, b),
                    FriendRequest.pair_high == max(a, b),
                    FriendRequest.status == "pending",
                )
                .with_for_update()
            )
            if pending is not None and pending.from_user_id == a:
                raise DuplicateRequest(
                    "You already asked; wait for an answer or withdraw the request.",
                    extra={"request_id": pending.id},
                )
            if pending is not None:
                # They asked first: asking back is accepting.
                return await self._accept_in(uow, pending, remark, tags, profiles)
            settings = await relations.load_settings(s, b, now)
            _check_source(settings, source)
            auto = not settings.require_approval
            req = FriendRequest(
                from_user_id=a,
                to_user_id=b,
                pair_low=min(a, b),
                pair_high=max(a, b),
                greeting=greeting,
                source=source,
                remark=remark,
                tags=tags,
                status="accepted" if auto else "pending",
                created_at=now,
                decided_at=now if auto else None,
            )
            s.add(req)
            await s.flush()
            out = self._out(req, profiles)
            payload = {"request": out.model_dump(mode="json")}
            if auto:
                await self.c.make_friends(uow, a, b, a_side=(remark, tags))
                await self.c.sync.emit(uow, [a, b], "contacts.request_accepted", payload)
            else:
                await emit_each(
                    self.c.sync,
                    uow,
                    {
                        b: ("contacts.request_received", payload),
                        a: ("contacts.request_sent", payload),
                    },
                )
            return out

    async def _accept_in(
        self,
        uow: UnitOfWork,
        req: FriendRequest,
        remark: str,
        tags: Sequence[str],
        profiles: dict[int, PublicUser],
    ) -> RequestOut:
        now = self.clock.now()
        result = await uow.session.execute(
            update(FriendRequest)
            .where(FriendRequest.id == req.id, FriendRequest.status == "pending")
            .values(status="accepted", decided_at=now)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict("This request is no longer pending.")
        req.status, req.decided_at = "accepted", now
        await self.c.make_friends(
            uow,
            req.from_user_id,
            req.to_user_id,
            a_side=(req.remark, req.tags or []),
            b_side=(remark, tags),
        )
        out = self._out(req, profiles)
        await self.c.sync.emit(
            uow,
            [req.from_user_id, req.to_user_id],
            "contacts.request_accepted",
            {"request": out.model_dump(mode="json")},
        )
        return out

    async def _load_for(
        self, uow: UnitOfWork, request_id: int, user_id: int, role: Literal["from", "to"]
    ) -> FriendRequest:
        req = await uow.session.get(FriendRequest, request_id, with_for_update=True)
        owner = None if req is None else (req.from_user_id if role == "from" else req.to_user_id)
        if req is None or owner != user_id:
            raise NotFound("No such friend request.")
        if req.status != "pending":
            raise Conflict(f"This request was already {req.status}.")
        return req

    async def accept(
        self, user_id: int, request_id: int, remark: str = "", tags: Sequence[str] = ()
    ) -> RequestOut:
        """The recipient accepts; both become friends and both hear of it at once."""
        async with self.db.write() as uow:
            req = await self._load_for(uow, request_id, user_id, "to")
            await relations.check_can_interact(uow.session, user_id, req.from_user_id)
            profiles = await self.c.accounts.public_profiles(
                [req.from_user_id, req.to_user_id], session=uow.session
            )
            return await self._accept_in(uow, req, remark, tags, profiles)

    async def decline(self, user_id: int, request_id: int) -> RequestOut:
        """The recipient declines. The sender is not told (as in WeChat); asking again is
        rate-limited."""
        return await self._close(user_id, request_id, "to", "declined", notify_both=False)

    async def withdraw(self, user_id: int, request_id: int) -> RequestOut:
        """The sender takes a pending request back; it disappears from the recipient's list."""
        return await self._close(user_id, request_id, "from", "withdrawn", notify_both=True)

    async def _close(
        self,
        user_id: int,
        request_id: int,
        role: Literal["from", "to"],
        status: str,
        *,
        notify_both: bool,
    ) -> RequestOut:
        now = self.clock.now()
        async with self.db.write() as uow:
            req = await self._load_for(uow, request_id, user_id, role)
            result = await uow.session.execute(
                update(FriendRequest)
                .where(FriendRequest.id == req.id, FriendRequest.status == "pending")
                .values(status=status, decided_at=now)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise Conflict("This request is no longer pending.")
            req.status, req.decided_at = status, now
            profiles = await self.c.accounts.public_profiles(
                [req.from_user_id, req.to_user_id], session=uow.session
            )
            out = self._out(req, profiles)
            users = [req.from_user_id, req.to_user_id] if notify_both else [user_id]
            await self.c.sync.emit(
                uow, users, f"contacts.request_{status}", {"request": out.model_dump(mode="json")}
            )
        return out

    async def for_user(
        self, user_id: int, direction: Direction, limit: int = 100
    ) -> list[RequestOut]:
        """Newest first. Incoming requests from people I blocked are left out."""
        async with self.db.read() as s:
            if direction == "incoming":
                cond = FriendRequest.to_user_id == user_id
            elif direction == "outgoing":
                cond = FriendRequest.from_user_id == user_id
            else:
                cond = or_(
                    FriendRequest.to_user_id == user_id, FriendRequest.from_user_id == user_id
                )
            rows = list(
                await s.scalars(
                    select(FriendRequest)
                    .where(cond, FriendRequest.status != "withdrawn")
                    .order_by(FriendRequest.created_at.desc(), FriendRequest.id.desc())
                    .limit(limit)
                )
            )
            others = {r.from_user_id if r.to_user_id == user_id else r.to_user_id for r in rows}
            hidden = await relations.blocked_either_way(s, user_id, list(others))
        rows = [r for r in rows if not (r.to_user_id == user_id and r.from_user_id in hidden)]
        ids = {r.from_user_id for r in rows} | {r.to_user_id for r in rows}
        profiles = await self.c.accounts.public_profiles(list(ids))
        return [
            self._out(r, profiles)
            for r in rows
            if r.from_user_id in profiles and r.to_user_id in profiles
        ]

    async def get(self, user_id: int, request_id: int) -> RequestOut:
        async with self.db.read() as s:
            req = await s.get(FriendRequest, request_id)
        if req is None or user_id not in (req.from_user_id, req.to_user_id):
            raise NotFound("No such friend request.")
        profiles = await self.c.accounts.public_profiles([req.from_user_id, req.to_user_id])
        return self._out(req, profiles)
