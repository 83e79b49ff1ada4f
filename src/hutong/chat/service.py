"""Direct chats, sending, recall, read markers, per-user chat settings, history, search.

`check_*` functions validate and authorise without writing; the rest change state inside one
write transaction and publish through the sync log after commit.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import and_, func, or_, select, text, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hutong.chat.links import LinkPreviewer, PreviewTasks, first_url
from hutong.chat.models import Chat, ChatMedia, Member, Message
from hutong.chat.schemas import (
    MEDIA_KINDS,
    ChatOut,
    ChatSettingsIn,
    MessageOut,
    SearchHit,
    SendIn,
)
from hutong.chat.store import (
    ChatDeps,
    NotFriends,
    active_member_ids,
    get_chat,
    message_out,
    moderated,
    require_active,
)
from hutong.chat.writer import MessageWriter, Pending
from hutong.core.auth import Principal
from hutong.core.content import ContentKind
from hutong.core.db import UnitOfWork
from hutong.core.errors import Conflict, Expired, Forbidden, InvalidInput, NotFound
from hutong.realtime import Presence


def direct_key(a: int, b: int) -> str:
    lo, hi = sorted((a, b))
    return f"{lo}:{hi}"


class ChatService:
    def __init__(
        self,
        deps: ChatDeps,
        previewer: LinkPreviewer | None = None,
        presence: Presence | None = None,
    ) -> None:
        self.deps = deps
        self.presence = presence or Presence(None)
        self.db = deps.db
        self.clock = deps.clock
        self.policy = deps.policy
        self.previewer = previewer
        self.background = PreviewTasks()
        self.writer = MessageWriter(deps)
        self._kinds: dict[int, str] = {}

    # -- direct chats --------------------------------------------------------------------

    async def open_direct(self, me: int, other: int) -> ChatOut:
        """The one chat between two friends, created on first use."""
        if me == other:
            raise InvalidInput("You cannot chat with yourself.", fields={"user_id": "yourself"})
        if not await self.deps.accounts.public_profiles([other]):
            raise NotFound("No such user.")
        await self.deps.contacts.check_can_interact(me, other)
        if not await self.deps.contacts.are_friends(me, other):
            raise NotFriends("Add this person as a friend to chat.")
        key = direct_key(me, other)
        async with self.db.read() as s:
            chat_id = await s.scalar(select(Chat.id).where(Chat.direct_key == key))
        if chat_id is None:
            now = self.clock.now()
            try:
                async with self.db.write() as uow:
                    chat = Chat(
                        kind="direct",
                        direct_key=key,
                        member_count=2,
                        created_at=now,
                        updated_at=now,
                    )
                    uow.session.add(chat)
                    await uow.session.flush()
                    for uid in (me, other):
                        uow.session.add(
                            Member(
                                chat_id=chat.id,
                                user_id=uid,
                                status="active",
                                joined_at=now,
                                updated_at=now,
                            )
                        )
                    chat_id = chat.id
            except IntegrityError:
                # Both friends opened the chat at once; the other request created it.
                async with self.db.read() as s:
                    chat_id = await s.scalar(select(Chat.id).where(Chat.direct_key == key))
        assert chat_id is not None
        return await self.chat(me, chat_id)

    # -- sending -------------------------------------------------------------------------

    async def send(self, me: int, chat_id: int, data: SendIn) -> MessageOut:
        """Send a message; resending the same `client_id` returns the first one.

        What can be checked without the chat's rows is checked first: the text and the content
        policy (cached per worker); media, cards and mentions in one read transaction. Then the
        message is queued for the writer, which judges the sender and stores the message with
        the others sent at the same moment, in one write (see `chat.writer`). No transaction is
        ever open while another is waited for.
        """
        mentions: list[int] = []
        if data.kind == "text" and not data.mentions:
            # The common case needs nothing from the database before the writer, which checks
            # membership, mute-all, @all and friendship for the whole batch at once.
            text = (data.text or "").strip()
            if not text:
                raise InvalidInput("A text message needs text.", fields={"text": "empty"})
            group = await self._chat_kind(chat_id) == "group"
            body: dict[str, Any] = {"text": text}
        else:
            async with self.db.read() as s:
                found = await s.scalar(
                    select(Message).where(
                        Message.sender_id == me, Message.client_id == data.client_id
                    )
                )
                if found is not None:
                    return self._same_chat(message_out(found), chat_id)
                member = await require_active(s, chat_id, me)
                chat = await get_chat(s, chat_id)
                await self.check_may_send(s, chat, member)
                body = await self.check_body(s, chat_id, data)
                mentions = await self.check_mentions(s, chat, member, data)
                group = chat.kind == "group"
        body = await self.finish_body(data, body, me, group=group)
        sent = await self.writer.submit(
            Pending(
                chat_id=chat_id,
                sender_id=me,
                client_id=data.client_id,
                kind=data.kind,
                body=body,
                mentions=mentions,
                mention_all=data.mention_all,
            )
        )
        self._maybe_preview(sent)
        return sent

    async def _chat_kind(self, chat_id: int) -> str:
        """ "direct" or "group" (a chat never changes kind, so each worker remembers it)."""
        kind = self._kinds.get(chat_id)
        if kind is None:
            async with self.db.read() as s:
                kind = await s.scalar(select(Chat.kind).where(Chat.id == chat_id))
            if kind is None:
                raise NotFound("No such chat.")
            if len(self._kinds) >= 100_000:
                self._kinds.clear()
            self._kinds[chat_id] = kind
        return kind

    def _maybe_preview(self, sent: MessageOut) -> None:
        if "preview" in sent.body:  # a retried send whose card is already there
            return
        url = first_url(str(sent.body.get("text", ""))) if sent.kind == "text" else None
        if url and self.previewer is not None:
            self.background.spawn(self._attach_preview(sent.chat_id, sent.seq, url))

    async def _attach_preview(self, chat_id: int, seq: int, url: str) -> None:
        """Fetch the card, add it to the message, and tell the chat (`chat.preview`)."""
        assert self.previewer is not None
        card = await self.previewer.preview(url)
        if card is None:
            return
        if card.get("image_id"):
            card["image_url"] = f"/media/{card['image_id']}"
        async with self.db.write() as uow:
            msg = await uow.session.get(Message, (chat_id, seq), with_for_update=True)
            if msg is None or msg.recalled_at is not None:
                return
            msg.body = {**msg.body, "preview": card}
            members = await active_member_ids(uow.session, chat_id)
            await self.deps.sync.emit(
                uow, members, "chat.preview", {"chat_id": chat_id, "seq": seq, "preview": card}
            )

    @staticmethod
    def _same_chat(found: MessageOut, chat_id: int) -> MessageOut:
        if found.chat_id != chat_id:
            raise Conflict(
                "That client_id was already used for another chat.",
                fields={"client_id": "already used"},
            )
        return found

    async def check_may_send(self, s: AsyncSession, chat: Chat, member: Member) -> None:
        if chat.kind == "direct":
            other = next(
                int(x) for x in (chat.direct_key or "").split(":") if int(x) != member.user_id
            )
            await self.deps.contacts.check_can_interact(member.user_id, other, session=s)
            if not await self.deps.contacts.are_friends(member.user_id, other, session=s):
                raise NotFriends(
                    "This person is no longer your friend. Send a friend request to chat again."
                )
        elif chat.mute_all and member.role == "member":
            raise Forbidden("Only the owner and admins can speak while the group is muted.")

    async def check_body(self, s: AsyncSession, chat_id: int, data: SendIn) -> dict[str, Any]:
        """The body for one kind, with every field that kind requires, as far as the chat's
        own tables can tell (`finish_body` does the rest, outside the transaction)."""
        kind = data.kind
        if kind in MEDIA_KINDS:
            return await self._media_body(s, chat_id, data)
        if kind == "text":
            text = (data.text or "").strip()
            if not text:
                raise InvalidInput("A text message needs text.", fields={"text": "empty"})
            return {"text": text}
        if kind == "location":
            if data.lat is None or data.lng is None:
                raise InvalidInput("A location needs lat and lng.", fields={"lat": "required"})
            return {"lat": data.lat, "lng": data.lng, "place": data.place or ""}
        if kind == "sticker":
            if data.media_id is None:
                raise InvalidInput("A sticker needs media_id.", fields={"media_id": "required"})
            return {"media_id": data.media_id}
        # contact card
        if data.user_id is None:
            raise InvalidInput("A contact card needs user_id.", fields={"user_id": "required"})
        return {"user_id": data.user_id}

    async def finish_body(
        self, data: SendIn, body: dict[str, Any], author: int, *, group: bool
    ) -> dict[str, Any]:
        """Moderate the text, fill in a contact card: the checks that other services answer."""
        if data.kind == "text":
            # Group messages are their own kind: a muted user may still talk in direct chats.
            kind_: ContentKind = "group_message" if group else "message"
            return {"text": await moderated(self.deps, kind_, body["text"], author, "text")}
        if data.kind == "card":
            profiles = await self.deps.accounts.public_profiles([body["user_id"]])
            if body["user_id"] not in profiles:
                raise InvalidInput("No such user.", fields={"user_id": "unknown"})
            return {"user": profiles[body["user_id"]].model_dump(mode="json")}
        return body

    async def _media_body(self, s: AsyncSession, chat_id: int, data: SendIn) -> dict[str, Any]:
        kind = data.kind
        if data.media_id is None:
            raise InvalidInput("Upload the file first.", fields={"media_id": "required"})
        media = await s.get(ChatMedia, (chat_id, data.media_id))
        if media is None:
            raise InvalidInput(
                "That file was not uploaded to this chat.", fields={"media_id": "unknown"}
            )
        if not media.mime.startswith(MEDIA_KINDS[kind]):  # str.startswith takes a tuple
            raise InvalidInput(
                f"A {kind} message needs a {kind} file, not {media.mime}.",
                fields={"media_id": "wrong type"},
            )
        body: dict[str, Any] = {
            "media_id": media.media_id,
            "mime": media.mime,
            "size": media.size,
            "name": media.name,
            "thumb_id": media.thumb_id,
            "width": media.width,
            "height": media.height,
        }
        limit = self.policy.voice_max_s
        if kind == "voice" and (data.duration_s is None or data.duration_s > limit):
            raise InvalidInput(
                f"Voice notes last at most {limit:g} s.",
                fields={"duration_s": f"0 < duration ≤ {limit:g}"},
            )
        if data.duration_s is not None and kind in {"voice", "video"}:
            body["duration_s"] = data.duration_s
        return body

    async def check_mentions(
        self, s: AsyncSession, chat: Chat, member: Member, data: SendIn
    ) -> list[int]:
        if data.mention_all and (chat.kind != "group" or member.role == "member"):
            raise Forbidden("Only the group owner and admins can mention everyone.")
        if not data.mentions:
            return []
        if chat.kind != "group":
            raise InvalidInput("Mentions are for group chats.", fields={"mentions": "not a group"})
        wanted = sorted(set(data.mentions))
        present = set(await active_member_ids(s, chat.id))
        missing = [u for u in wanted if u not in present]
        if missing:
            raise InvalidInput(f"Not in this group: {missing}.", fields={"mentions": "not members"})
        return wanted

    # -- recall --------------------------------------------------------------------------

    async def recall(self, me: int, chat_id: int, seq: int) -> MessageOut:
        """Take a message back: the sender within the window, or a group's owner/admins.

        The content is deleted from the server; everyone sees "X recalled a message".
        """
        async with self.db.write() as uow:
            s = uow.session
            member = await require_active(s, chat_id, me)
            msg = await s.get(Message, (chat_id, seq), with_for_update=True)
            if msg is None:
                raise NotFound("No such message.")
            if msg.recalled_at is not None:
                raise Conflict("That message was already recalled.")
            if msg.sender_id is None or msg.kind == "system":
                raise Forbidden("System notices cannot be recalled.")
            now = self.clock.now()
            if msg.sender_id == me:
                window = self.policy.file_recall_s if msg.kind == "file" else self.policy.recall_s
                if now - msg.created_at > dt.timedelta(seconds=window):
                    raise Expired(f"Messages can be recalled within {_span(window)}.")
            else:
                chat = await get_chat(s, chat_id)
                sender = await s.get(Member, (chat_id, msg.sender_id))
                if chat.kind != "group" or member.role == "member":
                    raise Forbidden("You can only recall your own messages.")
                if sender is not None and (
                    sender.role == "owner" or (sender.role == "admin" and member.role != "owner")
                ):
                    raise Forbidden("Only the owner can remove an admin's messages.")
            return await self.take_back(uow, msg, me)

    async def take_back(
        self, uow: UnitOfWork, msg: Message, by: int | None, *, moderated: bool = False
    ) -> MessageOut:
        """Delete a message's content from the server and tell every member (`chat.recall`):
        what a recall does once the caller is authorised; moderation calls it with `by=None`."""
        s = uow.session
        chat_id, seq = msg.chat_id, msg.seq
        media_id = msg.body.get("media_id") if msg.kind in MEDIA_KINDS else None
        msg.recalled_at, msg.recalled_by = self.clock.now(), by
        msg.body, msg.search_text = {}, ""
        if isinstance(media_id, str):
            await self._drop_media_if_unused(s, chat_id, media_id, seq)
        await s.flush()
        out = message_out(msg)
        members = await active_member_ids(s, chat_id)
        payload: dict[str, Any] = {"chat_id": chat_id, "seq": seq, "by": by}
        if moderated:
            payload["moderated"] = True
        await self.deps.sync.emit(uow, members, "chat.recall", payload)
        return out

    async def _drop_media_if_unused(
        self, s: AsyncSession, chat_id: int, media_id: str, seq: int
    ) -> None:
        # Another live message in this chat may carry the same (content-addressed) file.
        others = await s.scalar(
            select(func.count())
            .select_from(Message)
            .where(
                Message.chat_id == chat_id,
                Message.seq != seq,
                Message.recalled_at.is_(None),
                Message.kind.in_(list(MEDIA_KINDS)),
            )
            .where(Message.body["media_id"].as_string() == media_id)
        )
        if not others:
            media = await s.get(ChatMedia, (chat_id, media_id))
            if media is not None:
                await s.delete(media)

    # -- per-user state ------------------------------------------------------------------

    async def mark_read(self, me: int, chat_id: int, seq: int) -> int:
        """Move my read marker forward (never back); my other devices learn it."""
        async with self.db.write() as uow:
            s = uow.session
            member = await require_active(s, chat_id, me)
            chat = await get_chat(s, chat_id)
            target = min(seq, chat.last_seq)
            if target <= member.read_seq:
                return member.read_seq
            await s.execute(
                update(Member)
                .where(Member.chat_id == chat_id, Member.user_id == me, Member.read_seq < target)
                .values(read_seq=target, updated_at=self.clock.now())
            )
            await self.deps.sync.emit(uow, [me], "chat.read", {"chat_id": chat_id, "seq": target})
            return target

    async def update_settings(self, me: int, chat_id: int, data: ChatSettingsIn) -> ChatOut:
        values = data.model_dump(exclude_none=True)
        if values:
            async with self.db.write() as uow:
                await require_active(uow.session, chat_id, me)
                await uow.session.execute(
                    update(Member)
                    .where(Member.chat_id == chat_id, Member.user_id == me)
                    .values(**values, updated_at=self.clock.now())
                )
                await self.deps.sync.emit(
                    uow, [me], "chat.settings", {"chat_id": chat_id, **values}
                )
        return await self.chat(me, chat_id)

    async def clear(self, me: int, chat_id: int) -> None:
        """Delete the chat from my list and its history from my view (others keep theirs)."""
        async with self.db.write() as uow:
            s = uow.session
            await require_active(s, chat_id, me)
            chat = await get_chat(s, chat_id)
            await s.execute(
                update(Member)
                .where(Member.chat_id == chat_id, Member.user_id == me)
                .values(
                    cleared_seq=chat.last_seq,
                    read_seq=chat.last_seq,
                    hidden=True,
                    updated_at=self.clock.now(),
                )
            )
            await self.deps.sync.emit(
                uow, [me], "chat.cleared", {"chat_id": chat_id, "seq": chat.last_seq}
            )

    # -- reading -------------------------------------------------------------------------

    async def history(
        self, me: int, chat_id: int, before: int | None, limit: int
    ) -> list[MessageOut]:
        """Messages I may see, oldest first, ending just before `before`."""
        async with self.db.read() as s:
            member = await s.get(Member, (chat_id, me))
            if member is None or member.status not in {"active", "left", "removed"}:
                raise NotFound("No such chat.")
            floor = max(member.joined_seq, member.cleared_seq)
            stmt = select(Message).where(Message.chat_id == chat_id, Message.seq > floor)
            if member.left_seq is not None:
                # A former member keeps what they saw while they were in the chat.
                stmt = stmt.where(Message.seq <= member.left_seq)
            if before is not None:
                stmt = stmt.where(Message.seq < before)
            rows = (await s.scalars(stmt.order_by(Message.seq.desc()).limit(limit))).all()
        return [message_out(m) for m in reversed(rows)]

    async def chats(self, me: int) -> list[ChatOut]:
        """My chat list: pinned first, then by latest activity."""
        async with self.db.read() as s:
            rows = (
                await s.execute(
                    select(Member, Chat)
                    .join(Chat, Chat.id == Member.chat_id)
                    .where(Member.user_id == me, Member.status.in_(["active", "invited"]))
                )
            ).all()
            return await self._chat_outs(s, me, [(m, c) for m, c in rows])

    async def chat(self, me: int, chat_id: int) -> ChatOut:
        async with self.db.read() as s:
            member = await s.get(Member, (chat_id, me))
            if member is None or member.status not in {"active", "invited"}:
                raise NotFound("No such chat.")
            chat = await get_chat(s, chat_id)
            [out] = await self._chat_outs(s, me, [(member, chat)])
        return out

    async def _chat_outs(
        self, s: AsyncSession, me: int, rows: list[tuple[Member, Chat]]
    ) -> list[ChatOut]:
        if not rows:
            return []
        chat_ids = [c.id for _, c in rows]
        unread = dict(
            (
                await s.execute(
                    select(Member.chat_id, func.count())
                    .select_from(Member)
                    .join(
                        Message,
                        and_(
                            Message.chat_id == Member.chat_id,
                            Message.seq > Member.read_seq,
                            Message.seq > Member.joined_seq,
                        ),
                    )
                    .where(
                        Member.user_id == me,
                        Member.chat_id.in_(chat_ids),
                        Message.recalled_at.is_(None),
                        or_(Message.sender_id.is_(None), Message.sender_id != me),
                    )
                    .group_by(Member.chat_id)
                )
            ).all()
        )
        last = {
            m.chat_id: m
            for m in (
                await s.scalars(
                    select(Message)
                    .join(Chat, and_(Chat.id == Message.chat_id, Chat.last_seq == Message.seq))
                    .where(Message.chat_id.in_(chat_ids))
                )
            ).all()
        }
        peers: dict[int, int] = {}
        for _, c in rows:
            if c.kind == "direct" and c.direct_key:
                peers[c.id] = next(int(x) for x in c.direct_key.split(":") if int(x) != me)
        profiles = await self.deps.accounts.public_profiles(list(peers.values()))
        outs: list[ChatOut] = []
        for m, c in rows:
            peer = profiles.get(peers[c.id]) if c.id in peers else None
            lm = last.get(c.id)
            visible_last = (
                lm if lm is not None and lm.seq > max(m.cleared_seq, m.joined_seq) else None
            )
            outs.append(
                ChatOut(
                    id=c.id,
                    kind=c.kind,
                    name=(peer.display_name if peer else c.name) or "Group chat",
                    avatar_url=(
                        peer.avatar_thumb_url
                        if peer
                        else (f"/media/{c.avatar_id}" if c.avatar_id else None)
                    ),
                    peer=peer,
                    announcement=c.announcement,
                    owner_id=c.owner_id,
                    role=m.role,
                    status=m.status,
                    mute_all=c.mute_all,
                    member_count=c.member_count,
                    last_seq=c.last_seq,
                    read_seq=m.read_seq,
                    unread=int(unread.get(c.id, 0)),
                    muted=m.muted,
                    pinned=m.pinned,
                    hidden=m.hidden,
                    last_message=message_out(visible_last) if visible_last else None,
                )
            )
        outs.sort(
            key=lambda o: (
                not o.pinned,
                -(o.last_message.created_at.timestamp() if o.last_message else 0),
            )
        )
        return outs

    async def search(self, me: int, query: str, limit: int = 50) -> list[SearchHit]:
        """My own messages containing `query` (case-insensitive, CJK included), newest first.

        Queries of three characters or more go through the substring index (migration 0007:
        FTS5 trigram on SQLite, pg_trgm on PostgreSQL); shorter ones scan my chats."""
        needle = query.strip().casefold()
        if not needle:
            raise InvalidInput("Search for something.", fields={"q": "empty"})
        if len(needle) > 200:
            raise InvalidInput("Search for at most 200 characters.", fields={"q": "too long"})
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = (
            select(Message, Chat.name, Chat.kind)
            .join(Member, and_(Member.chat_id == Message.chat_id, Member.user_id == me))
            .join(Chat, Chat.id == Message.chat_id)
            .where(
                Member.status == "active",
                Message.seq > Member.joined_seq,
                Message.seq > Member.cleared_seq,
                Message.recalled_at.is_(None),
            )
            .order_by(Message.created_at.desc(), Message.chat_id.desc(), Message.seq.desc())
            .limit(limit)
        )
        async with self.db.read() as s:
            if self.db.is_sqlite and len(needle) >= 3:
                keys = await self._fts_candidates(s, me, needle)
                if not keys:
                    return []
                stmt = stmt.where(tuple_(Message.chat_id, Message.seq).in_(keys))
            else:
                stmt = stmt.where(Message.search_text.like(f"%{escaped}%", escape="\\"))
            rows = (await s.execute(stmt)).all()
        return [
            SearchHit(
                chat_id=m.chat_id,
                chat_name=name or ("Direct chat" if kind == "direct" else "Group chat"),
                message=message_out(m),
            )
            for m, name, kind in rows
        ]

    async def _fts_candidates(
        self, s: AsyncSession, me: int, needle: str, cap: int = 5000
    ) -> list[tuple[int, int]]:
        """(chat, seq) of messages in my chats whose text holds `needle`, from the FTS5 trigram
        index (GLOB, case-sensitive on the already case-folded text; its wildcards escaped)."""
        pattern = "*" + "".join(f"[{c}]" if c in "*?[" else c for c in needle) + "*"
        chats = select(Member.chat_id).where(Member.user_id == me, Member.status == "active")
        mine = [int(c) for c in await s.scalars(chats)]
        if not mine:
            return []
        rows = await s.execute(
            text(
                "SELECT chat_id, seq FROM chat_messages_fts WHERE search_text GLOB :p "
                "AND chat_id IN (SELECT value FROM json_each(:chats)) "
                "ORDER BY rowid DESC LIMIT :cap"
            ),
            {"p": pattern, "chats": json.dumps(mine), "cap": cap},
        )
        return [(int(c), int(q)) for c, q in rows.all()]

    # -- presence and typing (ephemeral, never stored) ----------------------------------

    async def announce_presence(self, user_id: int, online: bool) -> None:
        """Tell the user's direct-chat partners that they came online or went offline."""
        async with self.db.read() as s:
            mine = select(Member.chat_id).where(
                Member.user_id == user_id, Member.status == "active"
            )
            peers = (
                await s.scalars(
                    select(Member.user_id)
                    .join(Chat, Chat.id == Member.chat_id)
                    .where(
                        Chat.kind == "direct",
                        Member.chat_id.in_(mine),
                        Member.user_id != user_id,
                        Member.status == "active",
                    )
                )
            ).all()
        payload = {"user_id": user_id, "online": online}
        for peer in set(peers):
            await self.deps.sync.publish_ephemeral(f"user:{peer}", "presence", payload)

    async def online_members(self, me: int, chat_id: int) -> list[int]:
        async with self.db.read() as s:
            await require_active(s, chat_id, me)
            members = await active_member_ids(s, chat_id)
        return sorted(await self.presence.online(members))

    async def typing(self, principal: Principal, msg: dict[str, Any]) -> dict[str, Any] | None:
        """A client says "I am typing in chat X": tell the other members, store nothing."""
        chat_id = msg.get("chat_id")
        if not isinstance(chat_id, int):
            raise InvalidInput("typing needs an integer chat_id")
        async with self.db.read() as s:
            await require_active(s, chat_id, principal.user_id)
            members = await active_member_ids(s, chat_id)
        payload = {"chat_id": chat_id, "user_id": principal.user_id}
        for uid in members:
            if uid != principal.user_id:
                await self.deps.sync.publish_ephemeral(f"user:{uid}", "typing", payload)
        return None


def _span(seconds: int) -> str:
    return f"{seconds // 3600} hours" if seconds >= 3600 else f"{seconds // 60} minutes"
