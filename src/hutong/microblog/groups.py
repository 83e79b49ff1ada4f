"""Groups of followees ("分组"): named sets of people one follows, to read the home timeline of
just that group. Only the owner ever sees a group; members are not told."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hutong.core.errors import Conflict, NotFound
from hutong.microblog.audience import followers_among, following_among
from hutong.microblog.errors import GroupLimit, NotFollowing
from hutong.microblog.models import FolloweeGroup, GroupMember
from hutong.microblog.schemas import GroupOut, UserCardOut

if TYPE_CHECKING:
    from hutong.microblog.service import MicroblogService


class Groups:
    def __init__(self, svc: MicroblogService) -> None:
        self.svc = svc

    async def mine(self, owner: int) -> list[GroupOut]:
        async with self.svc.db.read() as s:
            rows = (
                await s.execute(
                    select(FolloweeGroup, func.count(GroupMember.member_id))
                    .outerjoin(GroupMember, GroupMember.group_id == FolloweeGroup.id)
                    .where(FolloweeGroup.owner_id == owner)
                    .group_by(FolloweeGroup.id)
                    .order_by(FolloweeGroup.id)
                )
            ).all()
        return [_out(g, n) for g, n in rows]

    async def create(self, owner: int, name: str) -> GroupOut:
        try:
            async with self.svc.db.write() as uow:
                s = uow.session
                count = await s.scalar(select(func.count()).where(FolloweeGroup.owner_id == owner))
                if (count or 0) >= self.svc.policy.max_groups:
                    raise GroupLimit(f"At most {self.svc.policy.max_groups} groups.")
                group = FolloweeGroup(owner_id=owner, name=name, created_at=self.svc.clock.now())
                s.add(group)
                await s.flush()
                return _out(group, 0)
        except IntegrityError as exc:
            raise Conflict(
                "You already have a group of that name.", fields={"name": "taken"}
            ) from exc

    async def rename(self, owner: int, group_id: int, name: str) -> GroupOut:
        try:
            async with self.svc.db.write() as uow:
                group = await self._own(uow.session, owner, group_id)
                group.name = name
                await uow.session.flush()
                n = await self._size(uow.session, group_id)
                return _out(group, n)
        except IntegrityError as exc:
            raise Conflict(
                "You already have a group of that name.", fields={"name": "taken"}
            ) from exc

    async def delete(self, owner: int, group_id: int) -> None:
        async with self.svc.db.write() as uow:
            group = await self._own(uow.session, owner, group_id)
            await uow.session.execute(delete(GroupMember).where(GroupMember.group_id == group_id))
            await uow.session.delete(group)

    async def add(self, owner: int, group_id: int, handle: str) -> GroupOut:
        """Put someone the owner follows into the group (again: no change)."""
        member = await self.svc.graph.target(owner, handle)
        async with self.svc.db.write() as uow:
            s = uow.session
            group = await self._own(s, owner, group_id)
            if not await following_among(s, owner, {member.id}):
                raise NotFollowing("Follow them first to put them in a group.")
            n = await self._size(s, group_id)
            if n >= self.svc.policy.max_group_members:
                raise GroupLimit(f"A group has at most {self.svc.policy.max_group_members} people.")
            await s.execute(
                self.svc.insert(GroupMember)
                .values(group_id=group_id, member_id=member.id, created_at=self.svc.clock.now())
                .on_conflict_do_nothing(
                    index_elements=[GroupMember.group_id, GroupMember.member_id]
                )
            )
            return _out(group, await self._size(s, group_id))

    async def remove(self, owner: int, group_id: int, handle: str) -> GroupOut:
        member = await self.svc.graph.target(owner, handle)
        async with self.svc.db.write() as uow:
            s = uow.session
            group = await self._own(s, owner, group_id)
            await s.execute(
                delete(GroupMember).where(
                    GroupMember.group_id == group_id, GroupMember.member_id == member.id
                )
            )
            return _out(group, await self._size(s, group_id))

    async def members(self, owner: int, group_id: int) -> list[UserCardOut]:
        async with self.svc.db.read() as s:
            await self._own(s, owner, group_id)
            rows = (
                await s.execute(
                    select(GroupMember.member_id, GroupMember.created_at)
                    .where(GroupMember.group_id == group_id)
                    .order_by(GroupMember.created_at.desc(), GroupMember.member_id.desc())
                )
            ).all()
            ids = {r[0] for r in rows}
            counts = await self.svc.graph.follower_counts(s, ids)
            mutual = await followers_among(s, owner, ids)
        people = await self.svc.authors([r[0] for r in rows])
        return [
            UserCardOut(
                user=people[uid],
                since=at,
                mutual=uid in mutual,
                following=True,
                followers_count=counts.get(uid, 0),
            )
            for uid, at in rows
            if uid in people
        ]

    async def member_ids(self, s: AsyncSession, owner: int, group_id: int) -> set[int]:
        await self._own(s, owner, group_id)
        return set(
            await s.scalars(select(GroupMember.member_id).where(GroupMember.group_id == group_id))
        )

    async def _own(self, s: AsyncSession, owner: int, group_id: int) -> FolloweeGroup:
        group = await s.get(FolloweeGroup, group_id)
        if group is None or group.owner_id != owner:
            raise NotFound("No such group.")
        return group

    async def _size(self, s: AsyncSession, group_id: int) -> int:
        n = await s.scalar(select(func.count()).where(GroupMember.group_id == group_id))
        return int(n or 0)


def _out(group: FolloweeGroup, members: int) -> GroupOut:
    return GroupOut(
        id=group.id, name=group.name, members_count=members, created_at=group.created_at
    )
