"""The match directory: who owns which phone number and email, by digest.

Contact-book matching receives SHA-256 digests of E.164 numbers (clients hash before
uploading), so the server needs digest → user. Phones live in the accounts domain
(`users.phone`), which contacts may not query. Computing digests of every phone at match time
would read the whole user table per request, and filling a table lazily would miss anyone never
looked up. So contacts keeps its own `contact_directory` rows, written by a hook that accounts
runs *inside the same write transaction* that changes a user's phone or email
(`AccountService.on_contact_points_changed`, installed by `app.py`). The directory can therefore
never disagree with the accounts table: both commit or neither does. Accounts still knows
nothing of contacts; it only calls the hooks it was handed. Migration 0002 backfilled accounts
that existed before.

Privacy is applied when reading: an entry is returned only if its owner allows being found that
way (`contact_settings`, missing row = allowed).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

import phonenumbers
from sqlalchemy import LargeBinary, and_, any_, bindparam, delete, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from hutong.contacts.models import ContactSettings, DirectoryEntry
from hutong.core.db import UnitOfWork

HEX_DIGEST = re.compile(r"^[0-9a-fA-F]{64}$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
# Bound parameters per statement; well under SQLite's and asyncpg's limits.
CHUNK = 2000


def phone_digest(e164: str) -> bytes:
    return hashlib.sha256(e164.encode()).digest()


def email_key(email: str) -> str:
    return email.strip().lower()


def email_digest(email: str) -> bytes:
    return hashlib.sha256(email_key(email).encode()).digest()


def normalise_phone(value: str, region: str) -> str | None:
    """E.164 for a plausible phone number, else None. Numbers without + use `region`."""
    text = value.strip()
    if not text or len(text) > 40:
        return None
    try:
        number = phonenumbers.parse(text, None if text.startswith("+") else region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(value: str) -> str | None:
    text = value.strip()
    if len(text) > 254 or not EMAIL_RE.match(text):
        return None
    return text


class Directory:
    def __init__(self, *, is_sqlite: bool) -> None:
        self.is_sqlite = is_sqlite
        self._insert = sqlite.insert if is_sqlite else postgresql.insert

    async def on_contact_points_changed(
        self, uow: UnitOfWork, user_id: int, changes: dict[str, str | None]
    ) -> None:
        """Accounts hook: `changes` holds the new "phone" and/or "email" (None = removed)."""
        for kind in ("phone", "email"):
            if kind not in changes:
                continue
            value = changes[kind]
            if not value:
                await uow.session.execute(
                    delete(DirectoryEntry).where(
                        DirectoryEntry.user_id == user_id, DirectoryEntry.kind == kind
                    )
                )
                continue
            digest = phone_digest(value) if kind == "phone" else email_digest(value)
            stmt = self._insert(DirectoryEntry).values(user_id=user_id, kind=kind, digest=digest)
            await uow.session.execute(
                stmt.on_conflict_do_update(
                    index_elements=[DirectoryEntry.user_id, DirectoryEntry.kind],
                    set_={"digest": digest},
                )
            )

    async def lookup(
        self, session: AsyncSession, digests: Iterable[bytes]
    ) -> list[tuple[bytes, str, int]]:
        """(digest, kind, user_id) for every digest whose owner may be found that way."""
        wanted = list(dict.fromkeys(digests))
        findable = or_(
            and_(
                DirectoryEntry.kind == "phone",
                func.coalesce(ContactSettings.findable_by_phone, True),
            ),
            and_(
                DirectoryEntry.kind == "email",
                func.coalesce(ContactSettings.findable_by_email, True),
            ),
        )
        query = select(
            DirectoryEntry.digest, DirectoryEntry.kind, DirectoryEntry.user_id
        ).outerjoin(ContactSettings, ContactSettings.user_id == DirectoryEntry.user_id)
        out: list[tuple[bytes, str, int]] = []
        if not self.is_sqlite:
            # One statement with one array parameter instead of thousands of bound values.
            param = bindparam("digests", wanted, type_=ARRAY(LargeBinary))
            rows = await session.execute(
                query.where(DirectoryEntry.digest == any_(param), findable)
            )
            return [(bytes(r[0]), r[1], r[2]) for r in rows]
        for i in range(0, len(wanted), CHUNK):
            rows = await session.execute(
                query.where(DirectoryEntry.digest.in_(wanted[i : i + CHUNK]), findable)
            )
            out.extend((bytes(r[0]), r[1], r[2]) for r in rows)
        return out
