"""What every chat operation shares: its collaborators, membership checks, and appending a
message to a chat (the one place a chat sequence number is handed out)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hutong.accounts import AccountService
from hutong.chat.models import Chat, Member, Message
from hutong.chat.schemas import MessageOut
from hutong.contacts import ContactsService
from hutong.core.clock import Clock
from hutong.core.content import ContentKind, ContentPolicy
from hutong.core.db import Database, UnitOfWork
from hutong.core.errors import Forbidden, NotFound
from hutong.core.media import MediaStore
from hutong.realtime import SyncLog

MESSAGE_EVENT = "chat.message"


@dataclass(frozen=True)
class ChatPolicy:
    max_group: int = 500
    approval_over: int = 40
    text_max: int = 5000
    voice_max_s: float = 60
    image_max_bytes: int = 20 * 1024 * 1024
    file_max_bytes: int = 100 * 1024 * 1024
    recall_s: int = 120
    file_recall_s: int = 3 * 3600
    history_page: int = 50


@dataclass
class ChatDeps:
    db: Database
    clock: Clock
    sync: SyncLog
    contacts: ContactsService
    accounts: AccountService
    media: MediaStore
    policy: ChatPolicy
    # Required: every message text, group name and announcement goes through moderation.
    content: ContentPolicy


class NotAMember(Forbidden):
    code = "not-a-member"
    title = "You are not in this chat"


class NotFriends(Forbidden):
    code = "not-friends"
    title = "You are not friends"


async def moderated(deps: ChatDeps, kind: ContentKind, text: str, author: int, field: str) -> str:
    """The text to store after moderation: masked words become `*`; blocked words, and words
    that would need review (a chat cannot wait for a moderator), refuse the request."""
    verdict = await deps.content.check(kind, text, author_id=author)
    return verdict.publishable(field)


def message_out(m: Message) -> MessageOut:
    return MessageOut(
        chat_id=m.chat_id,
        seq=m.seq,
        sender_id=m.sender_id,
        client_id=m.client_id,
        kind=m.kind,
        body=m.body if m.recalled_at is None else {},
        mentions=list(m.mentions or []),
        mention_all=m.mention_all,
        created_at=m.created_at,
        recalled=m.recalled_at is not None,
        recalled_by=m.recalled_by,
    )


async def get_chat(s: AsyncSession, chat_id: int, *, lock: bool = False) -> Chat:
    stmt = select(Chat).where(Chat.id == chat_id)
    if lock:
        stmt = stmt.with_for_update()
    chat = await s.scalar(stmt)
    if chat is None:
        raise NotFound("No such chat.")
    return chat


async def get_member(s: AsyncSession, chat_id: int, user_id: int) -> Member | None:
    return await s.get(Member, (chat_id, user_id))


async def require_active(s: AsyncSession, chat_id: int, user_id: int) -> Member:
    """The caller's membership, or 404 (a stranger learns nothing about the chat)."""
    member = await get_member(s, chat_id, user_id)
    if member is None or member.status != "active":
        if member is not None and member.status in {"left", "removed"}:
            raise NotAMember("You are no longer in this chat.")
        raise NotFound("No such chat.")
    return member


async def active_member_ids(s: AsyncSession, chat_id: int) -> list[int]:
    rows = await s.scalars(
        select(Member.user_id).where(Member.chat_id == chat_id, Member.status == "active")
    )
    return list(rows.all())


async def append(
    deps: ChatDeps,
    uow: UnitOfWork,
    chat_id: int,
    *,
    sender_id: int | None,
    kind: str,
    body: dict[str, Any],
    client_id: str | None = None,
    mentions: list[int] | None = None,
    mention_all: bool = False,
    now: dt.datetime | None = None,
) -> MessageOut:
    """Store a message once under the chat's next sequence; point every member's log at it.

    The chat row's sequence is advanced with a single guarded UPDATE … RETURNING, which holds
    that row until commit (PostgreSQL) or runs in an exclusive transaction (SQLite): messages of
    one chat commit in sequence order.
    """
    s = uow.session
    now = now or deps.clock.now()
    seq = (
        await s.execute(
            update(Chat)
            .where(Chat.id == chat_id)
            .values(last_seq=Chat.last_seq + 1, updated_at=now)
            .returning(Chat.last_seq)
        )
    ).scalar_one()
    text = str(body.get("text", "")) if kind == "text" else ""
    msg = Message(
        chat_id=chat_id,
        seq=seq,
        sender_id=sender_id,
        client_id=client_id,
        kind=kind,
        body=body,
        search_text=text.casefold(),
        mentions=mentions or [],
        mention_all=mention_all,
        created_at=now,
    )
    s.add(msg)
    await s.flush()
    # A new message brings a hidden chat back into everyone's list, as WeChat does.
    await s.execute(
        update(Member)
        .where(Member.chat_id == chat_id, Member.hidden.is_(True), Member.status == "active")
        .values(hidden=False)
    )
    out = message_out(msg)
    members = await active_member_ids(s, chat_id)
    await deps.sync.emit(
        uow,
        members,
        MESSAGE_EVENT,
        {"chat_id": chat_id, "seq": seq},
        live=out.model_dump(mode="json"),
    )
    return out


async def expand_messages(
    deps: ChatDeps, _user_id: int, payloads: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Turn stored `{chat_id, seq}` pointers back into messages, as they are now."""
    keys = {(int(p["chat_id"]), int(p["seq"])) for p in payloads}
    found: dict[tuple[int, int], dict[str, Any]] = {}
    by_chat: dict[int, list[int]] = {}
    for chat_id, seq in keys:
        by_chat.setdefault(chat_id, []).append(seq)
    async with deps.db.read() as s:
        for chat_id, seqs in by_chat.items():
            rows = await s.scalars(
                select(Message).where(Message.chat_id == chat_id, Message.seq.in_(seqs))
            )
            for m in rows:
                found[(m.chat_id, m.seq)] = message_out(m).model_dump(mode="json")
    return [found.get((int(p["chat_id"]), int(p["seq"])), {**p, "missing": True}) for p in payloads]
