"""Chat: direct and group chats, messages stored once per chat, recall, media, read markers.

Messages reach each member's devices through the sync backbone as `chat.message` events whose
log entry is a pointer `{chat_id, seq}` (expanded when read) and whose live push carries the
whole message.
"""

from hutong.chat.groups import GroupService
from hutong.chat.media import ChatMediaService
from hutong.chat.schemas import MessageOut
from hutong.chat.service import ChatService
from hutong.chat.store import (
    ChatDeps,
    ChatPolicy,
    active_member_ids,
    append,
    expand_messages,
    get_chat,
    require_active,
)

__all__ = [
    "ChatDeps",
    "ChatMediaService",
    "ChatPolicy",
    "ChatService",
    "GroupService",
    "MessageOut",
    "active_member_ids",
    "append",
    "expand_messages",
    "get_chat",
    "require_active",
]
