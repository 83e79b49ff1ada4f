"""Chat messages as moderation sees them (`core.content.ContentSource`, kind "message").

A ref is `"<chat_id>:<seq>"`. Only someone who can read the message in the chat can report it
(what `ChatService.history` would show them), and the case keeps their copy: the message as
stored, with its chat and time. A moderator's "remove" takes it back as a recall does — the
content is deleted from the server and every member's devices are told — and the chat gets a
notice that moderation removed a message. Messages are never held for review: a review verdict
refuses the send, so there is nothing to release.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from hutong.chat.models import Chat, Member, Message
from hutong.chat.store import append, message_out
from hutong.core.content import ContentItem

if TYPE_CHECKING:
    from hutong.chat.service import ChatService

_REF = re.compile(r"([1-9][0-9]{0,17}):([1-9][0-9]{0,17})")
REMOVED_NOTICE = "A message was removed for breaking the rules."


def message_ref(chat_id: int, seq: int) -> str:
    """The ref of a message, as the client sends it with a report."""
    return f"{chat_id}:{seq}"


def _key(ref: str) -> tuple[int, int] | None:
    """`(chat_id, seq)` of a canonical ref (no signs, no leading zeros), else None."""
    found = _REF.fullmatch(ref)
    return (int(found[1]), int(found[2])) if found else None


def _can_read(member: Member, seq: int) -> bool:
    # The same rule as the chat's history: members past and present see what was sent while
    # they were in, after their own "clear".
    if member.status not in {"active", "left", "removed"}:
        return False
    if seq <= max(member.joined_seq, member.cleared_seq):
        return False
    return member.left_seq is None or seq <= member.left_seq


class MessageSource:
    def __init__(self, chats: ChatService) -> None:
        self.chats = chats
        self.deps = chats.deps

    async def resolve(self, viewer_id: int, ref: str) -> ContentItem | None:
        key = _key(ref)
        if key is None:
            return None
        chat_id, seq = key
        async with self.deps.db.read() as s:
            member = await s.get(Member, (chat_id, viewer_id))
            if member is None or not _can_read(member, seq):
                return None
            msg = await s.get(Message, (chat_id, seq))
            if (
                msg is None
                or msg.recalled_at is not None
                or msg.sender_id is None
                or msg.kind == "system"
            ):
                return None
            chat = await s.get(Chat, chat_id)
            assert chat is not None  # a message belongs to its chat
            out = message_out(msg)
        body: dict[str, Any] = dict(out.body)
        return ContentItem(
            author_id=msg.sender_id,
            text=str(body.get("text") or f"[{out.kind}]"),
            context={
                "chat_id": chat_id,
                "seq": seq,
                "chat_kind": chat.kind,
                "chat_name": chat.name if chat.kind == "group" else "",
                "message_kind": out.kind,
                "body": body,
                "sent_at": out.created_at.isoformat(),
            },
        )

    async def remove(self, ref: str, reason: str) -> None:
        """Recall the message for everyone, as moderation; idempotent."""
        key = _key(ref)
        if key is None:
            return
        chat_id, seq = key
        async with self.deps.db.write() as uow:
            s = uow.session
            msg = await s.get(Message, (chat_id, seq), with_for_update=True)
            if msg is None or msg.recalled_at is not None:
                return
            # Nobody in the chat did it, so `recalled_by` stays empty and the notice says who.
            await self.chats.take_back(uow, msg, None, moderated=True)
            await append(
                self.deps,
                uow,
                chat_id,
                sender_id=None,
                kind="system",
                body={
                    "event": "moderation_removed",
                    "actor": None,
                    "users": [msg.sender_id] if msg.sender_id else [],
                    "text": REMOVED_NOTICE,
                    "seq": seq,
                },
            )

    async def release(self, ref: str) -> None:
        """Messages are never held for review."""
