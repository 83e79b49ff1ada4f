"""Bringing friends from another messenger: import an address book, get suggestions and
personal invite links.

1. The file is read completely (`contactfile.py`); a malformed one is refused, naming the
   line, before anything is counted or stored.
2. The import draws on the daily matching quota (each phone and email counts), then every
   phone and email is looked up in the match directory, honouring each user's privacy.
3. In one transaction: people on Hutong become friend suggestions, everyone else gets a
   personal invite link (one per person per inviter, reused on re-import). All or nothing.

An invite link is `/qr/<token>` with token kind "inv"; opening it signed out offers sign-up,
and `POST /contacts/invites/redeem` by the new (or any other) user makes inviter and invitee
friends. Each link works once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import anyio
from sqlalchemy import select, update

from hutong.contacts import relations
from hutong.contacts.contactfile import ImportedContact, parse_contacts
from hutong.contacts.directory import email_digest, phone_digest
from hutong.contacts.errors import SelfRequest
from hutong.contacts.events import emit_each
from hutong.contacts.models import FriendRequest, Friendship, Invite, Suggestion
from hutong.contacts.schemas import FriendOut, ImportOut, InviteOut, SuggestionOut
from hutong.core.auth import Principal
from hutong.core.errors import Expired, NotFound
from hutong.core.signing import SignedToken, Signer

if TYPE_CHECKING:
    from hutong.contacts.service import ContactsService


def _key(contact: ImportedContact) -> str:
    if contact.phones:
        return "p:" + contact.phones[0]
    if contact.emails:
        return "e:" + contact.emails[0].lower()
    return "n:" + contact.name.casefold()[:200]


class Importer:
    def __init__(self, contacts: ContactsService, signer: Signer) -> None:
        self.c = contacts
        self.db = contacts.db
        self.clock = contacts.clock
        self.signer = signer

    def _invite_out(self, row: Invite, base_url: str) -> InviteOut:
        token = self.signer.sign("inv", str(row.id))
        return InviteOut(
            id=row.id,
            contact_name=row.contact_name,
            phone=row.phone,
            email=row.email,
            token=token,
            url=f"{base_url}/qr/{token}",
            redeemed=row.redeemed_by is not None,
            created_at=row.created_at,
        )

    async def import_file(
        self, user_id: int, filename: str, data: bytes, base_url: str
    ) -> ImportOut:
        policy = self.c.policy
        contacts = await anyio.to_thread.run_sync(
            lambda: parse_contacts(
                filename,
                data,
                region=policy.default_region,
                max_bytes=policy.import_max_bytes,
                max_contacts=policy.match_max_numbers,
            )
        )
        digests: dict[bytes, int] = {}
        for i, contact in enumerate(contacts):
            for phone in contact.phones:
                digests.setdefault(phone_digest(phone), i)
            for email in contact.emails:
                digests.setdefault(email_digest(email), i)
        await self.c.matching.consume_quota(user_id, max(1, len(digests)))
        found = await self.c.matching.find(user_id, list(digests), ("phone", "email"))
        matched: dict[int, tuple[int, str]] = {}  # contact index -> (user id, name in the book)
        for digest, hit in found.items():
            i = digests[digest]
            if i not in matched and not hit.is_friend:
                matched[i] = (hit.user.id, contacts[i].name)
        on_hutong = {i for i in range(len(contacts)) for d in _digests(contacts[i]) if d in found}
        strangers = [c for i, c in enumerate(contacts) if i not in on_hutong]
        now = self.clock.now()
        async with self.db.write() as uow:
            s = uow.session
            suggestions = dict(matched.values())
            if suggestions:
                await s.execute(
                    self.c.insert(Suggestion)
                    .values(
                        [
                            {
                                "user_id": user_id,
                                "suggested_id": uid,
                                "source": "import",
                                "contact_name": name,
                                "created_at": now,
                                "dismissed": False,
                            }
                            for uid, name in suggestions.items()
                        ]
                    )
                    .on_conflict_do_nothing()
                )
            invites: dict[str, ImportedContact] = {}
            for contact in strangers:
                invites.setdefault(_key(contact), contact)
            keys = list(invites)
            for i in range(0, len(keys), 500):
                await s.execute(
                    self.c.insert(Invite)
                    .values([_invite_row(user_id, k, invites[k], now) for k in keys[i : i + 500]])
                    .on_conflict_do_nothing()
                )
            invite_rows: list[Invite] = []
            for i in range(0, len(keys), 500):
                invite_rows += await s.scalars(
                    select(Invite).where(
                        Invite.inviter_id == user_id, Invite.contact_key.in_(keys[i : i + 500])
                    )
                )
        profiles = {hit.user.id: hit.user for hit in found.values()}
        return ImportOut(
            contacts=len(contacts),
            suggestions=[
                SuggestionOut(
                    user=profiles[uid], contact_name=name, source="import", created_at=now
                )
                for uid, name in suggestions.items()
            ],
            invites=[
                self._invite_out(r, base_url) for r in sorted(invite_rows, key=lambda r: r.id)
            ],
        )

    # -- suggestions ---------------------------------------------------------------------

    async def suggestions(self, user_id: int) -> list[SuggestionOut]:
        """Imported people on Hutong who are not yet friends, not dismissed, not blocked."""
        async with self.db.read() as s:
            rows = list(
                await s.scalars(
                    select(Suggestion)
                    .where(Suggestion.user_id == user_id, Suggestion.dismissed.is_(False))
                    .order_by(Suggestion.created_at.desc())
                )
            )
            ids = [r.suggested_id for r in rows]
            skip = await relations.friends_among(s, user_id, ids)
            skip |= await relations.blocked_either_way(s, user_id, ids)
        rows = [r for r in rows if r.suggested_id not in skip]
        profiles = await self.c.accounts.public_profiles([r.suggested_id for r in rows])
        return [
            SuggestionOut(
                user=profiles[r.suggested_id],
                contact_name=r.contact_name,
                source=r.source,
                created_at=r.created_at,
            )
            for r in rows
            if r.suggested_id in profiles
        ]

    async def dismiss(self, user_id: int, suggested_id: int) -> None:
        async with self.db.write() as uow:
            result = await uow.session.execute(
                update(Suggestion)
                .where(Suggestion.user_id == user_id, Suggestion.suggested_id == suggested_id)
                .values(dismissed=True)
            )
            if not result.rowcount:  # type: ignore[attr-defined]
                raise NotFound("No such suggestion.")

    # -- invites ---------------------------------------------------------------------------

    async def invites(self, user_id: int, base_url: str) -> list[InviteOut]:
        async with self.db.read() as s:
            rows = await s.scalars(
                select(Invite).where(Invite.inviter_id == user_id).order_by(Invite.id)
            )
            return [self._invite_out(r, base_url) for r in rows]

    async def _load(self, signed: SignedToken) -> Invite:
        try:
            invite_id = int(signed.ident)
        except ValueError:
            raise NotFound("This is not a valid invite link.") from None
        async with self.db.read() as s:
            row = await s.get(Invite, invite_id)
        if row is None or signed.kind != "inv":
            raise NotFound("This is not a valid invite link.")
        return row

    async def resolve(self, signed: SignedToken, principal: Principal | None) -> dict[str, Any]:
        """An opened invite link: who invites, and `action` "sign_up" (signed out), "accept",
        "friend" (already friends) or "self"."""
        row = await self._load(signed)
        viewer = principal.user_id if principal else None
        if row.redeemed_by is not None and row.redeemed_by != viewer:
            raise Expired("This invite link was already used.")
        if viewer is None:
            inviter, action = await self.c.profile_of(row.inviter_id), "sign_up"
        else:
            person = await self.c.view_id(viewer, row.inviter_id)  # 404 if they blocked me
            rel, inviter = person.relationship, person.user
            action = "self" if rel.is_self else "friend" if rel.is_friend else "accept"
        return {"inviter": inviter.model_dump(mode="json"), "action": action}

    async def redeem(self, user_id: int, token: str) -> FriendOut:
        """Use an invite link: its inviter and `user_id` become friends at once."""
        signed = self.signer.unsign(token, self.clock.now())
        row = await self._load(signed)
        inviter = row.inviter_id
        if inviter == user_id:
            raise SelfRequest("This is your own invite link; send it to the person you invite.")
        now = self.clock.now()
        async with self.db.write() as uow:
            s = uow.session
            await relations.check_can_interact(s, user_id, inviter)
            result = await s.execute(
                update(Invite)
                .where(Invite.id == row.id, Invite.redeemed_by.is_(None))
                .values(redeemed_by=user_id, redeemed_at=now)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                if row.redeemed_by == user_id:
                    return await self.c.friend(user_id, inviter)
                raise Expired("This invite link was already used.")
            already = await relations.is_friend(s, user_id, inviter)
            await self.c.make_friends(uow, inviter, user_id)
            await s.execute(
                update(FriendRequest)
                .where(
                    FriendRequest.pair_low == min(user_id, inviter),
                    FriendRequest.pair_high == max(user_id, inviter),
                    FriendRequest.status == "pending",
                )
                .values(status="accepted", decided_at=now)
            )
            if not already:
                await emit_each(
                    self.c.sync,
                    uow,
                    {
                        inviter: ("contacts.friend_added", {"user_id": user_id, "via": "invite"}),
                        user_id: ("contacts.friend_added", {"user_id": inviter, "via": "invite"}),
                    },
                )
            friendship = await s.get(Friendship, (user_id, inviter))
            assert friendship is not None
        return self.c.friend_out(friendship, await self.c.profile_of(inviter))


def _digests(contact: ImportedContact) -> list[bytes]:
    return [phone_digest(p) for p in contact.phones] + [email_digest(e) for e in contact.emails]


def _invite_row(user_id: int, key: str, contact: ImportedContact, now: object) -> dict[str, Any]:
    return {
        "inviter_id": user_id,
        "contact_key": key,
        "contact_name": contact.name or (contact.phones or contact.emails or [""])[0],
        "phone": contact.phones[0] if contact.phones else None,
        "email": contact.emails[0] if contact.emails else None,
        "created_at": now,
        "redeemed_by": None,
        "redeemed_at": None,
    }
