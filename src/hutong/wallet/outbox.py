"""Delivering the ledger's events to users' sync logs, exactly once.

The ledger writer does not run through SQLAlchemy, so it cannot call `SyncLog.emit` inside its
transaction. Instead each op's events are inserted into `ledger_outbox` in the same transaction
as the money (they exist if and only if the money moved), and this relay moves them to the sync
log: in one write transaction it deletes a page of outbox rows — `DELETE … RETURNING` yields
only the rows this transaction actually deleted — and emits exactly those, so a row is emitted
once even with several workers relaying, and a crash between the two leaves both undone.

The writer kicks the relay after every op with events; a periodic sweep catches anything left
after a crash. Events are emitted in outbox order, which is commit order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from sqlalchemy import delete, select

from hutong.core.db import AfterCommit, Database, UnitOfWork
from hutong.realtime import SyncLog
from hutong.wallet.ledger.models import LedgerOutbox

log = logging.getLogger(__name__)
Event = tuple[list[int], str, dict[str, Any]]
RelayHook = Callable[[UnitOfWork, list[Event]], Awaitable[None]]


async def _nothing() -> None:
    return None


def _fill(payload: dict[str, Any], tx_id: int) -> dict[str, Any]:
    """Ids unknown until the writer assigned them are written as "$tx" and filled in here."""
    out = {k: (tx_id if v == "$tx" else v) for k, v in payload.items()}
    out["tx_id"] = tx_id
    return out


class Outbox:
    def __init__(
        self,
        db: Database,
        sync_log: SyncLog,
        *,
        page: int = 500,
    ) -> None:
        self.db = db
        self.sync = sync_log
        self.page = page
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._stopping = False
        self._relay_hooks: list[RelayHook] = []
        self._hooked: set[str] = set()  # event kinds some hook acts on

    def on_relay(self, fn: RelayHook, kinds: Iterable[str]) -> None:
        """Call `fn(uow, events)` inside each relay transaction that delivers an event of one
        of `kinds`, with the events it delivers (`(user_ids, kind, payload)`), so that what
        `fn` writes commits exactly when they are delivered: once. Higher layers use it (chat
        messages for transfers)."""
        self._relay_hooks.append(fn)
        self._hooked.update(kinds)

    def start(self) -> None:
        if self._task is None and not self._stopping:
            self._task = asyncio.create_task(self._run(), name="wallet-outbox")

    def kick(self) -> None:
        self._wake.set()
        self.start()

    async def stop(self) -> None:
        """Finish the delivery under way, then stop. (Not by cancelling: on Python 3.11 a
        cancellation that races the wake-up can be swallowed, leaving the loop running.)"""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _run(self) -> None:
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2.0):
                    await self._wake.wait()
            self._wake.clear()
            if self._stopping:
                return
            try:
                await self.drain()
            except Exception:
                log.exception("outbox delivery failed; retrying")
                await asyncio.sleep(1.0)

    async def drain(self) -> int:
        """Deliver everything waiting; the number of events delivered."""
        total = 0
        async with self._lock:  # one relay per process; other processes are fenced by DELETE
            while True:
                n = await self._deliver_page()
                total += n
                if n < self.page:
                    return total

    async def _deliver_page(self) -> int:
        if self.db.is_sqlite:
            # A page no hook acts on (payments, refunds, top-ups…) is one step of the group
            # commit in plain `sqlite3`; a page with events for a hook goes the ORM way.
            done = await self.db.group.submit(self._deliver_page_sqlite)
            if done is not None:
                n, publish = done
                await publish()
                return n
        async with self.db.write() as uow:
            s = uow.session
            waiting = select(LedgerOutbox.id).order_by(LedgerOutbox.id).limit(self.page)
            ids = list((await s.scalars(waiting)).all())
            if not ids:
                return 0
            rows = (
                await s.execute(
                    delete(LedgerOutbox)
                    .where(LedgerOutbox.id.in_(ids))
                    .returning(
                        LedgerOutbox.id,
                        LedgerOutbox.tx_id,
                        LedgerOutbox.user_ids,
                        LedgerOutbox.kind,
                        LedgerOutbox.payload,
                    )
                )
            ).all()
            events = [
                (json.loads(r.user_ids), r.kind, _fill(json.loads(r.payload), int(r.tx_id)))
                for r in sorted(rows, key=lambda r: r.id)
            ]
            await self.sync.emit_many(uow, events)
            if self._hooked.intersection(e[1] for e in events):
                for hook in self._relay_hooks:
                    await hook(uow, events)
            return len(ids)

    def _deliver_page_sqlite(self, conn: sqlite3.Connection) -> tuple[int, AfterCommit] | None:
        """`_deliver_page` in plain `sqlite3`, or None (and nothing done) when a hook wants
        one of the page's events."""
        rows = conn.execute(
            "SELECT id, tx_id, user_ids, kind, payload FROM ledger_outbox ORDER BY id LIMIT ?",
            (self.page,),
        ).fetchall()
        if not rows:
            return 0, _nothing
        if self._hooked.intersection(r[3] for r in rows):
            return None
        conn.execute(
            "DELETE FROM ledger_outbox WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps([r[0] for r in rows]),),
        )
        events = [(json.loads(r[2]), r[3], _fill(json.loads(r[4]), int(r[1]))) for r in rows]
        return len(rows), self.sync.emit_many_sqlite(conn.cursor(), events)
