"""Chat tables. A message is stored once, in its chat, under a per-chat sequence; each member's
sync log gets only a pointer `{chat_id, seq}` (see realtime's expanders)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from hutong.core.db import Base, BigId


class Chat(Base):
    __tablename__ = "chats"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # "direct" | "group"
    # "<low id>:<high id>" for direct chats, so a pair has exactly one chat.
    direct_key: Mapped[str | None] = mapped_column(String(48), unique=True)
    name: Mapped[str] = mapped_column(String(60), default="")
    avatar_id: Mapped[str | None] = mapped_column(String(64))
    announcement: Mapped[str] = mapped_column(String(2000), default="")
    owner_id: Mapped[int | None] = mapped_column(BigId)
    mute_all: Mapped[bool] = mapped_column(Boolean, default=False)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    member_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class Member(Base):
    """A user's place in a chat, and their own view of it (read marker, mute, pin, hide)."""

    __tablename__ = "chat_members"
    __table_args__ = (Index("ix_chat_members_user", "user_id", "status"),)

    chat_id: Mapped[int] = mapped_column(
        ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    role: Mapped[str] = mapped_column(String(8), default="member")  # owner | admin | member
    status: Mapped[str] = mapped_column(String(8))  # active | invited | left | removed
    invited_by: Mapped[int | None] = mapped_column(BigId)
    # Members see messages after the one current when they joined.
    joined_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    read_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    # "Delete chat" on one's own device list: hides everything up to here.
    cleared_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    # Set when the member leaves or is removed: they keep history up to here.
    left_seq: Mapped[int | None] = mapped_column(BigInteger)
    muted: Mapped[bool] = mapped_column(Boolean, default=False)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    joined_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class Message(Base):
    __tablename__ = "chat_messages"
    __table_args__ = (
        # A retried send (same client id) finds the first one instead of doubling.
        UniqueConstraint("sender_id", "client_id", name="uq_chat_messages_sender_client"),
    )

    chat_id: Mapped[int] = mapped_column(
        ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    sender_id: Mapped[int | None] = mapped_column(BigId)  # None for system notices
    client_id: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    body: Mapped[dict[str, Any]]
    # Lower-cased text of text messages, for search; emptied on recall.
    search_text: Mapped[str] = mapped_column(String(5000), default="")
    mentions: Mapped[list[int]] = mapped_column(JSON, default=list)
    mention_all: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime]
    recalled_at: Mapped[dt.datetime | None]
    recalled_by: Mapped[int | None] = mapped_column(BigId)


class ChatMedia(Base):
    """A file uploaded into a chat. Only members of that chat may fetch it."""

    __tablename__ = "chat_media"

    chat_id: Mapped[int] = mapped_column(
        ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True
    )
    media_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(200), default="")
    thumb_id: Mapped[str | None] = mapped_column(String(64))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    uploader_id: Mapped[int] = mapped_column(BigId)
    created_at: Mapped[dt.datetime]
