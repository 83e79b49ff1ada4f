"""Merchants: opening one, its collect-money QR, being paid, refunds and settlement lists.

Two ways to pay a merchant, both one ledger transaction from the payer's wallet to the
merchant's account ("payment", whose journal id is the payment id):

* the payer scans the merchant's fixed **collect-money QR** (token kind "pay", ident
  `<merchant id>:<qr version>`, resolved by the platform's `/api/qr/<token>`), enters an amount
  and the PIN: `pay`;
* the merchant's till submits the payer's **payment code** (`paycodes.py`): `charge`. The code
  is claimed in the same transaction, so it pays once.

Refunds move money back to the payer, guarded by the counter `refund:<payment id>` capped at
what was paid, so full and partial refunds together can never exceed the payment — also under
concurrent refunds. Only the merchant's owner sees its payments and settlement lists.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hutong.core.auth import Principal
from hutong.core.db import from_sqlite_time
from hutong.core.errors import Conflict, Expired, InvalidInput, NotFound, TooManyRequests
from hutong.core.qrcodes import QrRegistry
from hutong.core.signing import SignedToken
from hutong.wallet.errors import PaymentCodeInvalid, PinLocked, RefundTooLarge, SelfPayment
from hutong.wallet.events import PAYMENT_MADE, PAYMENT_RECEIVED, REFUND_MADE, REFUND_RECEIVED
from hutong.wallet.ledger import MERCHANT, Counter, Notice, Op, Outcome, memo_text, request_hash
from hutong.wallet.ledger.models import LedgerCounter, LedgerPosting, LedgerTransaction
from hutong.wallet.models import Merchant, WalletUser
from hutong.wallet.schemas import (
    ChargeIn,
    MerchantIn,
    MerchantOut,
    MerchantPublic,
    PayIn,
    PaymentListOut,
    PaymentOut,
    QrOut,
    RefundIn,
    RefundOut,
    SettleIn,
    SettlementDayOut,
)
from hutong.wallet.service import REFUND_CAP, raise_for
from hutong.wallet.timeutil import from_us, to_us

if TYPE_CHECKING:
    from hutong.wallet.service import WalletService

T = LedgerTransaction
P = LedgerPosting


def _parse_ident(ident: str) -> tuple[int, int]:
    """(merchant id, QR version) of a collect-money code's ident."""
    try:
        mid, version = (int(x) for x in ident.split(":"))
    except ValueError:
        raise NotFound("This code is not a valid Hutong code.") from None
    return mid, version


def _current(m: Merchant | None, version: int) -> Merchant:
    """The merchant a collect-money code of `version` names, if that code is still its own."""
    if m is None:
        raise NotFound("This merchant no longer exists.")
    if m.qr_version != version:
        raise Expired("This collect-money code was replaced by the merchant.")
    return m


def public(m: Merchant) -> MerchantPublic:
    return MerchantPublic(id=m.id, name=m.name, kind=m.kind)


class Merchants:
    def __init__(self, svc: WalletService) -> None:
        self.svc = svc
        self.registry: QrRegistry | None = None

    # -- the merchant --------------------------------------------------------------------

    async def open(self, owner_id: int, body: MerchantIn, base_url: str) -> MerchantOut:
        async with self.svc.db.read() as s:
            n = await s.scalar(
                select(func.count()).select_from(Merchant).where(Merchant.owner_id == owner_id)
            )
        if int(n or 0) >= self.svc.policy.merchants_per_user:
            raise Conflict("You have opened as many merchant accounts as allowed.")
        name = await self.svc.screen("display_name", body.name, owner_id, "name")
        async with self.svc.db.write() as uow:
            m = Merchant(
                owner_id=owner_id,
                name=name,
                kind=body.kind,
                qr_version=1,
                created_at=self.svc.clock.now(),
            )
            uow.session.add(m)
            await uow.session.flush()
        await self.svc.ledger.account(MERCHANT, m.id)
        return await self._out(m, base_url)

    async def mine(self, owner_id: int, base_url: str) -> list[MerchantOut]:
        async with self.svc.db.read() as s:
            rows = (
                await s.scalars(
                    select(Merchant).where(Merchant.owner_id == owner_id).order_by(Merchant.id)
                )
            ).all()
        return [await self._out(m, base_url) for m in rows]

    async def get(self, owner_id: int, merchant_id: int, base_url: str) -> MerchantOut:
        return await self._out(await self._owned(owner_id, merchant_id), base_url)

    async def reset_qr(self, owner_id: int, merchant_id: int, base_url: str) -> MerchantOut:
        """A new collect-money code; every printed copy of the old one stops working."""
        await self._owned(owner_id, merchant_id)
        async with self.svc.db.write() as uow:
            m = await uow.session.get(Merchant, merchant_id, with_for_update=True)
            assert m is not None
            m.qr_version += 1
        return await self._out(m, base_url)

    async def _owned(self, owner_id: int, merchant_id: int) -> Merchant:
        """The merchant if `owner_id` owns it; 404 otherwise, so ids reveal nothing."""
        async with self.svc.db.read() as s:
            m = await s.get(Merchant, merchant_id)
        if m is None or m.owner_id != owner_id:
            raise NotFound("No such merchant.")
        return m

    async def _out(self, m: Merchant, base_url: str) -> MerchantOut:
        account = await self.svc.ledger.account(MERCHANT, m.id)
        token = self.svc.signer.sign("pay", f"{m.id}:{m.qr_version}")
        return MerchantOut(
            id=m.id,
            name=m.name,
            kind=m.kind,
            balance=await self.svc.ledger.balance(account),
            created_at=m.created_at,
            collect_qr=QrOut(
                token=token,
                url=f"{base_url}/qr/{token}",
                svg_url=f"/qr/{token}.svg",
                png_url=f"/qr/{token}.png",
            ),
        )

    # -- the collect-money QR ------------------------------------------------------------

    async def _by_ident(self, ident: str, *, session: AsyncSession | None = None) -> Merchant:
        mid, version = _parse_ident(ident)
        if session is not None:
            m = await session.get(Merchant, mid)
        else:
            async with self.svc.db.read() as s:
                m = await s.get(Merchant, mid)
        return _current(m, version)

    def _by_ident_sqlite(self, conn: sqlite3.Connection, ident: str) -> Merchant:
        """`_by_ident` in plain `sqlite3` (`WalletService.prepare`'s SQLite path)."""
        mid, version = _parse_ident(ident)
        row = conn.execute(
            "SELECT owner_id, name, kind, qr_version, created_at FROM wallet_merchants "
            "WHERE id = ?",
            (mid,),
        ).fetchone()
        m = None
        if row is not None:
            m = Merchant(
                id=mid,
                owner_id=row[0],
                name=row[1],
                kind=row[2],
                qr_version=row[3],
                created_at=from_sqlite_time(row[4]),
            )
        return _current(m, version)

    async def resolve_qr(self, token: SignedToken, principal: Principal | None) -> dict[str, Any]:
        """What scanning a collect-money code shows: pay this merchant (amount entered next)."""
        m = await self._by_ident(token.ident)
        action = "pay_merchant"
        if principal is None:
            action = "sign_in"
        elif principal.user_id == m.owner_id:
            action = "self"
        return {"action": action, "merchant": public(m).model_dump()}

    # -- paying --------------------------------------------------------------------------

    async def pay(self, payer_id: int, body: PayIn, key: str) -> PaymentOut:
        """The payer scanned a collect-money QR and entered the amount and PIN.

        Everything it reads — the idempotency key, then for a new key the merchant and the
        payer's PIN/limit row — comes from one read transaction (`prepare`); a new payment's
        answer is made from the ledger's outcome instead of being read back."""
        svc = self.svc
        fp = request_hash(
            {"op": "pay", "qr": body.qr_token, "amount": body.amount, "note": body.note}
        )
        found: list[Merchant] = []
        assert self.registry is not None
        signed = self.registry.verify(body.qr_token)
        if signed.kind != "pay":
            raise InvalidInput("That is not a collect-money code.", fields={"qr_token": "kind"})

        async def check(s: AsyncSession) -> None:
            found.append(await self._by_ident(signed.ident, session=s))

        def check_sqlite(conn: sqlite3.Connection) -> None:
            found.append(self._by_ident_sqlite(conn, signed.ident))

        ready = await svc.prepare(payer_id, key, fp, check, check_sqlite=check_sqlite)
        outcome = ready.outcome
        if outcome is None:
            m = found[0]
            if m.owner_id == payer_id:
                raise SelfPayment("You cannot pay your own merchant account.")
            svc.check_amount(body.amount)
            await svc.pins.verify_row(payer_id, body.pin, ready.row)
            note = await svc.screen("message", body.note, payer_id, "note")
            outcome = await self._pay(
                payer_id, m, body.amount, note, "qr", payer_id, key, fp, row=ready.row
            )
            if outcome.ok and not outcome.replayed:
                return PaymentOut(
                    id=outcome.tx_id,
                    merchant=public(m),
                    payer_id=payer_id,
                    amount=body.amount,
                    refunded=0,
                    note=note,
                    via="qr",
                    at=from_us(outcome.at_us),
                )
        raise_for(outcome)
        return await self.payment(outcome.tx_id)

    async def charge(self, owner_id: int, merchant_id: int, body: ChargeIn, key: str) -> PaymentOut:
        """The merchant's till submits the payer's payment code and the amount."""
        svc = self.svc
        m = await self._owned(owner_id, merchant_id)
        fp = request_hash(
            {"op": "charge", "m": m.id, "code": body.code, "amount": body.amount, "note": body.note}
        )
        outcome = await svc.replay(owner_id, key, fp)
        if outcome is None:
            svc.check_amount(body.amount)
            throttle = f"wallet:paycode-fail:{m.id}"
            n, retry = await svc.limiter.count(throttle)
            if n >= 30:  # a till guessing codes
                raise TooManyRequests("Too many invalid payment codes.", retry_after=retry)
            try:
                payer_id, claim = await svc.paycodes.resolve(body.code)
            except PaymentCodeInvalid:
                await svc.limiter.hit(throttle, 60)
                raise
            if payer_id == m.owner_id:
                raise SelfPayment("You cannot pay your own merchant account.")
            until = svc.pins.locked_until(await svc.pins.state(payer_id))
            if until is not None:
                raise PinLocked(until)
            note = await svc.screen("message", body.note, owner_id, "note")
            outcome = await self._pay(
                payer_id, m, body.amount, note, "code", owner_id, key, fp, claim
            )
        raise_for(outcome)
        return await self.payment(outcome.tx_id)

    async def _pay(
        self,
        payer_id: int,
        m: Merchant,
        amount: int,
        note: str,
        via: str,
        scope: int,
        key: str,
        fp: str,
        claim: Counter | None = None,
        *,
        row: WalletUser | bool | None = False,
    ) -> Outcome:
        """`row`: the payer's wallet row if already read (see `daily_counter`)."""
        svc = self.svc
        wallet = await svc.wallet_account(payer_id)
        account = await svc.ledger.account(MERCHANT, m.id)
        event = {
            "payment_id": "$tx",
            "merchant_id": m.id,
            "merchant_name": m.name,
            "amount": amount,
            "via": via,
        }
        counters = (claim,) if claim else ()
        return await svc.ledger.submit(
            Op(
                "payment",
                ((wallet, -amount), (account, amount)),
                svc.ledger.now_us(),
                scope=scope,
                key=key,
                request_hash=fp,
                ref=f"merchant:{m.id}",
                memo=memo_text({"payer": payer_id, "merchant": m.id, "note": note, "via": via}),
                counters=(*counters, await svc.daily_counter(payer_id, amount, row)),
                notices=(
                    Notice((payer_id,), PAYMENT_MADE, event),
                    Notice((m.owner_id,), PAYMENT_RECEIVED, {**event, "payer_id": payer_id}),
                ),
            )
        )

    # -- payments, refunds, settlement -----------------------------------------------------

    async def payment(self, payment_id: int) -> PaymentOut:
        found = await self._payments([T.id == payment_id], limit=1)
        if not found:
            raise NotFound("No such payment.")
        return found[0]

    async def payments(
        self, owner_id: int, merchant_id: int, *, before: int | None = None, limit: int = 50
    ) -> PaymentListOut:
        m = await self._owned(owner_id, merchant_id)
        account = await self.svc.ledger.account(MERCHANT, m.id)
        where = [P.account_id == account]
        if before is not None:
            where.append(T.id < before)
        found = await self._payments(where, limit=limit + 1)
        page = found[:limit]
        return PaymentListOut(
            payments=page, next_before=page[-1].id if len(found) > limit else None
        )

    async def _payments(self, where: list[ColumnElement[bool]], *, limit: int) -> list[PaymentOut]:
        stmt = (
            select(T.id, T.memo, T.at_us, P.amount)
            .join(P, P.tx_id == T.id)
            .where(T.kind == "payment", P.amount > 0, *where)
            .order_by(T.id.desc())
            .limit(limit)
        )
        async with self.svc.db.read() as s:
            rows = (await s.execute(stmt)).all()
            memos = {int(r.id): json.loads(r.memo) for r in rows}
            refunded = dict(
                (
                    await s.execute(
                        select(LedgerCounter.key, LedgerCounter.used).where(
                            LedgerCounter.key.in_([f"refund:{i}" for i in memos])
                        )
                    )
                ).all()
            )
            wanted = {int(d["merchant"]) for d in memos.values()}
            found = await s.scalars(select(Merchant).where(Merchant.id.in_(wanted)))
            merchants = {m.id: m for m in found.all()}
        out = []
        for r in rows:
            memo = memos[int(r.id)]
            out.append(
                PaymentOut(
                    id=r.id,
                    merchant=public(merchants[memo["merchant"]]),
                    payer_id=memo["payer"],
                    amount=r.amount,
                    refunded=int(refunded.get(f"refund:{r.id}", 0)),
                    note=memo.get("note", ""),
                    via=memo.get("via", "qr"),
                    at=from_us(r.at_us),
                )
            )
        return out

    async def refund(self, owner_id: int, merchant_id: int, body: RefundIn, key: str) -> RefundOut:
        """Give back all or part of a payment to the payer's wallet."""
        svc = self.svc
        m = await self._owned(owner_id, merchant_id)
        account = await svc.ledger.account(MERCHANT, m.id)
        fp = request_hash(
            {"op": "refund", "m": m.id, "p": body.payment_id, "x": body.amount, "r": body.reason}
        )
        outcome = await svc.replay(owner_id, key, fp)
        if outcome is None:
            found = await self._payments(
                [T.id == body.payment_id, P.account_id == account], limit=1
            )
            if not found:
                raise NotFound("No such payment here.", fields={"payment_id": "unknown"})
            paid = found[0]
            if body.amount > paid.amount - paid.refunded:
                raise RefundTooLarge(
                    f"At most {paid.amount - paid.refunded} fen of this payment can be refunded."
                )
            reason = await svc.screen("message", body.reason, owner_id, "reason")
            payer_wallet = await svc.wallet_account(paid.payer_id)
            event = {
                "refund_id": "$tx",
                "payment_id": paid.id,
                "merchant_id": m.id,
                "merchant_name": m.name,
                "amount": body.amount,
            }
            outcome = await svc.ledger.submit(
                Op(
                    "refund",
                    ((account, -body.amount), (payer_wallet, body.amount)),
                    svc.ledger.now_us(),
                    scope=owner_id,
                    key=key,
                    request_hash=fp,
                    ref=f"payment:{paid.id}",
                    memo=memo_text(
                        {
                            "payment": paid.id,
                            "merchant": m.id,
                            "payer": paid.payer_id,
                            "note": reason,
                        }
                    ),
                    counters=(Counter(f"refund:{paid.id}", body.amount, paid.amount, REFUND_CAP),),
                    notices=(
                        Notice((paid.payer_id,), REFUND_RECEIVED, event),
                        Notice((owner_id,), REFUND_MADE, event),
                    ),
                )
            )
        raise_for(outcome)
        return RefundOut(
            id=outcome.tx_id,
            payment_id=body.payment_id,
            amount=body.amount,
            reason=await self._note_of(outcome.tx_id),
            at=from_us(outcome.at_us),
            payment=await self.payment(body.payment_id),
        )

    async def _note_of(self, tx_id: int) -> str:
        async with self.svc.db.read() as s:
            memo = await s.scalar(select(T.memo).where(T.id == tx_id))
        return str(json.loads(memo or "{}").get("note", ""))

    async def settle(
        self, owner_id: int, merchant_id: int, body: SettleIn, key: str, base_url: str
    ) -> MerchantOut:
        """Move takings from the merchant account to the owner's own wallet."""
        svc = self.svc
        m = await self._owned(owner_id, merchant_id)
        fp = request_hash({"op": "settle", "m": m.id, "amount": body.amount})
        outcome = await svc.replay(owner_id, key, fp)
        if outcome is None:
            svc.check_amount(body.amount)
            await svc.pins.verify(owner_id, body.pin)
            account = await svc.ledger.account(MERCHANT, m.id)
            outcome = await svc.ledger.submit(
                Op(
                    "settlement",
                    ((account, -body.amount), (await svc.wallet_account(owner_id), body.amount)),
                    svc.ledger.now_us(),
                    scope=owner_id,
                    key=key,
                    request_hash=fp,
                    ref=f"merchant:{m.id}",
                    memo=memo_text({"merchant": m.id, "owner": owner_id}),
                )
            )
        raise_for(outcome)
        return await self._out(m, base_url)

    async def settlements(
        self, owner_id: int, merchant_id: int, *, days: int = 30
    ) -> list[SettlementDayOut]:
        """Per day (wallet time zone), newest first: payments, gross, refunds and net."""
        m = await self._owned(owner_id, merchant_id)
        account = await self.svc.ledger.account(MERCHANT, m.id)
        tz = self.svc.tz
        first = self.svc.today() - dt.timedelta(days=days - 1)
        since = to_us(dt.datetime.combine(first, dt.time(), tzinfo=tz))
        async with self.svc.db.read() as s:
            rows = (
                await s.execute(
                    select(T.kind, T.at_us, P.amount)
                    .join(P, P.tx_id == T.id)
                    .where(
                        P.account_id == account,
                        T.at_us >= since,
                        T.kind.in_(("payment", "refund")),
                    )
                )
            ).all()
        days_: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0, 0])
        for r in rows:
            day = from_us(r.at_us).astimezone(tz).date()
            if r.kind == "payment":
                days_[day][0] += 1
                days_[day][1] += r.amount
            else:
                days_[day][2] += -r.amount
        return [
            SettlementDayOut(date=d, payments=v[0], gross=v[1], refunds=v[2], net=v[1] - v[2])
            for d, v in sorted(days_.items(), reverse=True)
        ]
