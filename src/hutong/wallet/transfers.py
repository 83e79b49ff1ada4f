"""Transfers to friends: the money leaves at once, the recipient accepts or declines, and after
`transfer_ttl_s` (24 h) it returns by itself.

A transfer is a ledger hold: sending moves the amount from the sender's wallet into the transfer
escrow account (the hold's id is the transfer's id); accepting posts it on to the recipient;
declining or expiring voids it back to the sender. The hold's guarded status change ("pending"
→ posted/voided) makes each of these happen at most once, whoever races: the recipient's two
devices, the recipient and the expiry sweep, or sweeps on several workers.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from hutong.core.errors import Forbidden, NotFound
from hutong.wallet.errors import NotFriends, NotPending, SelfPayment, TransferExpired
from hutong.wallet.events import (
    TRANSFER_ACCEPTED,
    TRANSFER_DECLINED,
    TRANSFER_RECEIVED,
    TRANSFER_RETURNED,
    TRANSFER_SENT,
)
from hutong.wallet.ledger import (
    ESCROW_TRANSFER,
    Hold,
    NewHold,
    Notice,
    Op,
    memo_text,
    request_hash,
)
from hutong.wallet.ledger.models import LedgerHold, LedgerTransaction
from hutong.wallet.ledger.service import hold_from_row
from hutong.wallet.schemas import TransferIn, TransferListOut, TransferOut
from hutong.wallet.service import raise_for
from hutong.wallet.timeutil import from_us

if TYPE_CHECKING:
    from hutong.wallet.service import WalletService

Status = Literal["pending", "accepted", "declined", "returned"]
# Built once: a fresh alias per query would defeat SQLAlchemy's statement cache.
placed = aliased(LedgerTransaction)
resolved = aliased(LedgerTransaction)


class Transfers:
    def __init__(self, svc: WalletService) -> None:
        self.svc = svc

    async def send(self, user_id: int, body: TransferIn, key: str) -> TransferOut:
        svc = self.svc
        to = body.to_user_id
        fp = request_hash({"op": "transfer", "to": to, "amount": body.amount, "note": body.note})

        async def check(s: AsyncSession) -> None:
            if to == user_id:
                raise SelfPayment("You cannot transfer money to yourself.")
            svc.check_amount(body.amount)
            await svc.contacts.check_can_interact(user_id, to, session=s)
            if not await svc.contacts.are_friends(user_id, to, session=s):
                raise NotFriends("You can only transfer money to friends.")

        ready = await svc.prepare(user_id, key, fp, check)
        if ready.outcome is not None:
            raise_for(ready.outcome)
            return await self.get(user_id, ready.outcome.tx_id)
        await svc.pins.verify_row(user_id, body.pin, ready.row)
        note = await svc.screen("message", body.note, user_id, "note")
        src = await svc.wallet_account(user_id)
        dst = await svc.wallet_account(to)
        escrow = await svc.ledger.account(ESCROW_TRANSFER)
        now = svc.ledger.now_us()
        expires = now + svc.policy.transfer_ttl_s * 1_000_000
        event = {
            "transfer_id": "$tx",
            "from_user_id": user_id,
            "to_user_id": to,
            "amount": body.amount,
            "note": note,
            "expires_at": from_us(expires).isoformat(),
        }
        outcome = await svc.ledger.submit(
            Op(
                "transfer.send",
                ((src, -body.amount), (escrow, body.amount)),
                now,
                scope=user_id,
                key=key,
                request_hash=fp,
                ref=f"user:{to}",
                memo=memo_text({"from": user_id, "to": to, "note": note}),
                counters=(await svc.daily_counter(user_id, body.amount, ready.row),),
                hold=NewHold("transfer", src, escrow, dst, body.amount, user_id, to, expires),
                notices=(
                    Notice((to,), TRANSFER_RECEIVED, event),
                    Notice((user_id,), TRANSFER_SENT, event),
                ),
            )
        )
        raise_for(outcome)
        if outcome.replayed:  # a concurrent duplicate of this request got there first
            return await self.get(user_id, outcome.tx_id)
        return TransferOut(
            id=outcome.tx_id,
            from_user_id=user_id,
            to_user_id=to,
            amount=body.amount,
            note=note,
            status="pending",
            created_at=from_us(now),
            expires_at=from_us(expires),
            resolved_at=None,
        )

    async def accept(self, user_id: int, transfer_id: int, key: str) -> TransferOut:
        return await self._resolve(user_id, transfer_id, key, accept=True)

    async def decline(self, user_id: int, transfer_id: int, key: str) -> TransferOut:
        return await self._resolve(user_id, transfer_id, key, accept=False)

    async def _resolve(
        self, user_id: int, transfer_id: int, key: str, *, accept: bool
    ) -> TransferOut:
        svc = self.svc
        action = "accept" if accept else "decline"
        fp = request_hash({"op": f"transfer.{action}", "id": transfer_id})
        outcome = await svc.replay(user_id, key, fp)
        if outcome is None:
            hold = await self._hold(user_id, transfer_id)
            if hold.counterparty_id != user_id:
                raise Forbidden(f"Only the recipient can {action} a transfer.")
            if hold.status != "pending":
                raise NotPending("This transfer was already settled.")
            if hold.expires_at_us <= svc.ledger.now_us():
                await self._return(hold)
                raise TransferExpired("The transfer expired and went back to the sender.")
            outcome = await svc.ledger.submit(
                self._settle_op(hold, accept=accept, scope=user_id, key=key, fp=fp)
            )
        raise_for(outcome)
        return await self.get(user_id, transfer_id)

    def _settle_op(self, hold: Hold, *, accept: bool | None, scope: int, key: str, fp: str) -> Op:
        """Accept (True), decline (False) or return after expiry (None)."""
        kind = {True: "transfer.accept", False: "transfer.decline", None: "transfer.return"}[accept]
        event_kind = {True: TRANSFER_ACCEPTED, False: TRANSFER_DECLINED, None: TRANSFER_RETURNED}
        to = hold.target_id if accept else hold.source_id
        event: dict[str, Any] = {
            "transfer_id": hold.id,
            "from_user_id": hold.owner_id,
            "to_user_id": hold.counterparty_id,
            "amount": hold.amount,
        }
        return Op(
            kind,
            ((hold.escrow_id, -hold.amount), (to, hold.amount)),
            self.svc.ledger.now_us(),
            scope=scope,
            key=key,
            request_hash=fp,
            ref=f"transfer:{hold.id}",
            memo=memo_text({"from": hold.owner_id, "to": hold.counterparty_id}),
            resolve=(hold.id, "posted" if accept else "voided"),
            notices=(Notice((hold.owner_id, hold.counterparty_id), event_kind[accept], event),),
        )

    async def _return(self, hold: Hold) -> bool:
        """Void an expired transfer back to its sender; False if it was already settled."""
        key = f"transfer-return:{hold.id}"
        outcome = await self.svc.ledger.submit(
            self._settle_op(hold, accept=None, scope=0, key=key, fp="return")
        )
        return outcome.ok and not outcome.replayed

    async def expire_due(self, limit: int = 1000) -> int:
        """Return every transfer past its expiry (the sweep; it also catches up after
        downtime, since it asks for everything due, not what became due since last time)."""
        now = self.svc.ledger.now_us()
        async with self.svc.db.read() as s:
            rows = (
                await s.scalars(
                    select(LedgerHold)
                    .where(
                        LedgerHold.status == "pending",
                        LedgerHold.kind == "transfer",
                        LedgerHold.expires_at_us > 0,
                        LedgerHold.expires_at_us <= now,
                    )
                    .order_by(LedgerHold.expires_at_us)
                    .limit(limit)
                )
            ).all()
        returned = 0
        for row in rows:
            returned += await self._return(hold_from_row(row))
        return returned

    # -- reading -------------------------------------------------------------------------

    async def _hold(self, user_id: int, transfer_id: int) -> Hold:
        hold = await self.svc.ledger.hold(transfer_id)
        if (
            hold is None
            or hold.kind != "transfer"
            or user_id
            not in (
                hold.owner_id,
                hold.counterparty_id,
            )
        ):
            raise NotFound("No such transfer.")
        return hold

    async def get(self, user_id: int, transfer_id: int) -> TransferOut:
        found = await self._query([LedgerHold.id == transfer_id], user_id, limit=1)
        if not found:
            raise NotFound("No such transfer.")
        return found[0]

    async def listing(
        self,
        user_id: int,
        *,
        direction: Literal["in", "out"] | None = None,
        status: Status | None = None,
        before: int | None = None,
        limit: int = 50,
    ) -> TransferListOut:
        where: list[ColumnElement[bool]] = []
        if before is not None:
            where.append(LedgerHold.id < before)
        if status == "pending":
            where.append(LedgerHold.status == "pending")
        elif status == "accepted":
            where.append(LedgerHold.status == "posted")
        elif status is not None:
            how = "transfer.decline" if status == "declined" else "transfer.return"
            where += [LedgerHold.status == "voided", resolved.kind == how]
        found = await self._query(where, user_id, limit=limit + 1, direction=direction)
        page = found[:limit]
        return TransferListOut(
            transfers=page, next_before=page[-1].id if len(found) > limit else None
        )

    async def _query(
        self,
        where: list[ColumnElement[bool]],
        user_id: int,
        *,
        limit: int,
        direction: Literal["in", "out"] | None = None,
    ) -> list[TransferOut]:
        mine = {
            "in": LedgerHold.counterparty_id == user_id,
            "out": LedgerHold.owner_id == user_id,
            None: or_(LedgerHold.owner_id == user_id, LedgerHold.counterparty_id == user_id),
        }[direction]
        stmt = (
            select(LedgerHold, placed.memo, placed.at_us, resolved.kind, resolved.at_us)
            .join(placed, placed.id == LedgerHold.id)
            .outerjoin(resolved, resolved.id == LedgerHold.resolved_tx_id)
            .where(LedgerHold.kind == "transfer", mine, *where)
            .order_by(LedgerHold.id.desc())
            .limit(limit)
        )
        async with self.svc.db.read() as s:
            rows = (await s.execute(stmt)).all()
        return [_transfer_out(*row) for row in rows]


def _transfer_out(
    hold: LedgerHold, memo: str, at_us: int, resolved_kind: str | None, resolved_at: int | None
) -> TransferOut:
    status: Status = "pending"
    if hold.status == "posted":
        status = "accepted"
    elif hold.status == "voided":
        status = "declined" if resolved_kind == "transfer.decline" else "returned"
    return TransferOut(
        id=hold.id,
        from_user_id=hold.owner_id,
        to_user_id=hold.counterparty_id,
        amount=hold.amount,
        note=str(json.loads(memo).get("note", "")),
        status=status,
        created_at=from_us(at_us),
        expires_at=from_us(hold.expires_at_us),
        resolved_at=from_us(resolved_at) if resolved_at else None,
    )
