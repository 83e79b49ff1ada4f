"""Group chats: create, invite (with acceptance past 40 members), join by QR code, remove,
leave, transfer ownership, admins, name/announcement/mute-all.

Every membership change locks the chat row first, so concurrent joins cannot push a group past
its size limit or miscount it, and announces itself as a system message in the chat (which is
how every member's devices learn of it, in order with the messages).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hutong.chat.models import Chat, Member
from hutong.chat.schemas import ChatOut, GroupPatchIn, MemberOut
from hutong.chat.service import ChatService
from hutong.chat.store import (
    ChatDeps,
    NotFriends,
    append,
    get_chat,
    moderated,
    require_active,
)
from hutong.core.auth import Principal
from hutong.core.db import UnitOfWork
from hutong.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from hutong.core.qrcodes import QrRegistry


class GroupFull(Conflict):
    code = "group-full"
    title = "The group is full"


class GroupService:
    def __init__(self, deps: ChatDeps, chats: ChatService) -> None:
        self.deps = deps
        self.db = deps.db
        self.clock = deps.clock
        self.policy = deps.policy
        self.chats = chats

    async def _names(self, ids: list[int]) -> str:
        profiles = await self.deps.accounts.public_profiles(ids)
        return ", ".join(profiles[i].display_name if i in profiles else "someone" for i in ids)

    async def _notice(
        self,
        uow: UnitOfWork,
        chat_id: int,
        event: str,
        actor: int | None,
        users: list[int],
        text: str,
        **extra: Any,
    ) -> None:
        await append(
            self.deps,
            uow,
            chat_id,
            sender_id=None,
            kind="system",
            body={"event": event, "actor": actor, "users": users, "text": text, **extra},
        )

    async def _check_friends(self, s: AsyncSession, me: int, user_ids: list[int]) -> None:
        for uid in user_ids:
            await self.deps.contacts.check_can_interact(me, uid, session=s)
            if not await self.deps.contacts.are_friends(me, uid, session=s):
                raise NotFriends(
                    f"You can only add friends to a group (user {uid}).",
                    fields={"user_ids": f"{uid} is not your friend"},
                )

    def _require_group(self, chat: Chat) -> None:
        if chat.kind != "group":
            raise InvalidInput("That is a direct chat, not a group.")

    @staticmethod
    def _require_role(member: Member, *roles: str) -> None:
        if member.role not in roles:
            raise Forbidden(
                "Only the group owner"
                + (" and admins" if "admin" in roles else "")
                + " can do that."
            )

    # -- creating and joining ------------------------------------------------------------

    async def create(self, me: int, name: str, member_ids: list[int]) -> ChatOut:
        others = sorted(set(member_ids) - {me})
        if not others:
            raise InvalidInput("Add at least one friend.", fields={"member_ids": "empty"})
        if len(others) + 1 > self.policy.max_group:
            raise GroupFull(f"A group holds at most {self.policy.max_group} members.")
        if name:
            name = await moderated(self.deps, "group_name", name, me, "name")
        now = self.clock.now()
        async with self.db.write() as uow:
            s = uow.session
            await self._check_friends(s, me, others)
            chat = Chat(
                kind="group",
                name=name,
                owner_id=me,
                member_count=len(others) + 1,
                created_at=now,
                updated_at=now,
            )
            s.add(chat)
            await s.flush()
            s.add(
                Member(
                    chat_id=chat.id,
                    user_id=me,
                    role="owner",
                    status="active",
                    joined_at=now,
                    updated_at=now,
                )
            )
            for uid in others:
                s.add(
                    Member(
                        chat_id=chat.id,
                        user_id=uid,
                        status="active",
                        invited_by=me,
                        joined_at=now,
                        updated_at=now,
                    )
                )
            await s.flush()
            names = await self._names(others)
            await self._notice(
                uow,
                chat.id,
                "created",
                me,
                others,
                f"{await self._names([me])} created the group with {names}",
            )
            chat_id = chat.id
        return await self.chats.chat(me, chat_id)

    async def _activate(
        self,
        uow: UnitOfWork,
        chat: Chat,
        user_ids: list[int],
        *,
        invited_by: int | None,
        status: str = "active",
    ) -> None:
        s = uow.session
        now = self.clock.now()
        for uid in user_ids:
            row = await s.get(Member, (chat.id, uid))
            if row is None:
                s.add(
                    Member(
                        chat_id=chat.id,
                        user_id=uid,
                        status=status,
                        invited_by=invited_by,
                        joined_seq=chat.last_seq,
                        read_seq=chat.last_seq,
                        joined_at=now,
                        updated_at=now,
                    )
                )
            else:
                row.status, row.role, row.invited_by = status, "member", invited_by
                row.joined_seq = row.read_seq = row.cleared_seq = chat.last_seq
                row.left_seq, row.joined_at, row.updated_at = None, now, now
        if status == "active":
            chat.member_count += len(user_ids)
        await s.flush()

    async def invite(self, me: int, chat_id: int, user_ids: list[int]) -> ChatOut:
        """Add friends. Past `approval_over` members they are invited and must accept."""
        async with self.db.write() as uow:
            s = uow.session
            chat = await get_chat(s, chat_id, lock=True)
            self._require_group(chat)
            await require_active(s, chat_id, me)
            current = set(
                (
                    await s.scalars(
                        select(Member.user_id).where(
                            Member.chat_id == chat_id, Member.status.in_(["active", "invited"])
                        )
                    )
                ).all()
            )
            new = sorted(set(user_ids) - current - {me})
            if not new:
                raise Conflict("They are already in this group.")
            await self._check_friends(s, me, new)
            needs_approval = chat.member_count + len(new) > self.policy.approval_over
            # Invitations may outnumber the free places (each acceptance is checked);
            # direct additions may not.
            wanted = 1 if needs_approval else len(new)
            if chat.member_count + wanted > self.policy.max_group:
                raise GroupFull(f"A group holds at most {self.policy.max_group} members.")
            names = await self._names(new)
            inviter = await self._names([me])
            if needs_approval:
                await self._activate(uow, chat, new, invited_by=me, status="invited")
                await self.deps.sync.emit(
                    uow, new, "chat.invitation", {"chat_id": chat_id, "name": chat.name, "by": me}
                )
                await self._notice(
                    uow,
                    chat_id,
                    "invited",
                    me,
                    new,
                    f"{inviter} invited {names}; waiting for them to accept",
                )
            else:
                await self._activate(uow, chat, new, invited_by=me)
                await self._notice(
                    uow, chat_id, "joined", me, new, f"{inviter} invited {names} to the group chat"
                )
        return await self.chats.chat(me, chat_id)

    async def accept(self, me: int, chat_id: int) -> ChatOut:
        async with self.db.write() as uow:
            s = uow.session
            chat = await get_chat(s, chat_id, lock=True)
            member = await s.get(Member, (chat_id, me))
            if member is None or member.status != "invited":
                raise NotFound("No pending invitation to this group.")
            if chat.member_count + 1 > self.policy.max_group:
                raise GroupFull(f"A group holds at most {self.policy.max_group} members.")
            await self._activate(uow, chat, [me], invited_by=member.invited_by)
            await self._notice(
                uow, chat_id, "joined", me, [me], f"{await self._names([me])} joined the group chat"
            )
        return await self.chats.chat(me, chat_id)

    async def decline(self, me: int, chat_id: int) -> None:
        async with self.db.write() as uow:
            member = await uow.session.get(Member, (chat_id, me))
            if member is None or member.status != "invited":
                raise NotFound("No pending invitation to this group.")
            await uow.session.delete(member)

    async def join_by_qr(self, principal: Principal, token: str, registry: QrRegistry) -> ChatOut:
        """Join through a group QR code (valid 7 days; the contacts domain checks it)."""
        resolved = await registry.resolve(token, principal)
        if resolved.get("kind") != "g" or "group_id" not in resolved:
            raise InvalidInput("That is not a group QR code.", fields={"token": "not a group"})
        chat_id = int(resolved["group_id"])
        me = principal.user_id
        async with self.db.write() as uow:
            s = uow.session
            chat = await get_chat(s, chat_id, lock=True)
            member = await s.get(Member, (chat_id, me))
            if member is None or member.status != "active":
                if chat.member_count + 1 > self.policy.max_group:
                    raise GroupFull(f"A group holds at most {self.policy.max_group} members.")
                await self._activate(uow, chat, [me], invited_by=None)
                await self._notice(
                    uow,
                    chat_id,
                    "joined",
                    me,
                    [me],
                    f"{await self._names([me])} joined via the group QR code",
                )
        return await self.chats.chat(me, chat_id)

    async def describe_for_qr(self, group_id: int, principal: Principal | None) -> dict[str, Any]:
        """What a scanned group code shows before joining."""
        async with self.db.read() as s:
            chat = await s.get(Chat, group_id)
            if chat is None or chat.kind != "group":
                raise NotFound("This group no longer exists.")
            member = await s.get(Member, (group_id, principal.user_id)) if principal else None
        return {
            "group_id": chat.id,
            "name": chat.name or "Group chat",
            "member_count": chat.member_count,
            "is_member": member is not None and member.status == "active",
        }

    # -- leaving and removing ------------------------------------------------------------

    async def _depart(self, uow: UnitOfWork, chat: Chat, member: Member, status: str) -> None:
        member.status, member.left_seq = status, chat.last_seq
        member.updated_at = self.clock.now()
        chat.member_count -= 1
        await uow.session.flush()

    async def remove(self, me: int, chat_id: int, user_id: int) -> None:
        async with self.db.write() as uow:
            s = uow.session
            chat = await get_chat(s, chat_id, lock=True)
            self._require_group(chat)
            actor = await require_active(s, chat_id, me)
            self._require_role(actor, "owner", "admin")
            target = await s.get(Member, (chat_id, user_id))
            if target is None or target.status != "active" or user_id == me:
                raise NotFound("That person is not in this group.")
            if target.role == "owner" or (target.role == "admin" and actor.role != "owner"):
                raise Forbidden("Only the owner can remove an admin; nobody removes the owner.")
            await self._depart(uow, chat, target, "removed")
            await self.deps.sync.emit(
                uow, [user_id], "chat.removed", {"chat_id": chat_id, "by": me}
            )
            await self._notice(
                uow,
                chat_id,
                "removed",
                me,
                [user_id],
                f"{await self._names([me])} removed {await self._names([user_id])}",
            )

    async def leave(self, me: int, chat_id: int) -> None:
        async with self.db.write() as uow:
            s = uow.session
            chat = await get_chat(s, chat_id, lock=True)
            self._require_group(chat)
            member = await require_active(s, chat_id, me)
            if member.role == "owner":
                heir = await s.scalar(
                    select(Member)
                    .where(
                        Member.chat_id == chat_id, Member.status == "active", Member.user_id != me
                    )
                    .order_by((Member.role == "admin").desc(), Member.joined_at, Member.user_id)
                    .limit(1)
                )
                chat.owner_id = heir.user_id if heir else None
                if heir is not None:
                    heir.role = "owner"
                member.role = "member"
            await self._depart(uow, chat, member, "left")
            await self.deps.sync.emit(uow, [me], "chat.left", {"chat_id": chat_id})
            await self._notice(
                uow,
                chat_id,
                "left",
                me,
                [me],
                f"{await self._names([me])} left the group chat",
                owner_id=chat.owner_id,
            )

    # -- roles and settings --------------------------------------------------------------

    async def transfer(self, me: int, chat_id: int, user_id: int) -> ChatOut:
        async with self.db.write() as uow:
            s = uow.session
            chat = await get_chat(s, chat_id, lock=True)
            self._require_group(chat)
            actor = await require_active(s, chat_id, me)
            self._require_role(actor, "owner")
            target = await s.get(Member, (chat_id, user_id))
            if target is None or target.status != "active" or user_id == me:
                raise NotFound("That person is not in this group.")
            actor.role, target.role, chat.owner_id = "member", "owner", user_id
            await s.flush()
            await self._notice(
                uow,
                chat_id,
                "owner",
                me,
                [user_id],
                f"{await self._names([user_id])} is now the group owner",
            )
        return await self.chats.chat(me, chat_id)

    async def set_admin(self, me: int, chat_id: int, user_id: int, admin: bool) -> None:
        async with self.db.write() as uow:
            s = uow.session
            chat = await get_chat(s, chat_id, lock=True)
            self._require_group(chat)
            self._require_role(await require_active(s, chat_id, me), "owner")
            target = await s.get(Member, (chat_id, user_id))
            if target is None or target.status != "active" or target.role == "owner":
                raise NotFound("That person is not a member who can be an admin.")
            target.role = "admin" if admin else "member"
            await s.flush()
            name = await self._names([user_id])
            await self._notice(
                uow,
                chat_id,
                "admin",
                me,
                [user_id],
                f"{name} is {'now' if admin else 'no longer'} a group admin",
                admin=admin,
            )

    async def set_avatar(self, me: int, chat_id: int, data: bytes, max_bytes: int) -> ChatOut:
        """Owner and admins set the group photo (stored as a square-fitting thumbnail)."""
        async with self.db.read() as s:
            chat = await get_chat(s, chat_id)
            self._require_group(chat)
            self._require_role(await require_active(s, chat_id, me), "owner", "admin")
        stored = await self.deps.media.put_image(data, max_bytes=max_bytes, thumb_side=256)
        async with self.db.write() as uow:
            chat = await get_chat(uow.session, chat_id, lock=True)
            self._require_role(await require_active(uow.session, chat_id, me), "owner", "admin")
            chat.avatar_id = stored.thumb_id
            await uow.session.flush()
            await self._notice(
                uow,
                chat_id,
                "avatar",
                me,
                [],
                f"{await self._names([me])} changed the group photo",
                avatar_url=f"/media/{stored.thumb_id}",
            )
        return await self.chats.chat(me, chat_id)

    async def update(self, me: int, chat_id: int, data: GroupPatchIn) -> ChatOut:
        """Anyone renames; owner and admins set the announcement and mute everyone."""
        if data.name:
            data = data.model_copy(
                update={"name": await moderated(self.deps, "group_name", data.name, me, "name")}
            )
        if data.announcement:
            text = await moderated(
                self.deps, "group_announcement", data.announcement, me, "announcement"
            )
            data = data.model_copy(update={"announcement": text})
        async with self.db.write() as uow:
            s = uow.session
            chat = await get_chat(s, chat_id, lock=True)
            self._require_group(chat)
            member = await require_active(s, chat_id, me)
            who = await self._names([me])
            if data.name is not None and data.name != chat.name:
                chat.name = data.name
                await self._notice(
                    uow,
                    chat_id,
                    "renamed",
                    me,
                    [],
                    f'{who} changed the group name to "{data.name}"',
                    name=data.name,
                )
            if data.announcement is not None and data.announcement != chat.announcement:
                self._require_role(member, "owner", "admin")
                chat.announcement = data.announcement
                await self._notice(
                    uow,
                    chat_id,
                    "announcement",
                    me,
                    [],
                    f"{who} updated the group announcement",
                    announcement=data.announcement,
                )
            if data.mute_all is not None and data.mute_all != chat.mute_all:
                self._require_role(member, "owner", "admin")
                chat.mute_all = data.mute_all
                await self._notice(
                    uow,
                    chat_id,
                    "mute_all",
                    me,
                    [],
                    f"{who} {'muted' if data.mute_all else 'unmuted'} all members",
                    mute_all=data.mute_all,
                )
        return await self.chats.chat(me, chat_id)

    async def members(self, me: int, chat_id: int) -> list[MemberOut]:
        async with self.db.read() as s:
            await require_active(s, chat_id, me)
            rows = (
                await s.scalars(
                    select(Member)
                    .where(Member.chat_id == chat_id, Member.status == "active")
                    .order_by(Member.joined_at, Member.user_id)
                )
            ).all()
        profiles = await self.deps.accounts.public_profiles([r.user_id for r in rows])
        order = {"owner": 0, "admin": 1, "member": 2}
        return sorted(
            (
                MemberOut(
                    user=profiles[r.user_id], role=r.role, status=r.status, joined_at=r.joined_at
                )
                for r in rows
                if r.user_id in profiles
            ),
            key=lambda m: order[m.role],
        )
