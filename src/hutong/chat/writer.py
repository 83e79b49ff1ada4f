"""Group commit for chat messages: the messages sent at the same moment share one transaction.

A send is checked first, outside any transaction, as far as it can be without the chat's rows
(text, moderation; media, cards and mentions in a read transaction). What is left — judge the
sender, hand out the chat's next sequence numbers, store the messages, point every member's sync
log at them — is queued here. One writer task per process takes everything
queued and writes it with a fixed number of set-based statements, whatever the batch holds:

1. read every member row of the batch's chats with its chat (one query), and the sends whose
   `client_id` was already stored (a retry answers with the first); judge every other sender's
   right to post: an active member, not silenced by mute-all,
   owner/admin for @all, and in a direct chat still friends with no block either way (these
   rows are read inside the write, so a removal or unfriending a moment ago is seen);
2. advance each chat's `last_seq` by the number of its new messages (chats in id order, so two
   workers' batches lock chat rows in the same order and cannot deadlock);
3. insert the messages; un-hide the chats for members who hid them (only if one did);
4. one `emit_many` for every member of every chat (user sequence rows locked in id order).

While a batch is written the next one queues, so the batch size follows the load: one message
when idle, hundreds under a storm. On SQLite the batch holds the process's write turn; one
BEGIN IMMEDIATE and one commit carry all of it. If a batch fails as a whole (a database error,
or a `client_id` stored by another worker in the meantime), each send is retried alone; the
unique `(sender_id, client_id)` makes that safe.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, insert, select, tuple_, update

from hutong.chat.models import Chat, Member, Message
from hutong.chat.schemas import MessageOut
from hutong.chat.store import MESSAGE_EVENT, ChatDeps, NotAMember, NotFriends, message_out
from hutong.contacts import NotFriend
from hutong.core.db import UnitOfWork
from hutong.core.errors import Conflict, Forbidden, NotFound

log = logging.getLogger(__name__)
# Core statements on the tables (no ORM bulk machinery per batch).
CHATS = cast(Table, Chat.__table__)
MESSAGES = cast(Table, Message.__table__)


@dataclass
class Pending:
    """One checked send waiting for its sequence number."""

    chat_id: int
    sender_id: int
    client_id: str
    kind: str
    body: dict[str, Any]
    mentions: list[int] = field(default_factory=list)
    mention_all: bool = False


Outcome = MessageOut | BaseException


class MessageWriter:
    def __init__(self, deps: ChatDeps, *, max_batch: int = 256) -> None:
        self.deps = deps
        self.max_batch = max_batch
        self._queue: deque[tuple[Pending, asyncio.Future[Outcome]]] = deque()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._inflight: list[asyncio.Future[Outcome]] = []
        self.batches = 0
        self.messages = 0

    async def submit(self, p: Pending) -> MessageOut:
        fut: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._queue.append((p, fut))
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="chat-writer")
        # The message is written even if the sender hangs up; a retry with the same client id
        # then finds it.
        outcome = await asyncio.shield(fut)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    async def drain(self) -> None:
        """Wait until every queued send is written (shutdown, tests)."""
        pending = [f for _, f in self._queue] + self._inflight
        if pending:
            await asyncio.wait(pending)

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                n = min(len(self._queue), self.max_batch)
                batch = [self._queue.popleft() for _ in range(n)]
                self._inflight = [f for _, f in batch]
                try:
                    await self._write(batch)
                except Exception as exc:  # a bug here must not leave senders waiting forever
                    log.exception("chat writer failed")
                    for _, fut in batch:
                        if not fut.done():
                            fut.set_result(exc)
                finally:
                    self._inflight = []

    async def _write(self, batch: list[tuple[Pending, asyncio.Future[Outcome]]]) -> None:
        try:
            outcomes = await self._apply([p for p, _ in batch])
        except Exception as exc:
            if len(batch) == 1:
                outcomes = [exc]
            else:
                log.warning("chat batch of %d failed (%s); retrying one by one", len(batch), exc)
                outcomes = []
                for p, _ in batch:
                    try:
                        outcomes.extend(await self._apply([p]))
                    except Exception as one:
                        outcomes.append(one)
        self.batches += 1
        self.messages += len(batch)
        for (_, fut), outcome in zip(batch, outcomes, strict=True):
            if not fut.done():
                fut.set_result(outcome)

    async def _apply(self, batch: list[Pending]) -> list[Outcome]:
        deps = self.deps
        outcomes: list[Outcome | None] = [None] * len(batch)
        async with deps.db.write() as uow:
            s = uow.session
            # Every member row of the batch's chats, with its chat: who may post, and (later)
            # whom to tell. One query; a group's roster is needed for its events anyway.
            rows = (
                await s.execute(
                    select(
                        Member.chat_id,
                        Member.user_id,
                        Member.role,
                        Member.status,
                        Member.hidden,
                        Chat.kind,
                        Chat.direct_key,
                        Chat.mute_all,
                    )
                    .join(Chat, Chat.id == Member.chat_id)
                    .where(Member.chat_id.in_(sorted({p.chat_id for p in batch})))
                )
            ).all()
            active = {(int(r.chat_id), int(r.user_id)): r for r in rows}
            chats = {int(r.chat_id): r for r in rows}
            keys = {(p.sender_id, p.client_id) for p in batch}
            stored = {
                (m.sender_id, m.client_id): m
                for m in await s.scalars(
                    select(Message).where(
                        tuple_(Message.sender_id, Message.client_id).in_(sorted(keys))
                    )
                )
            }
            first_of: dict[tuple[int, str], int] = {}
            peers: dict[int, tuple[int, int]] = {}
            for i, p in enumerate(batch):
                key = (p.sender_id, p.client_id)
                if key in stored:
                    outcomes[i] = _same_chat(message_out(stored[key]), p.chat_id)
                elif key in first_of:
                    continue  # the same send twice in one batch: answered from the first below
                elif (refusal := _refusal(p, chats.get(p.chat_id), active)) is not None:
                    outcomes[i] = refusal
                else:
                    first_of[key] = i
                    chat = chats[p.chat_id]
                    if chat.kind == "direct":
                        other = next(
                            int(x) for x in chat.direct_key.split(":") if int(x) != p.sender_id
                        )
                        peers[i] = (p.sender_id, other)
            fresh = await self._friends_only(uow, sorted(first_of.values()), peers, outcomes)
            if fresh:
                await self._store(uow, batch, fresh, outcomes, rows)
            for i, p in enumerate(batch):
                if outcomes[i] is None:
                    first = outcomes[first_of[(p.sender_id, p.client_id)]]
                    assert first is not None
                    outcomes[i] = (
                        first
                        if isinstance(first, BaseException)
                        else (_same_chat(first, p.chat_id))
                    )
        return [o for o in outcomes if o is not None]

    async def _friends_only(
        self,
        uow: UnitOfWork,
        candidates: list[int],
        peers: dict[int, tuple[int, int]],
        outcomes: list[Outcome | None],
    ) -> list[int]:
        """The candidates that may post: in a direct chat, still friends and no block."""
        problems = await self.deps.contacts.pair_problems(uow.session, list(peers.values()))
        fresh: list[int] = []
        for i in candidates:
            problem = problems.get(peers[i]) if i in peers else None
            if problem is None:
                fresh.append(i)
            elif isinstance(problem, NotFriend):
                outcomes[i] = NotFriends(
                    "This person is no longer your friend. Send a friend request to chat again."
                )
            else:
                outcomes[i] = problem
        return fresh

    async def _store(
        self,
        uow: UnitOfWork,
        batch: list[Pending],
        fresh: list[int],
        outcomes: list[Outcome | None],
        roster: Sequence[Any],
    ) -> None:
        deps = self.deps
        s = uow.session
        now = deps.clock.now()
        per_chat: dict[int, list[int]] = {}
        for i in fresh:
            per_chat.setdefault(batch[i].chat_id, []).append(i)
        rows: list[dict[str, Any]] = []
        # Every chat of the batch advances by its count: one statement per distinct count
        # (almost always just "1"), each a cached statement with an expanding IN.
        by_count: dict[int, list[int]] = {}
        for chat_id, idx in per_chat.items():
            by_count.setdefault(len(idx), []).append(chat_id)
        lasts: dict[int, int] = {}
        for n, chat_ids in sorted(by_count.items()):
            for r in await s.execute(
                update(CHATS)
                .where(CHATS.c.id.in_(sorted(chat_ids)))
                .values(last_seq=CHATS.c.last_seq + n, updated_at=now)
                .returning(CHATS.c.id, CHATS.c.last_seq)
            ):
                lasts[int(r[0])] = int(r[1])
        for chat_id in sorted(per_chat):
            idx = per_chat[chat_id]
            last = lasts[chat_id]
            for n, i in enumerate(idx):
                p = batch[i]
                text = str(p.body.get("text", "")) if p.kind == "text" else ""
                row = {
                    "chat_id": chat_id,
                    "seq": last - len(idx) + 1 + n,
                    "sender_id": p.sender_id,
                    "client_id": p.client_id,
                    "kind": p.kind,
                    "body": p.body,
                    "search_text": text.casefold(),
                    "mentions": p.mentions,
                    "mention_all": p.mention_all,
                    "created_at": now,
                    "recalled_at": None,
                    "recalled_by": None,
                }
                rows.append(row)
                outcomes[i] = MessageOut(
                    chat_id=chat_id,
                    seq=row["seq"],
                    sender_id=p.sender_id,
                    client_id=p.client_id,
                    kind=p.kind,
                    body=p.body,
                    mentions=p.mentions,
                    mention_all=p.mention_all,
                    created_at=now,
                    recalled=False,
                    recalled_by=None,
                )
        await s.execute(insert(MESSAGES), rows)
        chats = sorted(per_chat)
        members: dict[int, list[int]] = {c: [] for c in chats}
        hidden = False
        for r in roster:
            if r.status == "active" and r.chat_id in members:
                members[r.chat_id].append(int(r.user_id))
                hidden = hidden or bool(r.hidden)
        if hidden:
            # A new message brings a hidden chat back into everyone's list, as WeChat does.
            await s.execute(
                update(Member)
                .where(
                    Member.chat_id.in_(chats), Member.hidden.is_(True), Member.status == "active"
                )
                .values(hidden=False)
            )
        events: list[tuple[list[int], str, dict[str, Any]]] = []
        live: list[dict[str, Any] | None] = []
        for chat_id in chats:
            for i in per_chat[chat_id]:
                o = outcomes[i]
                assert isinstance(o, MessageOut)
                events.append((members[chat_id], MESSAGE_EVENT, {"chat_id": chat_id, "seq": o.seq}))
                live.append(o.model_dump(mode="json"))
        await deps.sync.emit_many(uow, events, live=live)


def _refusal(p: Pending, chat: Any, members: dict[tuple[int, int], Any]) -> Exception | None:
    """Why this sender may not post to this chat now, from the chat and membership rows."""
    member = members.get((p.chat_id, p.sender_id))
    if chat is None or member is None or member.status != "active":
        if member is not None and member.status in {"left", "removed"}:
            return NotAMember("You are no longer in this chat.")
        return NotFound("No such chat.")
    if chat.kind == "group" and chat.mute_all and member.role == "member":
        return Forbidden("Only the owner and admins can speak while the group is muted.")
    if p.mention_all and (chat.kind != "group" or member.role == "member"):
        return Forbidden("Only the group owner and admins can mention everyone.")
    return None


def _same_chat(found: MessageOut, chat_id: int) -> MessageOut | Conflict:
    if found.chat_id != chat_id:
        return Conflict(
            "That client_id was already used for another chat.",
            fields={"client_id": "already used"},
        )
    return found
