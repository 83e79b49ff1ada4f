"""Reading who is whose friend and who blocked whom, inside any transaction.

Every later feature (messages, transfers, red envelopes, friends-only posts) asks these
questions; they all go through `ContactsService.check_can_interact` / `are_friends`, which call
the functions here, so the rule lives in one place.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Sequence

from sqlalchemy import and_, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from hutong.contacts.errors import Blocked
from hutong.contacts.models import Block, ContactSettings, FriendRequest, Friendship
from hutong.contacts.schemas import PrivacyOut, Relationship
from hutong.core.db import UnitOfWork


async def blocks_between(s: AsyncSession, a: int, b: int) -> set[tuple[int, int]]:
    """The (blocker, blocked) pairs between a and b, in either direction."""
    rows = await s.execute(
        select(Block.user_id, Block.blocked_id).where(
            or_(
                and_(Block.user_id == a, Block.blocked_id == b),
                and_(Block.user_id == b, Block.blocked_id == a),
            )
        )
    )
    return {(r[0], r[1]) for r in rows}


async def check_can_interact(s: AsyncSession, actor: int, other: int) -> None:
    """Raise `Blocked` if either user blocked the other."""
    pairs = await blocks_between(s, actor, other)
    if (actor, other) in pairs:
        raise Blocked("You blocked this user. Unblock them first.")
    if (other, actor) in pairs:
        raise Blocked("This user does not accept your requests or messages.")


async def pair_problems(
    s: AsyncSession, pairs: Sequence[tuple[int, int]]
) -> dict[tuple[int, int], Exception]:
    """For many (actor, other) pairs at once, in two queries: why the actor may not message
    the other — a block either way (as `check_can_interact`) or no friendship (`NotFriend`).
    Pairs that may interact are absent."""
    wanted = sorted(set(pairs))
    if not wanted:
        return {}
    users = {u for pair in wanted for u in pair}
    blocks = {
        (int(r[0]), int(r[1]))
        for r in await s.execute(
            select(Block.user_id, Block.blocked_id).where(
                Block.user_id.in_(users), Block.blocked_id.in_(users)
            )
        )
    }
    friends = {
        (int(r[0]), int(r[1]))
        for r in await s.execute(
            select(Friendship.user_id, Friendship.friend_id).where(
                Friendship.user_id.in_({a for a, _ in wanted}),
                Friendship.friend_id.in_({b for _, b in wanted}),
            )
        )
    }
    return _problems(wanted, blocks, friends)


# The same two questions in plain `sqlite3`, for a writer that runs its whole SQLite transaction
# in one blocking call (chat's group commit). The pairs travel as one JSON parameter, so the
# statements are fixed text and stay in the connection's statement cache, and they drive the
# joins (`CROSS JOIN` keeps that order): a primary-key probe per pair and direction, where INs
# on both columns would probe every actor with every other user of the batch.
_SQLITE_BLOCKS = (
    "SELECT b.user_id, b.blocked_id FROM json_each(?1) AS p CROSS JOIN contact_blocks AS b "
    "ON b.user_id = p.value ->> 0 AND b.blocked_id = p.value ->> 1 "
    "UNION "
    "SELECT b.user_id, b.blocked_id FROM json_each(?1) AS p CROSS JOIN contact_blocks AS b "
    "ON b.user_id = p.value ->> 1 AND b.blocked_id = p.value ->> 0"
)
_SQLITE_FRIENDS = (
    "SELECT f.user_id, f.friend_id FROM json_each(?1) AS p CROSS JOIN friendships AS f "
    "ON f.user_id = p.value ->> 0 AND f.friend_id = p.value ->> 1"
)


def pair_problems_sqlite(
    cur: sqlite3.Cursor, pairs: Sequence[tuple[int, int]]
) -> dict[tuple[int, int], Exception]:
    """`pair_problems` on a plain `sqlite3` cursor inside the caller's transaction (SQLite
    only): the same answers, from the blocks and friendships of the pairs themselves."""
    wanted = sorted(set(pairs))
    if not wanted:
        return {}
    param = (json.dumps(wanted),)
    blocks = {(int(a), int(b)) for a, b in cur.execute(_SQLITE_BLOCKS, param)}
    friends = {(int(a), int(b)) for a, b in cur.execute(_SQLITE_FRIENDS, param)}
    return _problems(wanted, blocks, friends)


def _problems(
    wanted: list[tuple[int, int]], blocks: set[tuple[int, int]], friends: set[tuple[int, int]]
) -> dict[tuple[int, int], Exception]:
    out: dict[tuple[int, int], Exception] = {}
    for actor, other in wanted:
        if (actor, other) in blocks:
            out[(actor, other)] = Blocked("You blocked this user. Unblock them first.")
        elif (other, actor) in blocks:
            out[(actor, other)] = Blocked("This user does not accept your requests or messages.")
        elif (actor, other) not in friends:
            out[(actor, other)] = NotFriend()
    return out


class NotFriend(Exception):
    """Marks a pair that is not (or no longer) friends; the caller words the refusal."""


async def is_friend(s: AsyncSession, user_id: int, other: int) -> bool:
    return await s.get(Friendship, (user_id, other)) is not None


def default_settings(user_id: int, now: dt.datetime) -> ContactSettings:
    return ContactSettings(
        user_id=user_id,
        findable_by_handle=True,
        findable_by_phone=True,
        findable_by_email=True,
        findable_by_qr=True,
        require_approval=True,
        qr_version=1,
        updated_at=now,
    )


async def load_settings(s: AsyncSession, user_id: int, now: dt.datetime) -> ContactSettings:
    """The user's settings, or unsaved defaults when they never changed any."""
    row = await s.get(ContactSettings, user_id)
    return row if row is not None else default_settings(user_id, now)


async def lock_settings(
    uow: UnitOfWork, user_id: int, now: dt.datetime, *, is_sqlite: bool
) -> ContactSettings:
    """The user's settings row, created if missing and locked for this transaction."""
    insert = sqlite.insert if is_sqlite else postgresql.insert
    fields = {c: getattr(default_settings(user_id, now), c) for c in _SETTINGS_COLUMNS}
    await uow.session.execute(
        insert(ContactSettings).values(**fields).on_conflict_do_nothing(index_elements=["user_id"])
    )
    row = await uow.session.scalar(
        select(ContactSettings)
        .where(ContactSettings.user_id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return row


_SETTINGS_COLUMNS = (
    "user_id",
    "findable_by_handle",
    "findable_by_phone",
    "findable_by_email",
    "findable_by_qr",
    "require_approval",
    "qr_version",
    "updated_at",
)


def privacy_out(row: ContactSettings) -> PrivacyOut:
    return PrivacyOut(
        findable_by_handle=row.findable_by_handle,
        findable_by_phone=row.findable_by_phone,
        findable_by_email=row.findable_by_email,
        findable_by_qr=row.findable_by_qr,
        require_approval=row.require_approval,
    )


async def relationships(
    s: AsyncSession, viewer: int, others: Sequence[int]
) -> dict[int, Relationship]:
    """How `viewer` relates to each of `others` (friend, pending requests, blocked)."""
    ids = list(set(others))
    out = {uid: Relationship(is_self=uid == viewer, is_friend=False) for uid in ids}
    if not ids:
        return out
    friends = await s.execute(
        select(Friendship.friend_id, Friendship.remark, Friendship.tags).where(
            Friendship.user_id == viewer, Friendship.friend_id.in_(ids)
        )
    )
    for fid, remark, tags in friends:
        rel = out[fid]
        rel.is_friend, rel.remark, rel.tags = True, remark, list(tags or [])
    pending = await s.execute(
        select(FriendRequest.id, FriendRequest.from_user_id, FriendRequest.to_user_id).where(
            FriendRequest.status == "pending",
            or_(
                and_(FriendRequest.from_user_id == viewer, FriendRequest.to_user_id.in_(ids)),
                and_(FriendRequest.to_user_id == viewer, FriendRequest.from_user_id.in_(ids)),
            ),
        )
    )
    for rid, src, dst in pending:
        if src == viewer:
            out[dst].outgoing_request_id = rid
        else:
            out[src].incoming_request_id = rid
    blocked = await s.scalars(
        select(Block.blocked_id).where(Block.user_id == viewer, Block.blocked_id.in_(ids))
    )
    for bid in blocked:
        out[bid].blocked_by_me = True
    return out


async def blocked_either_way(s: AsyncSession, viewer: int, others: Sequence[int]) -> set[int]:
    """Which of `others` blocked `viewer` or were blocked by them."""
    ids = list(set(others))
    out: set[int] = set()
    for i in range(0, len(ids), 2000):
        chunk = ids[i : i + 2000]
        rows = await s.execute(
            select(Block.user_id, Block.blocked_id).where(
                or_(
                    and_(Block.blocked_id == viewer, Block.user_id.in_(chunk)),
                    and_(Block.user_id == viewer, Block.blocked_id.in_(chunk)),
                )
            )
        )
        out.update(b if a == viewer else a for a, b in rows)
    return out


async def friends_among(s: AsyncSession, viewer: int, others: Sequence[int]) -> set[int]:
    ids = list(set(others))
    out: set[int] = set()
    for i in range(0, len(ids), 2000):
        rows = await s.scalars(
            select(Friendship.friend_id).where(
                Friendship.user_id == viewer, Friendship.friend_id.in_(ids[i : i + 2000])
            )
        )
        out.update(rows)
    return out
