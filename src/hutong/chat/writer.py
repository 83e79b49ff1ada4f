"""Group commit for chat messages: the messages sent at the same moment share one transaction.

A send is checked first, outside any transaction, as far as it can be without the chat's rows
(text, moderation; media, cards and mentions in a read transaction). What is left — judge the
sender, hand out the chat's next sequence numbers, store the messages, point every member's sync
log at them — is queued here. A `Batcher` (`core/batching.py`) takes everything queued and
writes it with a fixed number of set-based statements, whatever the batch holds:

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
when idle, hundreds under a storm. On SQLite the whole batch is one blocking call on the
writer's own thread and `sqlite3` connection (`core.db.SqliteThread`: the process's write turn, one
`BEGIN IMMEDIATE … COMMIT`) in plain `sqlite3` statements, the way the wallet ledger writes:
through SQLAlchemy and aiosqlite the same ten statements cost a loop round trip and a thread hop
each, which made the send path CPU-bound. The realtime and contacts parts of it are those
domains' own twins (`SyncLog.emit_many_sqlite`, `contacts.pair_problems_sqlite`); the decisions
are shared with the SQLAlchemy path (PostgreSQL) in `_Judged`. Publishing waits for the commit.

If a batch fails as a whole (a database error, or a `client_id` stored by another worker in the
meantime), each send is retried alone; the unique `(sender_id, client_id)` makes that safe.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeVar, cast

from sqlalchemy import Table, insert, select, tuple_, update

from hutong.chat.models import Chat, Member, Message
from hutong.chat.schemas import MessageOut
from hutong.chat.store import MESSAGE_EVENT, ChatDeps, NotAMember, NotFriends, message_out
from hutong.contacts import NotFriend, pair_problems_sqlite
from hutong.core.batching import Batcher
from hutong.core.db import AfterCommit, SqliteThread, UnitOfWork, sqlite_time
from hutong.core.errors import Conflict, Forbidden, NotFound

log = logging.getLogger(__name__)
T = TypeVar("T")
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
        self._batcher: Batcher[Pending, MessageOut] = Batcher(
            self._write, max_batch=max_batch, name="chat writer"
        )
        self._line = SqliteThread(deps.db, "chat-sqlite") if deps.db.is_sqlite else None

    @property
    def batches(self) -> int:
        return self._batcher.batches

    @property
    def messages(self) -> int:
        return self._batcher.items

    async def submit(self, p: Pending) -> MessageOut:
        # The message is written even if the sender hangs up; a retry with the same client id
        # then finds it.
        return await self._batcher.submit(p)

    async def drain(self) -> None:
        """Wait until every queued send is written (shutdown, tests)."""
        await self._batcher.drain()
        if self._line is not None:
            await self._line.close()  # reopened by the next batch, if any

    async def _write(self, batch: list[Pending]) -> list[Outcome]:
        try:
            return await self._apply(batch)
        except Exception as exc:
            if len(batch) == 1:
                return [exc]
            log.warning("chat batch of %d failed (%s); retrying one by one", len(batch), exc)
            outcomes: list[Outcome] = []
            for p in batch:
                try:
                    outcomes.extend(await self._apply([p]))
                except Exception as one:
                    outcomes.append(one)
            return outcomes

    async def _apply(self, batch: list[Pending]) -> list[Outcome]:
        if self._line is not None:
            outcomes, publish = await self._line.write(lambda conn: self._apply_sqlite(conn, batch))
            try:
                await publish()
            except Exception:
                # Committed: a failed publish is repaired by clients' sequence-based resync.
                log.exception("publishing a chat batch failed")
            return outcomes
        async with self.deps.db.write() as uow:
            return await self._apply_orm(uow, batch)

    async def _apply_orm(self, uow: UnitOfWork, batch: list[Pending]) -> list[Outcome]:
        """The batch through the write's SQLAlchemy session (PostgreSQL)."""
        s = uow.session
        # Every member row of the batch's chats, with its chat: who may post, and (later)
        # whom to tell. One query; a group's roster is needed for its events anyway.
        roster = (
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
        keys = {(p.sender_id, p.client_id) for p in batch}
        stored = {
            (int(m.sender_id or 0), str(m.client_id)): message_out(m)
            for m in await s.scalars(
                select(Message).where(
                    tuple_(Message.sender_id, Message.client_id).in_(sorted(keys))
                )
            )
        }
        judged = _Judged(batch, roster, stored)
        problems = await self.deps.contacts.pair_problems(s, judged.pairs())
        fresh = judged.friends_only(problems)
        if fresh:
            now = self.deps.clock.now()
            per_chat = judged.per_chat(fresh)
            # Every chat of the batch advances by its count: one statement per distinct count
            # (almost always just "1"), each a cached statement with an expanding IN.
            lasts: dict[int, int] = {}
            for n, chat_ids in _by_count(per_chat):
                for r in await s.execute(
                    update(CHATS)
                    .where(CHATS.c.id.in_(chat_ids))
                    .values(last_seq=CHATS.c.last_seq + n, updated_at=now)
                    .returning(CHATS.c.id, CHATS.c.last_seq)
                ):
                    lasts[int(r[0])] = int(r[1])
            rows = judged.number(per_chat, lasts, now)
            await s.execute(insert(MESSAGES), rows)
            members, hidden = judged.members(per_chat)
            if hidden:
                # A new message brings a hidden chat back into everyone's list, as WeChat does.
                await s.execute(
                    update(Member)
                    .where(
                        Member.chat_id.in_(sorted(per_chat)),
                        Member.hidden.is_(True),
                        Member.status == "active",
                    )
                    .values(hidden=False)
                )
            events, live = judged.events(per_chat, members)
            await self.deps.sync.emit_many(uow, events, live=live)
        return judged.answers()

    def _apply_sqlite(
        self, conn: sqlite3.Connection, batch: list[Pending]
    ) -> tuple[list[Outcome], AfterCommit]:
        """The batch in plain `sqlite3` statements, as one blocking call on the writer's
        thread inside `BEGIN IMMEDIATE … COMMIT` (`SqliteThread.write`, which holds the process's
        write turn). The same reads, checks and rows as `_apply_orm`, with the statements
        running back to back in C instead of one loop round trip each. Returns the answers and
        the publish to await once committed."""
        cur = conn.cursor()
        try:
            chat_ids = json.dumps(sorted({p.chat_id for p in batch}))
            roster = [_Roster._make(r) for r in cur.execute(_SQLITE_ROSTER, (chat_ids,))]
            keys = json.dumps(sorted({(p.sender_id, p.client_id) for p in batch}))
            stored = {
                (int(r[2]), str(r[3])): _stored_out(r) for r in cur.execute(_SQLITE_STORED, (keys,))
            }
            judged = _Judged(batch, roster, stored)
            fresh = judged.friends_only(pair_problems_sqlite(cur, judged.pairs()))
            if not fresh:
                return judged.answers(), _nothing
            now = self.deps.clock.now()
            stamp = sqlite_time(now)
            per_chat = judged.per_chat(fresh)
            lasts: dict[int, int] = {}
            for n, ids in _by_count(per_chat):
                for chat_id, last in cur.execute(_SQLITE_ADVANCE, (n, stamp, json.dumps(ids))):
                    lasts[int(chat_id)] = int(last)
            rows = judged.number(per_chat, lasts, now)
            dumps = json.dumps
            cur.executemany(
                _SQLITE_INSERT,
                [
                    (
                        r["chat_id"],
                        r["seq"],
                        r["sender_id"],
                        r["client_id"],
                        r["kind"],
                        dumps(r["body"]),
                        r["search_text"],
                        dumps(r["mentions"]),
                        int(r["mention_all"]),
                        stamp,
                    )
                    for r in rows
                ],
            )
            members, hidden = judged.members(per_chat)
            if hidden:
                cur.execute(_SQLITE_UNHIDE, (json.dumps(sorted(per_chat)),))
            events, live = judged.events(per_chat, members)
            publish = self.deps.sync.emit_many_sqlite(cur, events, live=live)
        finally:
            cur.close()
        return judged.answers(), publish


class _Roster(NamedTuple):
    """A member row of a chat in the batch, with its chat."""

    chat_id: int
    user_id: int
    role: str
    status: str
    hidden: bool
    kind: str
    direct_key: str | None
    mute_all: bool


# The SQLite twins of `_apply_orm`'s statements. Lists of ids travel as one JSON parameter, so
# each statement is fixed text and stays prepared in sqlite3's statement cache. Columns are
# stored as SQLAlchemy stores them (JSON through `json.dumps`, UTC times as naive ISO text).
_SQLITE_ROSTER = (
    "SELECT m.chat_id, m.user_id, m.role, m.status, m.hidden, c.kind, c.direct_key, c.mute_all "
    "FROM chat_members m JOIN chats c ON c.id = m.chat_id "
    "WHERE m.chat_id IN (SELECT value FROM json_each(?))"
)
# One probe of the unique (sender_id, client_id) index per send: the pairs drive the join
# (`CROSS JOIN` keeps that order), where two INs would probe every sender with every client id.
_SQLITE_STORED = (
    "SELECT m.chat_id, m.seq, m.sender_id, m.client_id, m.kind, m.body, m.mentions, "
    "m.mention_all, m.created_at, m.recalled_at, m.recalled_by "
    "FROM json_each(?) AS k CROSS JOIN chat_messages AS m "
    "ON m.sender_id = k.value ->> 0 AND m.client_id = k.value ->> 1"
)
_SQLITE_ADVANCE = (
    "UPDATE chats SET last_seq = last_seq + ?, updated_at = ? "
    "WHERE id IN (SELECT value FROM json_each(?)) RETURNING id, last_seq"
)
_SQLITE_INSERT = (
    "INSERT INTO chat_messages (chat_id, seq, sender_id, client_id, kind, body, search_text, "
    "mentions, mention_all, created_at, recalled_at, recalled_by) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)"
)
_SQLITE_UNHIDE = (
    "UPDATE chat_members SET hidden = 0 "
    "WHERE chat_id IN (SELECT value FROM json_each(?)) AND hidden = 1 AND status = 'active'"
)


def _stored_out(r: Any) -> MessageOut:
    """A stored message read by `_SQLITE_STORED`, as `message_out` gives it."""
    recalled_at = r[9]
    return MessageOut(
        chat_id=r[0],
        seq=r[1],
        sender_id=r[2],
        client_id=r[3],
        kind=r[4],
        body=json.loads(r[5]) if recalled_at is None else {},
        mentions=list(json.loads(r[6]) or []),
        mention_all=bool(r[7]),
        created_at=dt.datetime.fromisoformat(r[8]).replace(tzinfo=dt.UTC),
        recalled=recalled_at is not None,
        recalled_by=r[10],
    )


async def _nothing() -> None:
    return None


def _by_count(per_chat: dict[int, list[int]]) -> list[tuple[int, list[int]]]:
    """The batch's chats grouped by how many new messages each has, chats in id order (so two
    workers' batches lock chat rows in the same order and cannot deadlock)."""
    by_count: dict[int, list[int]] = {}
    for chat_id in sorted(per_chat):
        by_count.setdefault(len(per_chat[chat_id]), []).append(chat_id)
    return sorted(by_count.items())


class _Judged:
    """One batch's decisions, whichever way it is read and written: who may post, and what
    every accepted send becomes."""

    def __init__(
        self,
        batch: list[Pending],
        roster: Sequence[Any],
        stored: dict[tuple[int, str], MessageOut],
    ) -> None:
        self.batch = batch
        self.roster = roster
        self.outcomes: list[Outcome | None] = [None] * len(batch)
        self.first_of: dict[tuple[int, str], int] = {}
        self.peers: dict[int, tuple[int, int]] = {}
        active = {(int(r.chat_id), int(r.user_id)): r for r in roster}
        chats = {int(r.chat_id): r for r in roster}
        for i, p in enumerate(batch):
            key = (p.sender_id, p.client_id)
            if key in stored:
                self.outcomes[i] = _same_chat(stored[key], p.chat_id)
            elif key in self.first_of:
                continue  # the same send twice in one batch: answered from the first below
            elif (refusal := _refusal(p, chats.get(p.chat_id), active)) is not None:
                self.outcomes[i] = refusal
            else:
                self.first_of[key] = i
                chat = chats[p.chat_id]
                if chat.kind == "direct":
                    other = next(
                        int(x) for x in chat.direct_key.split(":") if int(x) != p.sender_id
                    )
                    self.peers[i] = (p.sender_id, other)

    def pairs(self) -> list[tuple[int, int]]:
        """The (sender, peer) pairs of the direct chats whose friendship must be checked."""
        return list(self.peers.values())

    def friends_only(self, problems: dict[tuple[int, int], Exception]) -> list[int]:
        """The candidates that may post: in a direct chat, still friends and no block."""
        fresh: list[int] = []
        for i in sorted(self.first_of.values()):
            problem = problems.get(self.peers[i]) if i in self.peers else None
            if problem is None:
                fresh.append(i)
            elif isinstance(problem, NotFriend):
                self.outcomes[i] = NotFriends(
                    "This person is no longer your friend. Send a friend request to chat again."
                )
            else:
                self.outcomes[i] = problem
        return fresh

    def per_chat(self, fresh: list[int]) -> dict[int, list[int]]:
        per_chat: dict[int, list[int]] = {}
        for i in fresh:
            per_chat.setdefault(self.batch[i].chat_id, []).append(i)
        return per_chat

    def number(
        self, per_chat: dict[int, list[int]], lasts: dict[int, int], now: dt.datetime
    ) -> list[dict[str, Any]]:
        """The message rows, numbered up to each chat's new `last_seq`; answers the sends."""
        rows: list[dict[str, Any]] = []
        for chat_id in sorted(per_chat):
            idx = per_chat[chat_id]
            last = lasts[chat_id]
            for n, i in enumerate(idx):
                p = self.batch[i]
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
                self.outcomes[i] = MessageOut(
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
        return rows

    def members(self, per_chat: dict[int, list[int]]) -> tuple[dict[int, list[int]], bool]:
        """The active members of each chat that got messages, and whether any hid the chat."""
        members: dict[int, list[int]] = {c: [] for c in per_chat}
        hidden = False
        for r in self.roster:
            if r.status == "active" and r.chat_id in members:
                members[r.chat_id].append(int(r.user_id))
                hidden = hidden or bool(r.hidden)
        return members, hidden

    def events(
        self, per_chat: dict[int, list[int]], members: dict[int, list[int]]
    ) -> tuple[list[tuple[list[int], str, dict[str, Any]]], list[dict[str, Any] | None]]:
        """A pointer per message for every member's log, and the message to push live."""
        events: list[tuple[list[int], str, dict[str, Any]]] = []
        live: list[dict[str, Any] | None] = []
        for chat_id in sorted(per_chat):
            for i in per_chat[chat_id]:
                o = self.outcomes[i]
                assert isinstance(o, MessageOut)
                events.append((members[chat_id], MESSAGE_EVENT, {"chat_id": chat_id, "seq": o.seq}))
                live.append(o.model_dump(mode="json"))
        return events, live

    def answers(self) -> list[Outcome]:
        """Every send's answer, in order; a send repeated within the batch gets the first's."""
        for i, p in enumerate(self.batch):
            if self.outcomes[i] is None:
                first = self.outcomes[self.first_of[(p.sender_id, p.client_id)]]
                assert first is not None
                self.outcomes[i] = (
                    first if isinstance(first, BaseException) else _same_chat(first, p.chat_id)
                )
        return [o for o in self.outcomes if o is not None]


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
