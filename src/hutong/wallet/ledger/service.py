"""The ledger's face to the rest of the wallet: accounts, submitting ops, reading balances.

Writes go through the group-commit writer (`writer.py`) to the dialect's store; reads are
ordinary SQLAlchemy queries. Account rows are created on first use and their ids cached (an
account's id never changes).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from hutong.core.clock import Clock
from hutong.core.db import Database
from hutong.wallet.ledger.entries import Op, Outcome
from hutong.wallet.ledger.models import LedgerAccount, LedgerHold, LedgerIdempotency
from hutong.wallet.ledger.writer import GroupCommit, LedgerStore
from hutong.wallet.timeutil import to_us

ACCOUNT_CACHE_SIZE = 100_000  # account ids kept per worker (about 10 MB at most)
BANK = "bank"
FEES = "fees"
ESCROW_TRANSFER = "escrow.transfer"
ESCROW_WITHDRAWAL = "escrow.withdrawal"
ESCROW_REDPACKET = "escrow.redpacket"
WALLET = "wallet"
MERCHANT = "merchant"
# Only the bank may go negative: it mirrors money that came in from outside Hutong.
SYSTEM_ACCOUNTS = {
    BANK: True,
    FEES: False,
    ESCROW_TRANSFER: False,
    ESCROW_WITHDRAWAL: False,
    ESCROW_REDPACKET: False,
}


@dataclass(frozen=True)
class Hold:
    id: int
    kind: str
    status: str
    source_id: int
    escrow_id: int
    target_id: int
    amount: int
    owner_id: int
    counterparty_id: int
    expires_at_us: int
    resolved_tx_id: int | None


def hold_from_row(h: LedgerHold) -> Hold:
    return Hold(
        h.id,
        h.kind,
        h.status,
        h.source_id,
        h.escrow_id,
        h.target_id,
        h.amount,
        h.owner_id,
        h.counterparty_id,
        h.expires_at_us,
        h.resolved_tx_id,
    )


def make_store(db: Database) -> LedgerStore:
    if db.is_sqlite:
        from hutong.wallet.ledger.sqlite import SqliteLedgerStore

        path = make_url(db.url).database
        if not path or path == ":memory:":
            raise ValueError("the ledger needs an SQLite database file, not :memory:")
        return SqliteLedgerStore(path)
    from hutong.wallet.ledger.postgres import PgLedgerStore

    return PgLedgerStore(db.url)


class Ledger:
    def __init__(self, db: Database, clock: Clock, *, max_batch: int = 500) -> None:
        self.db = db
        self.clock = clock
        # SQLite has one write lock for the whole file, and a writer that finds it taken sleeps
        # in growing steps (its busy handler): each batch waits its turn among this process's
        # writers instead, in order, like every `db.write()` does. So no code may await
        # `submit` inside a `db.write()` block, which holds the turn the writer needs.
        turn = db.write_turn if db.is_sqlite else None
        self.writer = GroupCommit(make_store(db), max_batch=max_batch, turn=turn)
        self._insert = sqlite.insert if db.is_sqlite else postgresql.insert
        # Account ids never change, so they are cached; the cache is bounded (least recently
        # used first out), since per-envelope accounts would otherwise grow it forever.
        self._ids: OrderedDict[tuple[str, int], int] = OrderedDict()
        self._on_notices: list[Callable[[], None]] = []

    def now_us(self) -> int:
        return to_us(self.clock.now())

    def on_notices(self, fn: Callable[[], None]) -> None:
        """Called after an op that queued outbox events has committed (the relay's kick)."""
        self._on_notices.append(fn)

    async def submit(self, op: Op) -> Outcome:
        outcome = await self.writer.submit(op)
        if op.notices and outcome.ok and not outcome.replayed:
            for fn in self._on_notices:
                fn()
        return outcome

    async def close(self) -> None:
        await self.writer.close()

    # -- accounts ------------------------------------------------------------------------

    async def account(self, kind: str, owner_id: int = 0) -> int:
        """The id of the account (`kind`, `owner_id`), created empty on first use."""
        cached = self._ids.get((kind, owner_id))
        if cached is not None:
            self._ids.move_to_end((kind, owner_id))
            return cached
        async with self.db.read() as s:
            found = await s.scalar(
                select(LedgerAccount.id).where(
                    LedgerAccount.kind == kind, LedgerAccount.owner_id == owner_id
                )
            )
        if found is None:
            stmt = self._insert(LedgerAccount).values(
                kind=kind,
                owner_id=owner_id,
                allow_negative=SYSTEM_ACCOUNTS.get(kind, False) and owner_id == 0,
                balance=0,
                created_at=self.clock.now(),
            )
            async with self.db.write() as uow:
                await uow.session.execute(
                    stmt.on_conflict_do_nothing(index_elements=["kind", "owner_id"])
                )
                found = await uow.session.scalar(
                    select(LedgerAccount.id).where(
                        LedgerAccount.kind == kind, LedgerAccount.owner_id == owner_id
                    )
                )
        assert found is not None
        self._ids[(kind, owner_id)] = int(found)
        if len(self._ids) > ACCOUNT_CACHE_SIZE:
            self._ids.popitem(last=False)
        return int(found)

    def forget(self, kind: str, owner_id: int = 0) -> None:
        """Drop a cached account id that will not be wanted again (a settled envelope's)."""
        self._ids.pop((kind, owner_id), None)

    async def find_account(self, kind: str, owner_id: int) -> int | None:
        """The account's id if it exists, without creating it."""
        if (kind, owner_id) in self._ids:
            return self._ids[(kind, owner_id)]
        async with self.db.read() as s:
            found = await s.scalar(
                select(LedgerAccount.id).where(
                    LedgerAccount.kind == kind, LedgerAccount.owner_id == owner_id
                )
            )
        if found is not None:
            self._ids[(kind, owner_id)] = int(found)
        return None if found is None else int(found)

    async def balance(self, account_id: int) -> int:
        return (await self.balances([account_id])).get(account_id, 0)

    async def balances(self, account_ids: Iterable[int]) -> dict[int, int]:
        ids = set(account_ids)
        if not ids:
            return {}
        async with self.db.read() as s:
            rows = (
                await s.execute(
                    select(LedgerAccount.id, LedgerAccount.balance).where(LedgerAccount.id.in_(ids))
                )
            ).all()
        return {int(r[0]): int(r[1]) for r in rows}

    # -- reads ---------------------------------------------------------------------------

    async def lookup(
        self, scope: int, key: str, *, session: AsyncSession | None = None
    ) -> tuple[str, Outcome] | None:
        """The stored (request hash, outcome) of an idempotency key, if any; pass `session` to
        read it in a transaction of your own."""
        stmt = select(LedgerIdempotency.request_hash, LedgerIdempotency.outcome).where(
            LedgerIdempotency.scope == scope, LedgerIdempotency.key == key
        )
        if session is not None:
            row = (await session.execute(stmt)).first()
        else:
            async with self.db.read() as s:
                row = (await s.execute(stmt)).first()
        if row is None:
            return None
        return str(row[0]), Outcome.from_json(row[1], replayed=True)

    async def hold(self, hold_id: int) -> Hold | None:
        async with self.db.read() as s:
            row = await s.get(LedgerHold, hold_id)
        return None if row is None else hold_from_row(row)
