"""A user's bills: one line per posting on their wallet, newest first, with filters, and the
monthly in/out totals (months in the wallet's time zone).

A bill's kind, direction and counterparty come from the journal entry (its kind and memo); the
status of a transfer or withdrawal comes from its hold (pending, accepted, declined, returned;
a withdrawal's failure shows as "failed" plus a separate "withdrawal_returned" bill). Only the
signed-in user's own wallet is ever read.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import aliased

from hutong.wallet.ledger import WALLET
from hutong.wallet.ledger.models import LedgerHold, LedgerPosting, LedgerTransaction
from hutong.wallet.models import Merchant
from hutong.wallet.schemas import BillOut, BillsOut, Counterparty, MonthOut
from hutong.wallet.timeutil import from_us, to_us

if TYPE_CHECKING:
    from hutong.wallet.service import WalletService

T = LedgerTransaction
P = LedgerPosting
# Journal kind → bill kind, for the user whose wallet the posting touched.
BILL_KIND = {
    "topup": "topup",
    "withdraw.hold": "withdrawal",
    "withdraw.void": "withdrawal_returned",
    "transfer.send": "transfer",
    "transfer.accept": "transfer",
    "transfer.decline": "transfer_returned",
    "transfer.return": "transfer_returned",
    "payment": "payment",
    "refund": "refund",
    "settlement": "settlement",
}
TX_KINDS: dict[str, list[str]] = defaultdict(list)
for _tx, _bill in BILL_KIND.items():
    TX_KINDS[_bill].append(_tx)


class Statements:
    def __init__(self, svc: WalletService) -> None:
        self.svc = svc

    def _day_start_us(self, day: dt.date) -> int:
        return to_us(dt.datetime.combine(day, dt.time(), tzinfo=self.svc.tz))

    async def bills(
        self,
        user_id: int,
        *,
        kinds: list[str] | None = None,
        direction: Literal["in", "out"] | None = None,
        start: dt.date | None = None,
        end: dt.date | None = None,
        before: int | None = None,
        limit: int = 50,
    ) -> BillsOut:
        """Bills newest first; `start`/`end` are inclusive local dates; page with `before`."""
        account = await self.svc.ledger.find_account(WALLET, user_id)
        if account is None:
            return BillsOut(bills=[], next_before=None)
        where: list[ColumnElement[bool]] = [P.account_id == account]
        if kinds:
            where.append(T.kind.in_([tx for k in kinds for tx in TX_KINDS.get(k, [])]))
        if direction == "in":
            where.append(P.amount > 0)
        elif direction == "out":
            where.append(P.amount < 0)
        if start is not None:
            where.append(T.at_us >= self._day_start_us(start))
        if end is not None and end < dt.date.max:
            where.append(T.at_us < self._day_start_us(end + dt.timedelta(days=1)))
        if before is not None:
            where.append(T.id < before)
        resolved = aliased(LedgerTransaction)
        stmt = (
            select(T.id, T.kind, T.at_us, T.memo, P.amount, LedgerHold.status, resolved.kind)
            .join(P, P.tx_id == T.id)
            .outerjoin(LedgerHold, and_(LedgerHold.id == T.hold_id, T.hold_action == "hold"))
            .outerjoin(resolved, resolved.id == LedgerHold.resolved_tx_id)
            .where(*where)
            .order_by(T.id.desc())
            .limit(limit + 1)
        )
        async with self.svc.db.read() as s:
            rows = (await s.execute(stmt)).all()
        page = rows[:limit]
        memos = [json.loads(r.memo) for r in page]
        names = await self._names(memos)
        bills = [
            BillOut(
                tx_id=r[0],
                kind=BILL_KIND.get(r[1], r[1]),
                direction="in" if r[4] > 0 else "out",
                amount=abs(r[4]),
                counterparty=_counterparty(r[1], memo, names),
                at=from_us(r[2]),
                status=_status(r[1], r[5], r[6]),
                note=str(memo.get("note", "")),
            )
            for r, memo in zip(page, memos, strict=True)
        ]
        return BillsOut(bills=bills, next_before=page[-1][0] if len(rows) > limit else None)

    async def months(self, user_id: int, year: int) -> list[MonthOut]:
        """Income and expense per month of `year`, January first; empty months included."""
        totals = {m: [0, 0, 0] for m in range(1, 13)}
        account = await self.svc.ledger.find_account(WALLET, user_id)
        if account is not None:
            start = self._day_start_us(dt.date(year, 1, 1))
            end = self._day_start_us(dt.date(year + 1, 1, 1))
            async with self.svc.db.read() as s:
                rows = (
                    await s.execute(
                        select(T.at_us, P.amount)
                        .join(P, P.tx_id == T.id)
                        .where(P.account_id == account, T.at_us >= start, T.at_us < end)
                    )
                ).all()
            for at_us, amount in rows:
                month = from_us(at_us).astimezone(self.svc.tz).month
                totals[month][0 if amount > 0 else 1] += abs(amount)
                totals[month][2] += 1
        return [
            MonthOut(month=f"{year}-{m:02d}", income=v[0], expense=v[1], count=v[2])
            for m, v in totals.items()
        ]

    async def _names(self, memos: list[dict[str, Any]]) -> dict[str, Counterparty]:
        users = {int(m[k]) for m in memos for k in ("from", "to") if k in m}
        merchants = {int(m["merchant"]) for m in memos if "merchant" in m}
        out: dict[str, Counterparty] = {}
        for uid, p in (await self.svc.accounts.public_profiles(list(users))).items():
            out[f"u{uid}"] = Counterparty(type="user", id=uid, name=p.display_name, handle=p.handle)
        if merchants:
            async with self.svc.db.read() as s:
                found = await s.scalars(select(Merchant).where(Merchant.id.in_(merchants)))
                for m in found.all():
                    out[f"m{m.id}"] = Counterparty(type="merchant", id=m.id, name=m.name)
        return out


def _counterparty(
    kind: str, memo: dict[str, Any], names: dict[str, Counterparty]
) -> Counterparty | None:
    if "merchant" in memo:
        return names.get(f"m{memo['merchant']}")
    if kind in ("transfer.send", "transfer.decline", "transfer.return"):
        return names.get(f"u{memo.get('to')}")
    if kind == "transfer.accept":
        return names.get(f"u{memo.get('from')}")
    if "op" in memo:
        card = f" ••{memo['card']}" if memo.get("card") else ""
        name = f"{memo.get('bank') or 'Bank'}{card}"
        return Counterparty(type="bank", id=int(memo["op"]), name=name)
    return None


def _status(kind: str, hold_status: str | None, resolved_kind: str | None) -> Any:
    if kind == "transfer.send":
        if hold_status == "posted":
            return "accepted"
        if hold_status == "voided":
            return "declined" if resolved_kind == "transfer.decline" else "returned"
        return "pending"
    if kind == "transfer.accept":
        return "accepted"
    if kind == "withdraw.hold":
        return {"posted": "completed", "voided": "failed"}.get(hold_status or "", "pending")
    return "completed"
