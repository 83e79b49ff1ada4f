"""Reading envelopes: who got what and when, and one's record of envelopes sent and received."""

from __future__ import annotations

from sqlalchemy import func, select

from hutong.chat import require_active
from hutong.core.clock import Clock
from hutong.core.db import Database
from hutong.core.errors import NotFound
from hutong.redpackets.models import RedEnvelope
from hutong.redpackets.models import RedEnvelopeShare as Share
from hutong.redpackets.schemas import EnvelopeBrief, EnvelopeOut, RecordOut, ShareOut


async def details(db: Database, clock: Clock, me: int, envelope_id: int) -> EnvelopeOut:
    """The envelope as members of its chat see it."""
    async with db.read() as s:
        env = await s.get(RedEnvelope, envelope_id)
        if env is None or env.seq is None:
            raise NotFound("No such red envelope.")
        await require_active(s, env.chat_id, me)
        rows = (
            await s.execute(
                select(Share.opener_id, Share.amount, Share.opened_at, Share.idx)
                .where(Share.envelope_id == envelope_id, Share.opener_id.is_not(None))
                .order_by(Share.opened_at, Share.idx)
            )
        ).all()
    opened = [
        ShareOut(user_id=int(r.opener_id), amount=int(r.amount), opened_at=r.opened_at)
        for r in rows
    ]
    luckiest: int | None = None
    if len(opened) == env.share_count and env.kind == "lucky" and opened:
        # Ties go to the earlier claim: `opened` is in claim order and max() keeps the first.
        best = max(range(len(opened)), key=lambda i: opened[i].amount)
        opened[best].luckiest = True
        luckiest = opened[best].user_id
    status = "open"
    if len(opened) == env.share_count:
        status = "all_taken"
    elif clock.now() >= env.expires_at or env.swept:
        status = "expired"
    return EnvelopeOut(
        id=env.id,
        chat_id=env.chat_id,
        seq=env.seq,
        sender_id=env.sender_id,
        kind=env.kind,
        total=env.total,
        shares=env.share_count,
        greeting=env.greeting,
        to_user_id=env.recipient_id,
        created_at=env.created_at,
        expires_at=env.expires_at,
        status=status,
        opened_count=len(opened),
        opened_amount=sum(o.amount for o in opened),
        refunded=env.refunded,
        my_amount=next((o.amount for o in opened if o.user_id == me), None),
        luckiest_user_id=luckiest,
        opened=opened,
    )


async def record(
    db: Database, me: int, direction: str, *, before: int | None = None, limit: int = 50
) -> RecordOut:
    """Envelopes I sent (`direction="sent"`) or opened ("received"), newest first."""
    async with db.read() as s:
        if direction == "sent":
            stmt = select(RedEnvelope, RedEnvelope.total).where(
                RedEnvelope.sender_id == me, RedEnvelope.seq.is_not(None)
            )
            total_stmt = select(func.coalesce(func.sum(RedEnvelope.total), 0)).where(
                RedEnvelope.sender_id == me, RedEnvelope.seq.is_not(None)
            )
        else:
            stmt = (
                select(RedEnvelope, Share.amount)
                .join(Share, Share.envelope_id == RedEnvelope.id)
                .where(Share.opener_id == me)
            )
            total_stmt = select(func.coalesce(func.sum(Share.amount), 0)).where(
                Share.opener_id == me
            )
        if before is not None:
            stmt = stmt.where(RedEnvelope.id < before)
        rows = (await s.execute(stmt.order_by(RedEnvelope.id.desc()).limit(limit + 1))).all()
        total = int(await s.scalar(total_stmt) or 0)
    page = [
        EnvelopeBrief(
            id=e.id,
            chat_id=e.chat_id,
            sender_id=e.sender_id,
            kind=e.kind,
            total=e.total,
            shares=e.share_count,
            greeting=e.greeting,
            created_at=e.created_at,
            amount=int(amount),
        )
        for e, amount in rows[:limit]
    ]
    more = len(rows) > limit
    return RecordOut(envelopes=page, total=total, next_before=page[-1].id if more else None)
