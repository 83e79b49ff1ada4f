"""Top-ups and withdrawals through the bank gateway, and reconciling what a crash left pending.

A `wallet_bank_ops` row is written first (its id is the operation id the bank sees, and the
client's idempotency key is unique on it), then the bank is called with a timeout:

* Top-up: the bank charges the card; on success the ledger moves the amount from the bank
  account to the wallet (ledger key `bankop:<id>`, so it can only happen once).
* Withdrawal: the amount plus the fee is first *held* (wallet → withdrawal escrow), then the bank
  pays out; on success the hold is posted (escrow → bank, fee → fees account), on a decline it
  is voided back to the wallet. Post and void share one ledger key, so only one can win.

If the bank does not answer in time the operation stays "pending" (HTTP 202).
`reconcile` — run by the sweep for operations older than `reconcile_after_s`, and by
`hutong ledger reconcile` — asks the bank what became of each and finishes it the same way;
"unknown" to the bank means it was never carried out, so a top-up fails and a withdrawal's
hold is returned.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from hutong.core.errors import Conflict, HutongError, NotFound
from hutong.wallet.bank import BankResult
from hutong.wallet.errors import (
    BankDeclined,
    DailyLimitExceeded,
    IdempotencyKeyReused,
    InsufficientFunds,
)
from hutong.wallet.events import TOPUP, WITHDRAWAL
from hutong.wallet.ledger import (
    BANK,
    ESCROW_WITHDRAWAL,
    FEES,
    INSUFFICIENT_FUNDS,
    NewHold,
    Notice,
    Op,
    memo_text,
    request_hash,
)
from hutong.wallet.models import BankOperation, Card
from hutong.wallet.schemas import BankOpOut, CardOut, TopupIn, WithdrawIn
from hutong.wallet.service import DAILY_LIMIT, raise_for

if TYPE_CHECKING:
    from hutong.wallet.service import WalletService

log = logging.getLogger(__name__)


def op_out(op: BankOperation) -> BankOpOut:
    return BankOpOut(
        id=op.id,
        kind=op.kind,
        amount=op.amount,
        fee=op.fee,
        status=op.status,
        error=op.error,
        reason=op.reason,
        card_id=op.card_id,
        created_at=op.created_at,
        updated_at=op.updated_at,
    )


def stored_error(op: BankOperation) -> HutongError:
    if op.error == "insufficient-funds":
        return InsufficientFunds(op.reason)
    if op.error == "daily-limit-exceeded":
        return DailyLimitExceeded(op.reason)
    return BankDeclined(op.reason or "The bank declined the operation.")


class Banking:
    def __init__(self, svc: WalletService) -> None:
        self.svc = svc

    # -- cards ---------------------------------------------------------------------------

    async def link_card(self, user_id: int, number: str) -> CardOut:
        async with self.svc.db.read() as s:
            n = await s.scalar(
                select(func.count())
                .select_from(Card)
                .where(Card.user_id == user_id, Card.removed_at.is_(None))
            )
        if int(n or 0) >= self.svc.policy.cards_per_user:
            raise Conflict("Remove a card before linking another.")
        linked = await self.svc.bank.link_card(number)
        async with self.svc.db.write() as uow:
            card = Card(
                user_id=user_id,
                bank=linked.bank,
                last4=linked.last4,
                token=linked.token,
                created_at=self.svc.clock.now(),
            )
            uow.session.add(card)
            await uow.session.flush()
        return CardOut(id=card.id, bank=card.bank, last4=card.last4, created_at=card.created_at)

    async def cards(self, user_id: int) -> list[CardOut]:
        async with self.svc.db.read() as s:
            rows = (
                await s.scalars(
                    select(Card)
                    .where(Card.user_id == user_id, Card.removed_at.is_(None))
                    .order_by(Card.id)
                )
            ).all()
        return [CardOut(id=c.id, bank=c.bank, last4=c.last4, created_at=c.created_at) for c in rows]

    async def remove_card(self, user_id: int, card_id: int) -> None:
        async with self.svc.db.write() as uow:
            result = await uow.session.execute(
                update(Card)
                .where(Card.id == card_id, Card.user_id == user_id, Card.removed_at.is_(None))
                .values(removed_at=self.svc.clock.now())
            )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise NotFound("No such card.")

    async def _card(self, user_id: int, card_id: int) -> Card:
        async with self.svc.db.read() as s:
            card = await s.get(Card, card_id)
        if card is None or card.user_id != user_id or card.removed_at is not None:
            raise NotFound("No such card.", fields={"card_id": "not one of your cards"})
        return card

    def fee(self, amount: int) -> int:
        """The withdrawal fee: `withdraw_fee_bp` basis points, at least `withdraw_fee_min`."""
        p = self.svc.policy
        if p.withdraw_fee_bp <= 0 and p.withdraw_fee_min <= 0:
            return 0
        return max(p.withdraw_fee_min, -(-amount * p.withdraw_fee_bp // 10_000))

    # -- operations ----------------------------------------------------------------------

    async def topup(self, user_id: int, body: TopupIn, key: str) -> BankOpOut:
        fp = request_hash({"op": "topup", "card": body.card_id, "amount": body.amount})
        if (found := await self._by_key(user_id, key)) is not None:
            return self._answer(found, fp)
        self.svc.check_amount(body.amount)
        card = await self._card(user_id, body.card_id)
        op = await self._create(user_id, "topup", card.id, body.amount, 0, key, fp)
        if isinstance(op, BankOpOut):
            return op
        result = await self._call(self.svc.bank.charge(str(op.id), card.token, body.amount))
        return await self._settle_topup(op, result, raising=True)

    async def withdraw(self, user_id: int, body: WithdrawIn, key: str) -> BankOpOut:
        svc = self.svc
        fp = request_hash({"op": "withdrawal", "card": body.card_id, "amount": body.amount})
        if (found := await self._by_key(user_id, key)) is not None:
            return self._answer(found, fp)
        svc.check_amount(body.amount)
        card = await self._card(user_id, body.card_id)
        await svc.pins.verify(user_id, body.pin)
        fee = self.fee(body.amount)
        total = body.amount + fee
        op = await self._create(user_id, "withdrawal", card.id, body.amount, fee, key, fp)
        if isinstance(op, BankOpOut):
            return op
        wallet = await svc.wallet_account(user_id)
        escrow = await svc.ledger.account(ESCROW_WITHDRAWAL)
        bank = await svc.ledger.account(BANK)
        outcome = await svc.ledger.submit(
            Op(
                "withdraw.hold",
                ((wallet, -total), (escrow, total)),
                svc.ledger.now_us(),
                key=f"bankop:{op.id}:hold",
                request_hash="hold",
                ref=f"bankop:{op.id}",
                memo=self._memo(op, card),
                counters=(await svc.daily_counter(user_id, total),),
                hold=NewHold("withdrawal", wallet, escrow, bank, total, owner_id=user_id),
            )
        )
        if not outcome.ok:
            error = {INSUFFICIENT_FUNDS: "insufficient-funds", DAILY_LIMIT: "daily-limit-exceeded"}
            await self._finish(
                op.id, "failed", error=error.get(outcome.error, outcome.error), reason=""
            )
            raise_for(outcome)
        op = await self._update(op.id, hold_id=outcome.tx_id)
        result = await self._call(svc.bank.payout(str(op.id), card.token, op.amount))
        return await self._settle_withdrawal(op, result, raising=True)

    async def operations(self, user_id: int, limit: int = 50) -> list[BankOpOut]:
        async with self.svc.db.read() as s:
            rows = (
                await s.scalars(
                    select(BankOperation)
                    .where(BankOperation.user_id == user_id)
                    .order_by(BankOperation.id.desc())
                    .limit(limit)
                )
            ).all()
        return [op_out(r) for r in rows]

    async def operation(self, user_id: int, op_id: int) -> BankOpOut:
        async with self.svc.db.read() as s:
            op = await s.get(BankOperation, op_id)
        if op is None or op.user_id != user_id:
            raise NotFound("No such operation.")
        return op_out(op)

    async def reconcile(self, *, older_than_s: float) -> int:
        """Finish operations pending for longer than `older_than_s`; how many were finished."""
        cutoff = self.svc.clock.now().timestamp() - older_than_s
        async with self.svc.db.read() as s:
            rows = (
                await s.scalars(
                    select(BankOperation)
                    .where(BankOperation.status == "pending")
                    .order_by(BankOperation.id)
                    .limit(500)
                )
            ).all()
        settled = 0
        for op in rows:
            if op.updated_at.timestamp() > cutoff:
                continue
            result = await self._call(self.svc.bank.status(str(op.id)))
            if result is None or result.status == "pending":
                continue
            if op.kind == "topup":
                done = await self._settle_topup(op, result, raising=False)
            else:
                done = await self._reconcile_withdrawal(op, result)
            settled += done.status != "pending"
        return settled

    # -- settling --------------------------------------------------------------------------

    async def _settle_topup(
        self, op: BankOperation, result: BankResult | None, *, raising: bool
    ) -> BankOpOut:
        svc = self.svc
        if result is None or result.status == "pending":
            return op_out(op)
        if result.status != "succeeded":
            op = await self._finish(
                op.id,
                "failed",
                error="bank-declined",
                reason=result.reason or "The bank did not carry out the top-up.",
            )
            if raising and op.status == "failed":
                raise stored_error(op)
            return op_out(op)
        card = await self._any_card(op.card_id)
        outcome = await svc.ledger.submit(
            Op(
                "topup",
                (
                    (await svc.ledger.account(BANK), -op.amount),
                    (await svc.wallet_account(op.user_id), op.amount),
                ),
                svc.ledger.now_us(),
                key=f"bankop:{op.id}",
                request_hash="topup",
                ref=f"bankop:{op.id}",
                memo=self._memo(op, card),
                notices=(Notice((op.user_id,), TOPUP, {"op_id": op.id, "amount": op.amount}),),
            )
        )
        raise_for(outcome)  # the bank account may go negative: a top-up cannot be refused
        return op_out(await self._finish(op.id, "succeeded", tx_id=outcome.tx_id))

    async def _reconcile_withdrawal(self, op: BankOperation, result: BankResult) -> BankOpOut:
        if op.hold_id is None:
            # The hold may have committed just before a crash, without the row learning of it.
            found = await self.svc.ledger.lookup(0, f"bankop:{op.id}:hold")
            if found is None or not found[1].ok:
                return op_out(
                    await self._finish(
                        op.id, "failed", error="bank-declined", reason="Interrupted; nothing moved."
                    )
                )
            op = await self._update(op.id, hold_id=found[1].tx_id)
        return await self._settle_withdrawal(op, result, raising=False)

    async def _settle_withdrawal(
        self, op: BankOperation, result: BankResult | None, *, raising: bool
    ) -> BankOpOut:
        svc = self.svc
        if result is None or result.status == "pending":
            return op_out(op)
        assert op.hold_id is not None
        hold = await svc.ledger.hold(op.hold_id)
        assert hold is not None
        ok = result.status == "succeeded"
        if ok:
            postings = [(hold.escrow_id, -hold.amount), (hold.target_id, op.amount)]
            if op.fee:
                postings.append((await svc.ledger.account(FEES), op.fee))
        else:
            postings = [(hold.escrow_id, -hold.amount), (hold.source_id, hold.amount)]
        status = "succeeded" if ok else "failed"
        event = {"op_id": op.id, "amount": op.amount, "fee": op.fee, "status": status}
        outcome = await svc.ledger.submit(
            Op(
                "withdraw.post" if ok else "withdraw.void",
                tuple(postings),
                svc.ledger.now_us(),
                key=f"bankop:{op.id}:settle",
                request_hash=status,
                ref=f"bankop:{op.id}",
                memo=memo_text({"user": op.user_id, "op": op.id}),
                resolve=(hold.id, "posted" if ok else "voided"),
                notices=(Notice((op.user_id,), WITHDRAWAL, event),),
            )
        )
        if outcome.ok:
            reason = "" if ok else (result.reason or "The bank did not carry out the withdrawal.")
            op = await self._finish(
                op.id,
                status,
                error="" if ok else "bank-declined",
                reason=reason,
                tx_id=outcome.tx_id,
            )
        else:  # settled the other way meanwhile (a reconcile racing a late answer)
            op = await self._reload(op.id)
        if raising and op.status == "failed":
            raise stored_error(op)
        return op_out(op)

    # -- rows ----------------------------------------------------------------------------

    async def _call(self, call: Awaitable[BankResult]) -> BankResult | None:
        try:
            async with asyncio.timeout(self.svc.policy.bank_timeout_s):
                return await call
        except TimeoutError:
            return None
        except Exception:
            log.exception("bank gateway call failed; the operation stays pending")
            return None

    def _memo(self, op: BankOperation, card: Card | None) -> str:
        return memo_text(
            {
                "user": op.user_id,
                "op": op.id,
                "fee": op.fee,
                "bank": card.bank if card else "",
                "card": card.last4 if card else "",
            }
        )

    def _answer(self, op: BankOperation, fp: str) -> BankOpOut:
        if op.request_hash != fp:
            raise IdempotencyKeyReused("This Idempotency-Key belongs to a different request.")
        if op.status == "failed":
            raise stored_error(op)
        return op_out(op)

    async def _by_key(self, user_id: int, key: str) -> BankOperation | None:
        async with self.svc.db.read() as s:
            return await s.scalar(
                select(BankOperation).where(
                    BankOperation.user_id == user_id, BankOperation.idem_key == key
                )
            )

    async def _any_card(self, card_id: int) -> Card | None:
        async with self.svc.db.read() as s:
            return await s.get(Card, card_id)

    async def _reload(self, op_id: int) -> BankOperation:
        async with self.svc.db.read() as s:
            op = await s.get(BankOperation, op_id)
        assert op is not None
        return op

    async def _create(
        self, user_id: int, kind: str, card_id: int, amount: int, fee: int, key: str, fp: str
    ) -> BankOperation | BankOpOut:
        """The new pending operation; or, if a concurrent duplicate of this request created
        it first, that operation's answer."""
        now = self.svc.clock.now()
        try:
            async with self.svc.db.write() as uow:
                op = BankOperation(
                    user_id=user_id,
                    card_id=card_id,
                    kind=kind,
                    amount=amount,
                    fee=fee,
                    status="pending",
                    idem_key=key,
                    request_hash=fp,
                    created_at=now,
                    updated_at=now,
                )
                uow.session.add(op)
                await uow.session.flush()
        except IntegrityError:
            found = await self._by_key(user_id, key)
            if found is None:
                raise
            # A concurrent duplicate created it first: answer what it is now (202 pending
            # while the first is still with the bank); it moves nothing twice.
            return self._answer(found, fp)
        return op

    async def _update(self, op_id: int, **values: object) -> BankOperation:
        async with self.svc.db.write() as uow:
            await uow.session.execute(
                update(BankOperation)
                .where(BankOperation.id == op_id)
                .values(**values, updated_at=self.svc.clock.now())
            )
        return await self._reload(op_id)

    async def _finish(
        self,
        op_id: int,
        status: str,
        *,
        error: str = "",
        reason: str = "",
        tx_id: int | None = None,
    ) -> BankOperation:
        """pending → succeeded/failed, once; returns the row as it now is."""
        values: dict[str, object] = {"status": status, "error": error, "reason": reason}
        if tx_id is not None:
            values["tx_id"] = tx_id
        async with self.svc.db.write() as uow:
            await uow.session.execute(
                update(BankOperation)
                .where(BankOperation.id == op_id, BankOperation.status == "pending")
                .values(**values, updated_at=self.svc.clock.now())
            )
        return await self._reload(op_id)
