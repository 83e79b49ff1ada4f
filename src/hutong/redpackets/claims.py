"""Claiming shares, group-committed.

A claim is one guarded `UPDATE … RETURNING` (see `service.py`). Claims that arrive while a
batch is being written queue up and go together in the next write transaction, one statement
each, so a rush of openers costs one BEGIN/COMMIT (and, on SQLite, one turn at the write lock)
per batch instead of per opener — the same idea as the ledger's writer. Within a batch the
statements run in order and each sees the ones before it, so the guards hold as they do alone.

Only a member racing themself on another worker can make a statement fail (the unique
`(envelope_id, opener_id)`); that fails the batch's transaction, which is then retried one claim
per transaction, the duplicate finding nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections import deque
from typing import Any

from sqlalchemy import Table, Update, bindparam, exists, select, update
from sqlalchemy.exc import IntegrityError

from hutong.chat.models import Member as ChatMember
from hutong.core.db import Database
from hutong.redpackets.models import RedEnvelopeShare

Claimed = tuple[int, int] | None


def claim_statement(*, skip_locked: bool) -> Update:
    """Give the first free share of envelope `e` to member `opener` of chat `c`, unless they
    hold one already; returns (idx, amount), or no row."""
    s = RedEnvelopeShare.__table__
    assert isinstance(s, Table)
    other = s.alias("other")
    m = ChatMember.__table__
    first_free = (
        select(s.c.id)
        .where(s.c.envelope_id == bindparam("e"), s.c.opener_id.is_(None), s.c.returned.is_(False))
        .order_by(s.c.idx)
        .limit(1)
    )
    if skip_locked:
        first_free = first_free.with_for_update(skip_locked=True)
    return (
        update(s)
        .where(
            s.c.id == first_free.scalar_subquery(),
            ~exists().where(
                other.c.envelope_id == bindparam("e"), other.c.opener_id == bindparam("u")
            ),
            exists().where(
                m.c.chat_id == bindparam("c"), m.c.user_id == bindparam("u"), m.c.status == "active"
            ),
        )
        .values(opener_id=bindparam("opener"), opened_at=bindparam("at"))
        .returning(s.c.idx, s.c.amount)
    )


class ClaimQueue:
    def __init__(self, db: Database, *, max_batch: int = 200) -> None:
        self.db = db
        self.stmt = claim_statement(skip_locked=not db.is_sqlite)
        self.max_batch = max_batch
        self._queue: deque[tuple[dict[str, Any], asyncio.Future[Claimed]]] = deque()
        self._task: asyncio.Task[None] | None = None

    async def claim(self, envelope_id: int, chat_id: int, user_id: int, at: dt.datetime) -> Claimed:
        params = {"e": envelope_id, "c": chat_id, "u": user_id, "opener": user_id, "at": at}
        fut: asyncio.Future[Claimed] = asyncio.get_running_loop().create_future()
        self._queue.append((params, fut))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="redpacket-claims")
        # Finished even if the caller goes away: a claimed share is then paid by a retry.
        return await asyncio.shield(fut)

    async def _run(self) -> None:
        while self._queue:
            n = min(len(self._queue), self.max_batch)
            batch = [self._queue.popleft() for _ in range(n)]
            try:
                try:
                    results = await self._write([p for p, _ in batch])
                except IntegrityError:
                    results = [await self._alone(p) for p, _ in batch]
            except Exception as exc:
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(exc)
                continue
            for (_, fut), result in zip(batch, results, strict=True):
                if not fut.done():
                    fut.set_result(result)

    async def _write(self, batch: list[dict[str, Any]]) -> list[Claimed]:
        out: list[Claimed] = []
        async with self.db.write() as uow:
            conn = await uow.session.connection()
            for params in batch:
                row = (await conn.execute(self.stmt, params)).first()
                out.append(None if row is None else (int(row[0]), int(row[1])))
        return out

    async def _alone(self, params: dict[str, Any]) -> Claimed:
        with contextlib.suppress(IntegrityError):
            return (await self._write([params]))[0]
        return None
