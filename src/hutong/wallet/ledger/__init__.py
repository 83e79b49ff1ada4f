"""The double-entry ledger under the wallet (and, later, red envelopes).

Accounts with balances in integer fen; an append-only, hash-chained journal of transactions
whose postings sum to zero; holds that are placed, then posted or voided at most once;
guarded counters (daily limits, refund caps, single-use codes); idempotency records; and an
outbox of events committed with the money. Writes are group-committed (`writer.py`) — one
blocking `sqlite3` call per batch on SQLite (`sqlite.py`), one PL/pgSQL round trip per batch on
PostgreSQL (`postgres.py`). `audit.py` proves the invariants from the rows alone.

Why one hash chain, and why it does not cost throughput: a chain per account would leave a
transaction's place among other accounts' entries unchained, and a background sealer leaves
recent entries unprotected until it runs. A single chain orders everything, but serialises
every writer on its head. Group commit pays that serialisation once per batch instead of once
per transfer: the batch reads the head, appends hundreds of entries in memory order, and
commits once, so the chain's critical section is the batch's own commit.
"""

from hutong.wallet.ledger.audit import AuditReport, audit
from hutong.wallet.ledger.entries import (
    HOLD_RESOLVED,
    INSUFFICIENT_FUNDS,
    KEY_REUSED,
    Counter,
    NewHold,
    Notice,
    Op,
    Outcome,
    memo_text,
    request_hash,
)
from hutong.wallet.ledger.service import (
    BANK,
    ESCROW_REDPACKET,
    ESCROW_TRANSFER,
    ESCROW_WITHDRAWAL,
    FEES,
    MERCHANT,
    WALLET,
    Hold,
    Ledger,
)
from hutong.wallet.ledger.sqlite import lookup_sqlite

__all__ = [
    "BANK",
    "ESCROW_REDPACKET",
    "ESCROW_TRANSFER",
    "ESCROW_WITHDRAWAL",
    "FEES",
    "HOLD_RESOLVED",
    "INSUFFICIENT_FUNDS",
    "KEY_REUSED",
    "MERCHANT",
    "WALLET",
    "AuditReport",
    "Counter",
    "Hold",
    "Ledger",
    "NewHold",
    "Notice",
    "Op",
    "Outcome",
    "audit",
    "lookup_sqlite",
    "memo_text",
    "request_hash",
]
