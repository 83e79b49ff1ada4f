"""What the ledger writer is asked to do (`Op`), what it answers (`Outcome`), and the canonical
text of a journal entry that the hash chain covers.

Canonical entry text (version 1), hashed as UTF-8:

    <prev hash>|<id>|<hold id>|<kind>|<at_us>|<hold action>|<ref>|<postings>|<memo>

`postings` is `account:amount` pairs sorted by account id and joined with commas; `memo` is the
stored JSON text exactly (written with sorted keys and ASCII escapes, so it has one spelling).
The PostgreSQL function builds the same text from `Op.tail()`; the audit rebuilds it from the
stored rows, so any edit to an entry, its postings or their order breaks the chain.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal

GENESIS = "0" * 64
# No single posting may move more than this (about 10^13 yuan); sums stay far inside int64.
MAX_POSTING = 10**15

INSUFFICIENT_FUNDS = "insufficient-funds"
HOLD_RESOLVED = "hold-resolved"
KEY_REUSED = "key-reused"
NO_ACCOUNT = "no-account"


def memo_text(memo: dict[str, Any]) -> str:
    return json.dumps(memo, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def postings_text(postings: list[tuple[int, int]] | tuple[tuple[int, int], ...]) -> str:
    return ",".join(f"{a}:{x}" for a, x in sorted(postings))


def tail_text(
    kind: str,
    at_us: int,
    hold_action: str,
    ref: str,
    postings: list[tuple[int, int]] | tuple[tuple[int, int], ...],
    memo: str,
) -> str:
    return f"{kind}|{at_us}|{hold_action}|{ref}|{postings_text(postings)}|{memo}"


def chain_hash(prev: str, tx_id: int, hold_id: int, tail: str) -> str:
    return hashlib.sha256(f"{prev}|{tx_id}|{hold_id}|{tail}".encode()).hexdigest()


def request_hash(parts: dict[str, Any]) -> str:
    """Fingerprint of a request body, to tell a retry from a reuse of its key."""
    return hashlib.sha256(memo_text(parts).encode()).hexdigest()


@dataclass(frozen=True)
class Counter:
    """Add `delta` to the counter `key` unless that passes `cap`; else fail with `error`."""

    key: str
    delta: int
    cap: int
    error: str


@dataclass(frozen=True)
class NewHold:
    kind: str
    source: int
    escrow: int
    target: int
    amount: int
    owner_id: int = 0
    counterparty_id: int = 0
    expires_at_us: int = 0


@dataclass(frozen=True)
class Notice:
    """An event for users' sync logs, delivered after commit through the outbox; the relay
    adds `tx_id` to the payload."""

    user_ids: tuple[int, ...]
    kind: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class Op:
    """One ledger transaction to attempt. All of it happens or none of it does.

    Order of checks inside the writer: the idempotency key (a known key answers the stored
    outcome), the hold resolution (guarded on status "pending"), the counters (guarded on their
    caps), then the postings (debits first, each guarded on the balance). The first failing
    guard undoes the earlier ones and the op fails with that guard's error; with a key, the
    failure is stored as the answer too.
    """

    kind: str
    postings: tuple[tuple[int, int], ...]
    at_us: int
    scope: int = 0
    key: str = ""
    request_hash: str = ""
    ref: str = ""
    memo: str = "{}"
    counters: tuple[Counter, ...] = ()
    hold: NewHold | None = None
    resolve: tuple[int, Literal["posted", "voided"]] | None = None
    notices: tuple[Notice, ...] = field(default=())

    @property
    def hold_action(self) -> str:
        if self.hold is not None:
            return "hold"
        if self.resolve is not None:
            return "post" if self.resolve[1] == "posted" else "void"
        return ""

    def tail(self) -> str:
        return tail_text(
            self.kind, self.at_us, self.hold_action, self.ref, self.postings, self.memo
        )

    def ordered_postings(self) -> list[tuple[int, int]]:
        """Debits first, so that a failing guard has the least to undo."""
        return sorted(self.postings, key=lambda p: (p[1], p[0]))

    def check(self) -> None:
        """Programming errors, not user errors: raise ValueError for a malformed op."""
        accounts = [a for a, _ in self.postings]
        if len(self.postings) < 2 or len(set(accounts)) != len(accounts):
            raise ValueError("an op needs two or more postings to distinct accounts")
        if any(x == 0 or abs(x) > MAX_POSTING for _, x in self.postings):
            raise ValueError("posting amounts must be non-zero fen within bounds")
        if sum(x for _, x in self.postings) != 0:
            raise ValueError("postings must sum to zero")
        if self.hold is not None and self.resolve is not None:
            raise ValueError("an op places a hold or resolves one, not both")
        if self.hold is not None and (self.hold.escrow, self.hold.amount) not in self.postings:
            raise ValueError("a new hold's escrow must receive the held amount")
        if len(self.key) > 255 or len(self.kind) > 32 or len(self.ref) > 80:
            raise ValueError("key, kind or ref too long")
        if any(c.delta <= 0 for c in self.counters):
            raise ValueError("counter deltas must be positive")


@dataclass(frozen=True)
class Outcome:
    """The writer's answer. `tx_id` is the journal entry (and, for a new hold, the hold id)."""

    ok: bool
    tx_id: int = 0
    at_us: int = 0
    error: str = ""
    replayed: bool = False

    def to_json(self) -> str:
        return json.dumps(
            {"ok": self.ok, "tx": self.tx_id, "at": self.at_us, "error": self.error},
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str, *, replayed: bool) -> Outcome:
        d = json.loads(text)
        return cls(
            ok=bool(d["ok"]),
            tx_id=int(d["tx"]),
            at_us=int(d["at"]),
            error=str(d["error"]),
            replayed=replayed,
        )
