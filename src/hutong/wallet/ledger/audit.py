"""`hutong ledger audit`: prove the ledger's invariants from the stored rows alone.

Checked, in one consistent snapshot (REPEATABLE READ on PostgreSQL, a read transaction under
WAL on SQLite), streaming the journal in pages so memory grows with accounts and holds, not
with history:

1. The journal is the chain 1, 2, 3, … without gaps, and each entry's hash is
   sha256(previous hash | canonical entry) — an edited, inserted, reordered or deleted entry
   or posting breaks it. Optional anchors (`--anchor ID:HASH`, a head recorded earlier and kept
   elsewhere) also catch a chain recomputed from scratch.
2. Every entry has two or more non-zero postings that sum to zero; no posting lacks an entry.
3. Every account's balance equals the sum of its postings, and no account that may not go
   negative is negative.
4. Every hold was placed by its own entry and moved exactly its amount into escrow; it was
   resolved at most once, its status agrees with the entry that resolved it, a void returned
   exactly the amount, and each escrow account holds exactly the sum of its pending holds.

The first violation is named; up to `max_violations` are listed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.core.db import Database
from hutong.wallet.ledger.entries import GENESIS, chain_hash, tail_text
from hutong.wallet.ledger.models import (
    LedgerAccount,
    LedgerHold,
    LedgerPosting,
    LedgerTransaction,
)

T = LedgerTransaction.__table__.c
P = LedgerPosting.__table__.c
A = LedgerAccount.__table__.c
H = LedgerHold.__table__.c


@dataclass
class AuditReport:
    transactions: int = 0
    postings: int = 0
    accounts: int = 0
    holds: int = 0
    head_id: int = 0
    head_hash: str = GENESIS
    violations: list[str] = field(default_factory=list)
    violation_count: int = 0

    @property
    def ok(self) -> bool:
        return self.violation_count == 0

    def summary(self) -> str:
        counts = (
            f"{self.transactions} transactions, {self.postings} postings, "
            f"{self.accounts} accounts, {self.holds} holds; head {self.head_id} {self.head_hash}"
        )
        if self.ok:
            return f"ledger audit: OK — {counts}"
        lines = [f"ledger audit: {self.violation_count} violation(s) — {counts}"]
        lines += [f"  {v}" for v in self.violations]
        return "\n".join(lines)

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "transactions": self.transactions,
            "postings": self.postings,
            "accounts": self.accounts,
            "holds": self.holds,
            "head_id": self.head_id,
            "head_hash": self.head_hash,
            "violations": self.violations,
            "violation_count": self.violation_count,
        }


@dataclass
class _HoldEntry:
    action: str
    tx_id: int
    postings: dict[int, int]


class _Auditor:
    def __init__(self, conn: AsyncConnection, max_violations: int, page: int) -> None:
        self.conn = conn
        self.max = max_violations
        self.page = page
        self.report = AuditReport()
        self.sums: dict[int, int] = defaultdict(int)
        self.hold_entries: dict[int, list[_HoldEntry]] = defaultdict(list)
        self.hashes: dict[int, str] = {}
        self.orphans = 0

    def violation(self, text: str) -> None:
        self.report.violation_count += 1
        if len(self.report.violations) < self.max:
            self.report.violations.append(text)

    async def run(self, anchors: list[tuple[int, str]]) -> AuditReport:
        anchor_ids = {i for i, _ in anchors}
        await self._journal(anchor_ids)
        for anchor_id, anchor_hash in anchors:
            if self.hashes.get(anchor_id) != anchor_hash:
                self.violation(
                    f"anchor {anchor_id}: the journal no longer has hash {anchor_hash} there "
                    "(the chain was rewritten)"
                )
        await self._accounts()
        await self._holds()
        return self.report

    async def _journal(self, anchor_ids: set[int]) -> None:
        r = self.report
        prev_id, prev_hash = 0, GENESIS
        while True:
            rows = (
                await self.conn.execute(
                    select(T.id, T.kind, T.at_us, T.hold_id, T.hold_action, T.ref, T.memo, T.hash)
                    .where(T.id > prev_id)
                    .order_by(T.id)
                    .limit(self.page)
                )
            ).all()
            if not rows:
                break
            last = int(rows[-1].id)
            postings: dict[int, list[tuple[int, int]]] = defaultdict(list)
            for p in await self.conn.execute(
                select(P.tx_id, P.account_id, P.amount)
                .where(P.tx_id > prev_id, P.tx_id <= last)
                .order_by(P.tx_id, P.account_id)
            ):
                postings[int(p.tx_id)].append((int(p.account_id), int(p.amount)))
            for row in rows:
                tx_id = int(row.id)
                if tx_id != prev_id + 1:
                    self.violation(
                        f"journal: entries {prev_id + 1}..{tx_id - 1} are missing (chain gap)"
                    )
                mine = postings.pop(tx_id, [])
                tail = tail_text(row.kind, int(row.at_us), row.hold_action, row.ref, mine, row.memo)
                if chain_hash(prev_hash, tx_id, int(row.hold_id), tail) != row.hash:
                    self.violation(
                        f"journal: entry {tx_id} does not match its hash (an entry or its "
                        "postings were changed, or the chain was broken)"
                    )
                self._entry(tx_id, row.hold_id, row.hold_action, mine)
                if tx_id in anchor_ids:
                    self.hashes[tx_id] = row.hash
                prev_id, prev_hash = tx_id, row.hash
                r.transactions += 1
            for tx_id, orphaned in postings.items():
                self.orphans += len(orphaned)
                self.violation(f"postings: transaction {tx_id} has postings but no journal entry")
        r.head_id, r.head_hash = prev_id, prev_hash
        total = int(await self.conn.scalar(select(func.count()).select_from(LedgerPosting)) or 0)
        if total != r.postings + self.orphans:
            missing = total - r.postings - self.orphans
            self.violation(f"postings: {missing} posting(s) belong to no journal entry")

    def _entry(
        self, tx_id: int, hold_id: int, action: str, postings: list[tuple[int, int]]
    ) -> None:
        self.report.postings += len(postings)
        if len(postings) < 2:
            self.violation(f"entry {tx_id}: has {len(postings)} posting(s); needs two or more")
        if any(x == 0 for _, x in postings):
            self.violation(f"entry {tx_id}: has a zero posting")
        total = sum(x for _, x in postings)
        if total != 0:
            self.violation(f"entry {tx_id}: postings sum to {total}, not 0")
        for account, amount in postings:
            self.sums[account] += amount
        if action:
            if action == "hold" and hold_id != tx_id:
                self.violation(f"entry {tx_id}: places hold {hold_id}, not its own id")
            self.hold_entries[int(hold_id)].append(_HoldEntry(action, tx_id, dict(postings)))

    async def _accounts(self) -> None:
        seen: set[int] = set()
        for a in await self.conn.execute(
            select(A.id, A.kind, A.owner_id, A.allow_negative, A.balance).order_by(A.id)
        ):
            aid, balance = int(a.id), int(a.balance)
            seen.add(aid)
            self.report.accounts += 1
            expected = self.sums.get(aid, 0)
            name = f"account {aid} ({a.kind} {a.owner_id})"
            if balance != expected:
                self.violation(f"{name}: balance {balance} but its postings sum to {expected}")
            if balance < 0 and not a.allow_negative:
                self.violation(f"{name}: negative balance {balance} is not allowed")
        for aid in sorted(set(self.sums) - seen):
            self.violation(f"postings name account {aid}, which does not exist")

    async def _holds(self) -> None:
        pending: dict[int, int] = defaultdict(int)
        seen: set[int] = set()
        last = 0
        while True:
            rows = (
                await self.conn.execute(
                    select(H.id, H.status, H.source_id, H.escrow_id, H.amount, H.resolved_tx_id)
                    .where(H.id > last)
                    .order_by(H.id)
                    .limit(self.page)
                )
            ).all()
            if not rows:
                break
            for h in rows:
                self._hold(h, pending)
                seen.add(int(h.id))
                self.report.holds += 1
            last = int(rows[-1].id)
        for hold_id, entries in sorted(self.hold_entries.items()):
            if hold_id not in seen:
                first = entries[0].tx_id
                self.violation(f"entry {first}: names hold {hold_id}, which does not exist")
        balances = {
            int(a.id): int(a.balance)
            for a in await self.conn.execute(select(A.id, A.balance).where(A.kind.like("escrow.%")))
        }
        for escrow_id in sorted(set(balances) | set(pending)):
            if balances.get(escrow_id, 0) != pending.get(escrow_id, 0):
                self.violation(
                    f"escrow account {escrow_id}: holds {balances.get(escrow_id, 0)} but its "
                    f"pending holds add up to {pending.get(escrow_id, 0)}"
                )

    def _hold(self, h: Any, pending: dict[int, int]) -> None:
        hid, status, amount = int(h.id), str(h.status), int(h.amount)
        source, escrow, resolved_tx = int(h.source_id), int(h.escrow_id), h.resolved_tx_id
        entries = self.hold_entries.get(hid, [])
        placed = [e for e in entries if e.action == "hold"]
        resolutions = [e for e in entries if e.action in ("post", "void")]
        if len(placed) != 1:
            self.violation(f"hold {hid}: placed by {len(placed)} journal entries, not one")
        elif placed[0].postings.get(escrow) != amount or placed[0].postings.get(source) != -amount:
            self.violation(f"hold {hid}: its entry did not move {amount} from {source} to escrow")
        if len(resolutions) > 1:
            self.violation(f"hold {hid}: resolved {len(resolutions)} times")
            return
        if status == "pending":
            if resolutions:
                self.violation(f"hold {hid}: pending, yet entry {resolutions[0].tx_id} resolved it")
            pending[escrow] += amount
            return
        want = {"posted": "post", "voided": "void"}.get(status)
        if not resolutions or resolutions[0].action != want:
            self.violation(f"hold {hid}: status {status} without a matching journal entry")
            return
        entry = resolutions[0]
        if resolved_tx != entry.tx_id:
            self.violation(f"hold {hid}: says entry {resolved_tx} resolved it, not {entry.tx_id}")
        if entry.postings.get(escrow) != -amount:
            self.violation(f"hold {hid}: entry {entry.tx_id} did not release exactly {amount}")
        if status == "voided" and entry.postings.get(source) != amount:
            self.violation(f"hold {hid}: void {entry.tx_id} did not return {amount} to {source}")


async def audit(
    db: Database,
    *,
    anchors: list[tuple[int, str]] | None = None,
    max_violations: int = 20,
    page: int = 5000,
) -> AuditReport:
    """Check every ledger invariant; see the module docstring."""
    async with db.engine.connect() as base:
        conn = base
        if not db.is_sqlite:
            conn = await base.execution_options(isolation_level="REPEATABLE READ")
        async with conn.begin():
            return await _Auditor(conn, max_violations, page).run(anchors or [])
