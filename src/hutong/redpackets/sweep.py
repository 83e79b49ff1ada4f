"""After 24 h what is left of an envelope returns to its sender, and the audit of envelopes.

The sweep asks for every envelope past its expiry that is not yet swept (so it catches up after
downtime) and, for each: marks its unclaimed shares `returned` in one guarded update (a claim
racing it takes a row first or finds none), pays any claimed share whose payment was lost to a
crash (keyed by the share, so never twice), refunds the returned shares' sum with a ledger op
keyed by the envelope, and marks it swept. Every step is guarded or keyed, so several workers
may sweep at once: one of them moves the money, the others replay its answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import case, func, select, update

from hutong.core.db import Database
from hutong.redpackets.models import RedEnvelope, RedEnvelopeShare
from hutong.wallet import Ledger
from hutong.wallet.ledger import Notice, Op, memo_text

if TYPE_CHECKING:
    from hutong.redpackets.service import RedPackets

Share = RedEnvelopeShare


async def expire_due(rp: RedPackets, limit: int = 500) -> int:
    """Sweep every envelope past its expiry; the number refunded."""
    from hutong.redpackets.service import REFUNDED, Meta, share_key

    now = rp.clock.now()
    async with rp.db.read() as s:
        due = list(
            (
                await s.scalars(
                    select(RedEnvelope)
                    .where(RedEnvelope.swept.is_(False), RedEnvelope.expires_at <= now)
                    .order_by(RedEnvelope.expires_at)
                    .limit(limit)
                )
            ).all()
        )
    refunded = 0
    for env in due:
        if env.pay_tx_id is None:
            found = await rp.ledger.lookup(env.sender_id, env.client_key)
            if found is None or not found[1].ok:  # never paid: nothing to give back
                async with rp.db.write() as uow:
                    await uow.session.execute(
                        update(RedEnvelope).where(RedEnvelope.id == env.id).values(swept=True)
                    )
                continue
            env.account_id = await rp.ledger.account("redpacket", env.id)
            rp._forget_account(env.id)
        assert env.account_id is not None
        async with rp.db.write() as uow:
            s = uow.session
            await s.execute(
                update(Share)
                .where(
                    Share.envelope_id == env.id,
                    Share.opener_id.is_(None),
                    Share.returned.is_(False),
                )
                .values(returned=True)
            )
            rows = (
                await s.execute(
                    select(Share.idx, Share.amount, Share.opener_id, Share.returned).where(
                        Share.envelope_id == env.id
                    )
                )
            ).all()
        meta = Meta(
            env.id,
            env.chat_id,
            env.sender_id,
            env.kind,
            env.share_count,
            env.recipient_id,
            env.account_id,
            env.expires_at,
        )
        for r in rows:
            if (
                r.opener_id is not None
                and await rp.ledger.lookup(0, share_key(env.id, r.idx)) is None
            ):
                await rp._pay(meta, int(r.opener_id), int(r.idx), int(r.amount))
        back = sum(int(r.amount) for r in rows if r.returned)
        tx_id: int | None = None
        if back:
            wallet = await rp.wallet.wallet_account(env.sender_id)
            outcome = await rp.ledger.submit(
                Op(
                    "redpacket.refund",
                    ((env.account_id, -back), (wallet, back)),
                    rp.ledger.now_us(),
                    key=f"redpacket-refund:{env.id}",
                    request_hash="refund",
                    ref=f"redpacket:{env.id}",
                    memo=memo_text({"envelope": env.id, "to": env.sender_id}),
                    notices=(
                        Notice(
                            (env.sender_id,),
                            REFUNDED,
                            {"envelope_id": env.id, "chat_id": env.chat_id, "amount": back},
                        ),
                    ),
                )
            )
            if not outcome.ok:
                raise RuntimeError(f"red envelope {env.id} refund refused: {outcome.error}")
            tx_id = outcome.tx_id
            refunded += not outcome.replayed
        async with rp.db.write() as uow:
            await uow.session.execute(
                update(RedEnvelope)
                .where(RedEnvelope.id == env.id)
                .values(swept=True, refunded=back, refund_tx_id=tx_id)
            )
    return refunded


@dataclass
class EnvelopeAudit:
    envelopes: int = 0
    violations: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    def as_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "envelopes": self.envelopes, "violations": self.violations[:20]}


async def audit(db: Database, ledger: Ledger, page: int = 2000) -> EnvelopeAudit:
    """Prove every envelope from its rows and the ledger: its shares add up to its total, no
    share is both opened and returned, and its ledger account holds exactly the total less
    what was opened and refunded (so every claimed share was paid, and paid once)."""
    report = EnvelopeAudit()
    last = 0
    while True:
        async with db.read() as s:
            envs = list(
                (
                    await s.scalars(
                        select(RedEnvelope)
                        .where(RedEnvelope.id > last)
                        .order_by(RedEnvelope.id)
                        .limit(page)
                    )
                ).all()
            )
            if not envs:
                return report
            ids = [e.id for e in envs]
            opened = Share.opener_id.is_not(None)
            sums = {
                int(r.envelope_id): r
                for r in (
                    await s.execute(
                        select(
                            Share.envelope_id,
                            func.count().label("n"),
                            func.sum(Share.amount).label("total"),
                            func.sum(case((opened, Share.amount), else_=0)).label("opened"),
                            func.sum(case((Share.returned, Share.amount), else_=0)).label("back"),
                            func.sum(case((opened & Share.returned, 1), else_=0)).label("both"),
                        )
                        .where(Share.envelope_id.in_(ids))
                        .group_by(Share.envelope_id)
                    )
                ).all()
            }
        balances = await ledger.balances(e.account_id for e in envs if e.account_id)
        for e in envs:
            report.envelopes += 1
            r = sums.get(e.id)
            name = f"red envelope {e.id}"
            if r is None or int(r.n) != e.share_count or int(r.total) != e.total:
                report.violations.append(f"{name}: its shares do not add up to its total")
                continue
            if int(r.both):
                report.violations.append(f"{name}: a share was both opened and returned")
            if e.pay_tx_id is None:
                if int(r.opened) or (e.account_id and balances.get(e.account_id, 0)):
                    report.violations.append(f"{name}: unpaid, yet money or opens exist")
                continue
            if e.refunded not in (0, int(r.back)) or (e.refunded and e.refund_tx_id is None):
                report.violations.append(f"{name}: refunded {e.refunded}, returned {r.back}")
            want = e.total - int(r.opened) - e.refunded
            have = balances.get(e.account_id or 0, 0)
            if have != want:
                report.violations.append(
                    f"{name}: its account holds {have}, but total − opened − refunded is {want}"
                )
        last = envs[-1].id
