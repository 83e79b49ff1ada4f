"""Contacts tables: privacy settings, friend requests, friendships, blocks, the phone/email
directory used for contact-book matching, imported suggestions, invites and group QR codes.

User ids are plain id columns (no foreign keys into accounts' tables), as everywhere a domain
refers to another domain's rows.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Index, Integer, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from hutong.core.db import Base, BigId


class ContactSettings(Base):
    """A user's privacy choices. No row means every default (findable every way, approval on)."""

    __tablename__ = "contact_settings"

    user_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    findable_by_handle: Mapped[bool] = mapped_column(Boolean, default=True)
    findable_by_phone: Mapped[bool] = mapped_column(Boolean, default=True)
    findable_by_email: Mapped[bool] = mapped_column(Boolean, default=True)
    findable_by_qr: Mapped[bool] = mapped_column(Boolean, default=True)
    require_approval: Mapped[bool] = mapped_column(Boolean, default=True)
    # Part of the personal QR token; bumping it kills every code issued before.
    qr_version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime]


class FriendRequest(Base):
    """One request from one user to another, and what became of it.

    `pair_low`/`pair_high` are the two ids in ascending order; a partial unique index on them
    allows at most one *pending* request per pair of people, whichever way it points, so two
    people requesting each other at the same moment cannot both leave a pending request.
    """

    __tablename__ = "friend_requests"
    __table_args__ = (
        Index(
            "uq_friend_requests_pending_pair",
            "pair_low",
            "pair_high",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_friend_requests_to_created", "to_user_id", "created_at"),
        Index("ix_friend_requests_from_created", "from_user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    from_user_id: Mapped[int] = mapped_column(BigId)
    to_user_id: Mapped[int] = mapped_column(BigId)
    pair_low: Mapped[int] = mapped_column(BigId)
    pair_high: Mapped[int] = mapped_column(BigId)
    greeting: Mapped[str] = mapped_column(String(100), default="")
    source: Mapped[str] = mapped_column(String(16))
    # What the sender wants to call the new friend, applied on acceptance.
    remark: Mapped[str] = mapped_column(String(40), default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(12))  # pending accepted declined withdrawn
    created_at: Mapped[dt.datetime]
    decided_at: Mapped[dt.datetime | None]


class Friendship(Base):
    """One direction of a mutual friendship; each side keeps its own remark and tags."""

    __tablename__ = "friendships"

    user_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    friend_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    remark: Mapped[str] = mapped_column(String(40), default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime]


class Block(Base):
    """`user_id` blocked `blocked_id`."""

    __tablename__ = "contact_blocks"
    __table_args__ = (Index("ix_contact_blocks_blocked", "blocked_id"),)

    user_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    blocked_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    created_at: Mapped[dt.datetime]


class DirectoryEntry(Base):
    """SHA-256 of a user's E.164 phone number or lower-cased email, for contact matching.

    Kept in step with the account by a hook that runs inside the account's own write
    transaction (see `contacts.directory`).
    """

    __tablename__ = "contact_directory"
    __table_args__ = (Index("ix_contact_directory_digest", "digest"),)

    user_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # phone | email
    digest: Mapped[bytes] = mapped_column(LargeBinary(32))


class MatchQuota(Base):
    """How much contact matching a user did on one (UTC) day; caps enumeration."""

    __tablename__ = "contact_match_quota"

    user_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD
    uploads: Mapped[int] = mapped_column(Integer, default=0)
    numbers: Mapped[int] = mapped_column(Integer, default=0)


class Suggestion(Base):
    """Someone from an imported address book who is on Hutong."""

    __tablename__ = "contact_suggestions"

    user_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    suggested_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(16))
    contact_name: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[dt.datetime]
    dismissed: Mapped[bool] = mapped_column(Boolean, default=False)


class Invite(Base):
    """A personal invite link for one imported contact who is not on Hutong yet. Single use."""

    __tablename__ = "contact_invites"
    __table_args__ = (Index("uq_contact_invites_key", "inviter_id", "contact_key", unique=True),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    inviter_id: Mapped[int] = mapped_column(BigId)
    # "p:<E.164>", "e:<email>" or "n:<name>": one invite per person per inviter.
    contact_key: Mapped[str] = mapped_column(String(260))
    contact_name: Mapped[str] = mapped_column(String(80), default="")
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[dt.datetime]
    redeemed_by: Mapped[int | None] = mapped_column(BigId)
    redeemed_at: Mapped[dt.datetime | None]


class GroupQrCode(Base):
    """A group chat's join code. Valid for 7 days unless revoked; the chat domain joins."""

    __tablename__ = "group_qr_codes"
    __table_args__ = (Index("ix_group_qr_codes_group", "group_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    group_id: Mapped[int] = mapped_column(BigId)
    issued_by: Mapped[int] = mapped_column(BigId)
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
