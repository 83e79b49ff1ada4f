"""The bank behind top-ups and withdrawals: an interface, and the sandbox bank used by default.

A real gateway implements `BankGateway` and is handed to the wallet by `app.py`. Every call
names our operation id, and the bank must treat a repeated id as the same operation (banks'
idempotency keys), so asking again after a timeout is safe; `status` tells what became of an
operation whose answer never arrived, which is what reconciliation relies on.

The sandbox bank moves no real money. Like card processors' test cards, the last four digits
of a linked card choose its behaviour — `0002` declines, `0051` never answers (a timeout; the
operation was not carried out), `0077` carries the operation out but answers too late (a
timeout; reconciliation finds it done) — and tests can script the next operations with
`script("decline", "timeout", "late", "ok")`. With a `path` it remembers operations in a JSON
lines file, so reconciliation after a restart sees what it did before.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from hutong.wallet.errors import CardInvalid

BankStatus = Literal["succeeded", "declined", "pending", "unknown"]
Mode = Literal["ok", "decline", "timeout", "late"]
_BY_LAST4: dict[str, Mode] = {"0002": "decline", "0051": "timeout", "0077": "late"}


@dataclass(frozen=True)
class BankResult:
    status: BankStatus
    reference: str = ""
    reason: str = ""


@dataclass(frozen=True)
class LinkedCard:
    token: str
    bank: str
    last4: str


class BankGateway(Protocol):
    async def link_card(self, number: str) -> LinkedCard:
        """Register a card with the bank; raise `CardInvalid` if it refuses the number."""
        ...

    async def charge(self, op_id: str, card_token: str, amount: int) -> BankResult:
        """Take `amount` fen from the card into Hutong (a top-up)."""
        ...

    async def payout(self, op_id: str, card_token: str, amount: int) -> BankResult:
        """Send `amount` fen from Hutong to the card (a withdrawal)."""
        ...

    async def status(self, op_id: str) -> BankResult:
        """What became of an operation: "unknown" if the bank never carried it out."""
        ...


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


class SandboxBank:
    name = "Sandbox Bank"

    def __init__(self, *, late_s: float = 30.0, path: Path | None = None) -> None:
        self.late_s = late_s
        self.path = path
        self.ops: dict[str, BankResult] = {}
        self._script: deque[Mode] = deque()
        if path is not None and path.exists():
            for line in path.read_text().splitlines():
                rec = json.loads(line)
                self.ops[rec["op"]] = BankResult(rec["status"], rec["ref"], rec["reason"])

    def script(self, *modes: Mode) -> None:
        """The next operations behave like this, in order, whatever the card."""
        self._script.extend(modes)

    async def link_card(self, number: str) -> LinkedCard:
        digits = number.replace(" ", "").replace("-", "")
        if not (digits.isdigit() and 12 <= len(digits) <= 19 and luhn_ok(digits)):
            raise CardInvalid("That card number is not valid.", fields={"number": "invalid"})
        return LinkedCard(f"sbx:{digits[-4:]}:{secrets.token_hex(8)}", self.name, digits[-4:])

    async def charge(self, op_id: str, card_token: str, amount: int) -> BankResult:
        return await self._operate(op_id, card_token, "charge")

    async def payout(self, op_id: str, card_token: str, amount: int) -> BankResult:
        return await self._operate(op_id, card_token, "payout")

    async def status(self, op_id: str) -> BankResult:
        return self.ops.get(op_id, BankResult("unknown"))

    async def _operate(self, op_id: str, card_token: str, what: str) -> BankResult:
        if op_id in self.ops:  # the same operation asked again: the same answer
            return self.ops[op_id]
        mode = self._script.popleft() if self._script else self._mode(card_token)
        if mode == "timeout":
            await asyncio.Event().wait()  # never answers; the caller's timeout ends this
        if mode == "decline":
            result = BankResult("declined", "", "The card was declined by the issuer.")
        else:
            result = BankResult("succeeded", f"sbx-{what}-{secrets.token_hex(6)}")
        self._remember(op_id, result)
        if mode == "late":
            await asyncio.sleep(self.late_s)
        return result

    @staticmethod
    def _mode(card_token: str) -> Mode:
        parts = card_token.split(":")
        return _BY_LAST4.get(parts[1], "ok") if len(parts) == 3 else "ok"

    def _remember(self, op_id: str, result: BankResult) -> None:
        self.ops[op_id] = result
        if self.path is not None:
            with self.path.open("a") as f:
                rec = {"op": op_id, "status": result.status, "ref": result.reference}
                f.write(json.dumps({**rec, "reason": result.reason}) + "\n")
