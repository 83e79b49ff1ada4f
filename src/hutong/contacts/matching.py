"""Contact-book matching: which of these phone numbers belong to people on Hutong?

The client uploads up to 10,000 entries per request, each the SHA-256 hex digest of an E.164
number (what the apps send) or a raw number (normalised here with phonenumbers; an entry that is
neither is refused with a 422 naming it, and nothing is counted). The answer lists the users who
allow being found by phone, minus anyone blocked either way, as friend suggestions.

Enumeration. A SHA-256 of a phone number is not a secret (the number space is small enough to
hash exhaustively), so the protection is the quota: per user and UTC day, at most
`match_daily_uploads` uploads and `match_daily_numbers` numbers in total, counted in the
database with one guarded update (correct under concurrency on both databases, and shared by
every worker). Importing a contacts file draws on the same quota.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import delete, update

from hutong.accounts import PublicUser
from hutong.contacts import relations
from hutong.contacts.directory import HEX_DIGEST, normalise_phone, phone_digest
from hutong.contacts.errors import NotAPhoneNumber
from hutong.contacts.models import MatchQuota
from hutong.contacts.schemas import MatchOut
from hutong.core.errors import InvalidInput, TooManyRequests

if TYPE_CHECKING:
    from hutong.contacts.service import ContactsService

MAX_LISTED_ERRORS = 20


@dataclass(frozen=True)
class Found:
    digest: bytes
    kind: str
    user: PublicUser
    is_friend: bool


def parse_entries(entries: Sequence[str], region: str) -> list[bytes]:
    """Digests of the uploaded entries, in order. Raises one 422 naming every bad entry."""
    digests: list[bytes] = []
    errors: dict[str, str] = {}
    first_bad: tuple[int, str] | None = None
    for i, entry in enumerate(entries):
        text = entry.strip()
        if HEX_DIGEST.match(text):
            digests.append(bytes.fromhex(text))
            continue
        e164 = normalise_phone(text, region)
        if e164 is None:
            first_bad = first_bad or (i, entry)
            if len(errors) < MAX_LISTED_ERRORS:
                errors[f"numbers.{i}"] = f"{entry[:40]!r} is not a phone number"
            continue
        digests.append(phone_digest(e164))
    if first_bad is not None:
        i, entry = first_bad
        raise NotAPhoneNumber(
            f"Entry {i} ({entry[:40]!r}) is not a phone number or a SHA-256 digest of one.",
            fields=errors,
            extra={"entry": i},
        )
    return digests


class Matching:
    def __init__(self, contacts: ContactsService) -> None:
        self.c = contacts
        self.db = contacts.db
        self.clock = contacts.clock
        self.policy = contacts.policy

    def _seconds_to_midnight(self, now: dt.datetime) -> int:
        tomorrow = (now + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        return max(1, int((tomorrow - now).total_seconds()))

    async def consume_quota(self, user_id: int, numbers: int) -> int:
        """Count one upload of `numbers` entries against today's quota; numbers left today.

        Raises 429 (with Retry-After until UTC midnight) and counts nothing when over."""
        now = self.clock.now()
        day = now.date().isoformat()
        async with self.db.write() as uow:
            s = uow.session
            await s.execute(
                delete(MatchQuota).where(MatchQuota.user_id == user_id, MatchQuota.day != day)
            )
            await s.execute(
                self.c.insert(MatchQuota)
                .values(user_id=user_id, day=day, uploads=0, numbers=0)
                .on_conflict_do_nothing()
            )
            used = await s.scalar(
                update(MatchQuota)
                .where(
                    MatchQuota.user_id == user_id,
                    MatchQuota.day == day,
                    MatchQuota.uploads + 1 <= self.policy.match_daily_uploads,
                    MatchQuota.numbers + numbers <= self.policy.match_daily_numbers,
                )
                .values(uploads=MatchQuota.uploads + 1, numbers=MatchQuota.numbers + numbers)
                .returning(MatchQuota.numbers)
            )
        if used is None:
            retry = self._seconds_to_midnight(now)
            raise TooManyRequests(
                "You have matched as many contacts as allowed today; try again tomorrow.",
                retry_after=retry,
            )
        return self.policy.match_daily_numbers - int(used)

    async def find(
        self, viewer: int, digests: Sequence[bytes], kinds: tuple[str, ...]
    ) -> dict[bytes, Found]:
        """Users behind `digests` who allow being found that way, not blocked either way."""
        async with self.db.read() as s:
            hits = [
                (d, k, uid)
                for d, k, uid in await self.c.directory.lookup(s, digests)
                if k in kinds and uid != viewer
            ]
            ids = [uid for _, _, uid in hits]
            hidden = await relations.blocked_either_way(s, viewer, ids)
            friends = await relations.friends_among(s, viewer, ids)
        hits = [h for h in hits if h[2] not in hidden]
        profiles = await self.c.accounts.public_profiles([uid for _, _, uid in hits])
        return {
            d: Found(d, k, profiles[uid], uid in friends) for d, k, uid in hits if uid in profiles
        }

    async def match(self, user_id: int, entries: Sequence[str], region: str | None) -> MatchOut:
        """Which uploaded numbers are Hutong users (friend suggestions)."""
        if len(entries) > self.policy.match_max_numbers:
            raise InvalidInput(
                f"Send at most {self.policy.match_max_numbers} numbers per request.",
                fields={"numbers": "too many"},
            )
        digests = parse_entries(entries, region or self.policy.default_region)
        left = await self.consume_quota(user_id, len(digests))
        found = await self.find(user_id, digests, ("phone",))
        matches: list[MatchOut.Match] = []
        seen: set[bytes] = set()
        for entry, digest in zip(entries, digests, strict=True):
            hit = found.get(digest)
            if hit is not None and digest not in seen:
                seen.add(digest)
                # Built from validated parts; skipping re-validation matters at 10,000 entries.
                matches.append(
                    MatchOut.Match.model_construct(
                        entry=entry, user=hit.user, is_friend=hit.is_friend
                    )
                )
        return MatchOut(matches=matches, checked=len(digests), numbers_left_today=left)
