"""Claiming shares, group-committed.

A claim is one guarded `UPDATE … RETURNING` (see `service.py`). Claims that arrive while a
batch is being written queue up and go together in the next write transaction, one statement
each, so a rush of openers costs one BEGIN/COMMIT (and, on SQLite, one turn at the write lock)
per batch instead of per opener — the same idea as the ledger's writer. Within a batch the
statements run in order and each sees the ones before it, so the guards hold as they do alone.
On SQLite the batch is one hop to a blocking writer thread (`Database.blocking_write`) rather
than four aiosqlite hops per statement.

A claim that finds nothing is answered from the same transaction: once its statements have run,
the batch reads each refused envelope's shares (who holds which, how many are free or returned)
and which of its refused openers are active members — one read per envelope per batch, instead
of a read transaction per refused opener. That is what lets a rush be refused cheaply: the
hundreds who arrive after the last share are told "all taken" by the batch that saw it go, and
after that from the process's memory (`service.py`).

Only a member racing themself on another worker can make a statement fail (the unique
`(envelope_id, opener_id)`); that fails the batch's transaction, which is then retried one claim
per transaction, the duplicate finding nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, Update, bindparam, exists, select, update
from sqlalchemy.exc import IntegrityError

from hutong.chat.models import Member as ChatMember
from hutong.core.batching import Batcher
from hutong.core.db import Database
from hutong.redpackets.models import RedEnvelopeShare

Claimed = tuple[int, int]  # (idx, amount)


@dataclass(frozen=True)
class Refused:
    """An envelope as the refusing claim's own transaction saw it, after the batch's claims."""

    openers: dict[int, tuple[int, int, dt.datetime | None]]  # opener → (idx, amount, opened_at)
    free: int
    returned: int
    active: frozenset[int]  # which of the batch's refused openers are active members


Result = Claimed | Refused | None  # None: the claim could not be written (try the slow path)


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


def _refused(conn: Connection, envelope_id: int, chat_id: int, users: set[int]) -> Refused:
    s = RedEnvelopeShare.__table__
    m = ChatMember.__table__
    assert isinstance(s, Table)
    assert isinstance(m, Table)
    openers: dict[int, tuple[int, int, dt.datetime | None]] = {}
    free = returned = 0
    rows = conn.execute(
        select(s.c.opener_id, s.c.idx, s.c.amount, s.c.opened_at, s.c.returned).where(
            s.c.envelope_id == envelope_id
        )
    )
    for opener, idx, amount, opened_at, was_returned in rows:
        if was_returned:
            returned += 1
        elif opener is None:
            free += 1
        else:
            openers[int(opener)] = (int(idx), int(amount), opened_at)
    active = conn.scalars(
        select(m.c.user_id).where(
            m.c.chat_id == chat_id, m.c.user_id.in_(sorted(users)), m.c.status == "active"
        )
    )
    return Refused(openers, free, returned, frozenset(int(u) for u in active))


class ClaimQueue:
    def __init__(self, db: Database, *, max_batch: int = 200) -> None:
        self.db = db
        self.stmt = claim_statement(skip_locked=not db.is_sqlite)
        self._batcher: Batcher[dict[str, Any], Result] = Batcher(
            self._claims, max_batch=max_batch, name="red envelope claims"
        )

    async def claim(self, envelope_id: int, chat_id: int, user_id: int, at: dt.datetime) -> Result:
        params = {"e": envelope_id, "c": chat_id, "u": user_id, "opener": user_id, "at": at}
        # Finished even if the caller goes away: a claimed share is then paid by a retry.
        return await self._batcher.submit(params)

    async def _claims(self, batch: list[dict[str, Any]]) -> list[Result]:
        try:
            return await self._write(batch)
        except IntegrityError:
            return [await self._alone(p) for p in batch]

    def _apply(self, conn: Connection, batch: list[dict[str, Any]]) -> list[Result]:
        claimed: list[Claimed | None] = []
        for params in batch:
            row = conn.execute(self.stmt, params).first()
            claimed.append(None if row is None else (int(row[0]), int(row[1])))
        refused: dict[tuple[int, int], set[int]] = {}
        for params, got in zip(batch, claimed, strict=True):
            if got is None:
                refused.setdefault((params["e"], params["c"]), set()).add(params["u"])
        seen = {key: _refused(conn, key[0], key[1], users) for key, users in refused.items()}
        return [
            got if got is not None else seen[(p["e"], p["c"])]
            for p, got in zip(batch, claimed, strict=True)
        ]

    async def _write(self, batch: list[dict[str, Any]]) -> list[Result]:
        if self.db.is_sqlite:
            return await self.db.blocking_write(lambda conn: self._apply(conn, batch))
        async with self.db.write() as uow:
            conn = await uow.session.connection()
            return await conn.run_sync(self._apply, batch)

    async def _alone(self, params: dict[str, Any]) -> Result:
        with contextlib.suppress(IntegrityError):
            return (await self._write([params]))[0]
        return None
