"""Red envelopes: send into a chat, open, see who got what.

**Sending** checks the chat and the limits, verifies the PIN, cuts the shares (`split.py`) and
stores them with the envelope, then moves the whole amount from the sender's wallet into the
envelope's own ledger account in one ledger op carrying the client's Idempotency-Key and the
daily-limit guard. Only once the money is there is the envelope posted into the chat as a
`red_envelope` message (`chat.append`, so it takes its place in the chat's order). A crash
between the payment and the message is finished by a retry with the same key, or refunded by
the expiry sweep; an envelope whose payment was refused is deleted.

**Opening** touches one share row: a guarded `UPDATE … WHERE id = (the first unclaimed share
… FOR UPDATE SKIP LOCKED)` that also refuses a member who already holds a share, backed by the
unique `(envelope_id, opener_id)`. Concurrent openers on any number of workers take different
rows, never wait on one counter, and can never take more than the shares that exist. Then one
ledger op pays the share from the envelope's account to the opener, keyed by the share, so it
happens once even if repeated. Refusals cost no read of their own: a claim that finds nothing
is explained by what its batch read in the same transaction (`claims.py`: who holds which
share, how many are free, whether the refused opener is still a member), and an envelope seen
to be fully taken is remembered by the process (that never changes back).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hutong.chat import (
    ChatDeps,
    ChatService,
    active_member_ids,
    append,
    get_chat,
    require_active,
)
from hutong.core.clock import Clock
from hutong.core.db import Database
from hutong.core.errors import Conflict, NotFound
from hutong.redpackets import reading, split
from hutong.redpackets.claims import Claimed, ClaimQueue, Refused
from hutong.redpackets.errors import (
    AllTaken,
    AlreadyOpened,
    AmountOutOfRange,
    EnvelopeExpired,
    NotForYou,
    RecipientNotInGroup,
    SharesOutOfRange,
    WrongChatKind,
)
from hutong.redpackets.models import RedEnvelope, RedEnvelopeShare
from hutong.redpackets.schemas import (
    DEFAULT_GREETING,
    EnvelopeOut,
    OpenOut,
    RecordOut,
    SendIn,
)
from hutong.redpackets.sweep import EnvelopeAudit, audit, expire_due
from hutong.wallet import WalletService
from hutong.wallet.ledger import Notice, Op, Outcome, memo_text, request_hash
from hutong.wallet.service import raise_for

log = logging.getLogger(__name__)

ACCOUNT_KIND = "redpacket"
OPENED = "redpacket.opened"
REFUNDED = "redpacket.refunded"
MESSAGE_KIND = "red_envelope"
# How long a chat's member list read by this process answers refusals of fully taken envelopes
# (a member removed meanwhile may be told "all taken" instead of "not found"; nothing moves).
MEMBER_TTL_S = 10.0
Share = RedEnvelopeShare


@dataclass(frozen=True)
class RedPacketPolicy:
    """Limits from `HUTONG_REDPACKET_*`; amounts in fen."""

    min_share: int = 1
    max_total: int = 20_000
    max_shares: int = 100
    ttl_s: int = 24 * 3600
    sweep_interval_s: float = 5.0


@dataclass(frozen=True)
class Meta:
    """What never changes about a sent envelope, cached per process."""

    id: int
    chat_id: int
    sender_id: int
    kind: str
    share_count: int
    recipient_id: int | None
    account_id: int
    expires_at: dt.datetime


def _meta_of(env: RedEnvelope) -> Meta:
    assert env.account_id is not None
    return Meta(
        env.id,
        env.chat_id,
        env.sender_id,
        env.kind,
        env.share_count,
        env.recipient_id,
        env.account_id,
        env.expires_at,
    )


def share_key(envelope_id: int, idx: int) -> str:
    return f"redpacket:{envelope_id}:{idx}"


class RedPackets:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        wallet: WalletService,
        chat_deps: ChatDeps,
        chats: ChatService,
        policy: RedPacketPolicy,
        *,
        cache_size: int = 10_000,
    ) -> None:
        self.db = db
        self.clock = clock
        self.wallet = wallet
        self.ledger = wallet.ledger
        self.chat_deps = chat_deps
        self.chats = chats
        self.policy = policy
        self._meta: OrderedDict[int, Meta] = OrderedDict()
        self._taken: OrderedDict[int, dict[int, int]] = OrderedDict()
        # chat → (until when, its active members): answers refusals without a read per opener.
        self._members: dict[int, tuple[float, frozenset[int]]] = {}
        self._member_reads: dict[int, asyncio.Future[frozenset[int]]] = {}
        self._loading: dict[int, asyncio.Future[Meta]] = {}
        self.claims = ClaimQueue(db)
        self._cache_size = cache_size
        self._sweeper: asyncio.Task[None] | None = None

    # -- sending -------------------------------------------------------------------------

    def _cut(self, body: SendIn) -> list[int]:
        p = self.policy
        group = body.kind in ("lucky", "normal")
        if not group and body.shares != 1:
            raise SharesOutOfRange(
                "Direct and exclusive envelopes have one share.", fields={"shares": "must be 1"}
            )
        if body.shares > p.max_shares:
            raise SharesOutOfRange(
                f"At most {p.max_shares} shares.", fields={"shares": f"at most {p.max_shares}"}
            )
        total = body.amount * body.shares if body.kind == "normal" else body.amount
        if total > p.max_total or total > self.wallet.policy.max_amount:
            limit = min(p.max_total, self.wallet.policy.max_amount)
            raise AmountOutOfRange(
                f"An envelope holds at most {limit} fen.",
                fields={"amount": f"total at most {limit}"},
                extra={"max_total": limit},
            )
        if total < body.shares * p.min_share:
            raise AmountOutOfRange(
                f"Each share must be at least {p.min_share} fen.",
                fields={"amount": f"at least {p.min_share} per share"},
                extra={"min_share": p.min_share},
            )
        if body.kind == "lucky":
            return split.lucky(total, body.shares, p.min_share)
        if body.kind == "normal":
            return split.equal(body.amount, body.shares)
        return [total]

    async def _check_chat(self, s: AsyncSession, me: int, chat_id: int, body: SendIn) -> int | None:
        """Authorise the send; the recipient of a direct or exclusive envelope."""
        member = await require_active(s, chat_id, me)
        chat = await get_chat(s, chat_id)
        await self.chats.check_may_send(s, chat, member)
        if body.kind == "direct":
            if chat.kind != "direct":
                raise WrongChatKind("A 1:1 envelope goes into a direct chat.")
            return next(int(x) for x in (chat.direct_key or "").split(":") if int(x) != me)
        if chat.kind != "group":
            raise WrongChatKind("Lucky, normal and exclusive envelopes go into a group.")
        if body.kind == "exclusive":
            to = body.to_user_id
            if to is None or to == me:
                raise RecipientNotInGroup(
                    "Name another member of the group.", fields={"to_user_id": "required"}
                )
            try:
                await require_active(s, chat_id, to)
            except Exception as exc:
                raise RecipientNotInGroup(
                    "That person is not in this group.", fields={"to_user_id": "not a member"}
                ) from exc
            return to
        if body.shares > chat.member_count:
            raise SharesOutOfRange(
                f"This group has {chat.member_count} members; at most that many shares.",
                fields={"shares": f"at most {chat.member_count}"},
            )
        return None

    async def send(self, me: int, chat_id: int, body: SendIn, key: str) -> EnvelopeOut:
        shares = self._cut(body)
        total = sum(shares)
        fp = request_hash(
            {
                "op": "redpacket",
                "chat": chat_id,
                "kind": body.kind,
                "amount": body.amount,
                "shares": body.shares,
                "greeting": body.greeting,
                "to": body.to_user_id,
            }
        )
        recipient: list[int | None] = [None]

        async def check(s: AsyncSession) -> None:
            recipient[0] = await self._check_chat(s, me, chat_id, body)

        ready = await self.wallet.prepare(me, key, fp, check)
        if ready.outcome is not None:  # a retry: the first answer, finishing what it started
            raise_for(ready.outcome)
            return await self._finish_retry(me, key)
        await self.wallet.pins.verify_row(me, body.pin, ready.row)
        greeting = body.greeting or DEFAULT_GREETING
        if body.greeting:
            greeting = await self.wallet.screen("message", greeting, me, "greeting")
        now = self.clock.now()
        try:
            async with self.db.write() as uow:
                env = RedEnvelope(
                    chat_id=chat_id,
                    sender_id=me,
                    client_key=key,
                    kind=body.kind,
                    total=total,
                    share_count=len(shares),
                    greeting=greeting,
                    recipient_id=recipient[0],
                    created_at=now,
                    expires_at=now + dt.timedelta(seconds=self.policy.ttl_s),
                    swept=False,
                    refunded=0,
                )
                uow.session.add(env)
                await uow.session.flush()
                uow.session.add_all(
                    Share(envelope_id=env.id, idx=i, amount=x, returned=False)
                    for i, x in enumerate(shares)
                )
                envelope_id = env.id
        except IntegrityError:  # a concurrent duplicate of this request holds the key
            return await self._finish_retry(me, key)
        account = await self.ledger.account(ACCOUNT_KIND, envelope_id)
        self._forget_account(envelope_id)
        src = await self.wallet.wallet_account(me)
        outcome = await self.ledger.submit(
            Op(
                "redpacket.send",
                ((src, -total), (account, total)),
                self.ledger.now_us(),
                scope=me,
                key=key,
                request_hash=fp,
                ref=f"redpacket:{envelope_id}",
                memo=memo_text({"envelope": envelope_id, "chat": chat_id, "from": me}),
                counters=(await self.wallet.daily_counter(me, total, ready.row),),
            )
        )
        if not outcome.ok:
            async with self.db.write() as uow:
                await uow.session.execute(
                    delete(RedEnvelope).where(
                        RedEnvelope.id == envelope_id, RedEnvelope.pay_tx_id.is_(None)
                    )
                )
            raise_for(outcome)
        await self._post(envelope_id, account, outcome)
        return await self.details(me, envelope_id)

    async def _finish_retry(self, me: int, key: str) -> EnvelopeOut:
        async with self.db.read() as s:
            env = await s.scalar(
                select(RedEnvelope).where(
                    RedEnvelope.sender_id == me, RedEnvelope.client_key == key
                )
            )
        if env is None:
            raise Conflict("This envelope is still being sent; try again in a moment.")
        if env.seq is None:
            found = await self.ledger.lookup(me, key)
            if found is None or not found[1].ok:
                raise Conflict("This envelope is still being sent; try again in a moment.")
            account = await self.ledger.account(ACCOUNT_KIND, env.id)
            self._forget_account(env.id)
            await self._post(env.id, account, found[1])
        return await self.details(me, env.id)

    async def _post(self, envelope_id: int, account: int, paid: Outcome) -> None:
        """Record the payment and put the envelope into the chat, once."""
        async with self.db.write() as uow:
            env = await uow.session.scalar(
                select(RedEnvelope).where(RedEnvelope.id == envelope_id).with_for_update()
            )
            assert env is not None
            if env.seq is not None:
                return
            env.account_id = account
            env.pay_tx_id = paid.tx_id
            body: dict[str, Any] = {
                "envelope_id": env.id,
                "kind": env.kind,
                "greeting": env.greeting,
                "shares": env.share_count,
                "to_user_id": env.recipient_id,
                "expires_at": env.expires_at.isoformat(),
            }
            msg = await append(
                self.chat_deps,
                uow,
                env.chat_id,
                sender_id=env.sender_id,
                kind=MESSAGE_KIND,
                body=body,
            )
            env.seq = msg.seq
            meta = _meta_of(env)
        self._remember(self._meta, envelope_id, meta)

    def _forget_account(self, envelope_id: int) -> None:
        # A settled envelope's account is never wanted again; envelopes keep their account id
        # in their own row, so the ledger's cache need not hold it.
        self.ledger.forget(ACCOUNT_KIND, envelope_id)

    # -- opening -------------------------------------------------------------------------

    async def _load_meta(self, envelope_id: int) -> Meta:
        meta = self._meta.get(envelope_id)
        if meta is not None:
            self._meta.move_to_end(envelope_id)
            return meta
        # One read per envelope however many open it at once (a new envelope is opened by
        # everyone in the same second).
        loading = self._loading.get(envelope_id)
        if loading is None:
            loading = asyncio.ensure_future(self._read_meta(envelope_id))
            self._loading[envelope_id] = loading
            loading.add_done_callback(lambda _: self._loading.pop(envelope_id, None))
        return await asyncio.shield(loading)

    async def _read_meta(self, envelope_id: int) -> Meta:
        async with self.db.read() as s:
            env = await s.get(RedEnvelope, envelope_id)
        if env is None or env.seq is None or env.account_id is None:
            raise NotFound("No such red envelope.")
        meta = _meta_of(env)
        self._remember(self._meta, envelope_id, meta)
        return meta

    def _remember(self, cache: OrderedDict[int, Any], key: int, value: Any) -> None:
        cache[key] = value
        if len(cache) > self._cache_size:
            cache.popitem(last=False)

    async def open(self, me: int, envelope_id: int) -> OpenOut:
        """Claim one share and be paid it; typed refusals otherwise (see the module doc)."""
        env = await self._load_meta(envelope_id)
        if env.recipient_id is not None and env.recipient_id != me:
            await self._refusal(env, me, for_someone_else=True)
        taken = self._taken.get(envelope_id)
        if taken is not None and me in await self._members_of(env.chat_id):
            # A fully taken envelope never changes: refused from memory, no database at all.
            if me in taken:
                raise AlreadyOpened(taken[me])
            raise AllTaken("Every share was taken.")
        now = self.clock.now()
        for _ in range(50):
            got = None if now >= env.expires_at else await self._claim(env, me, now)
            if isinstance(got, tuple):
                break
            if isinstance(got, Refused) and me in got.active:
                await self._refused(env, me, got)
            else:  # not a member, expired, or a claim that could not be written: read why
                await self._refusal(env, me)
            # Shares are left that the claim skipped while other claims held them locked, one
            # of which then rolled back: try again.
            await asyncio.sleep(0.001)
        else:
            raise Conflict("Too busy; try again.")
        idx, amount = got
        outcome = await self._pay(env, me, idx, amount)
        return OpenOut(envelope_id=envelope_id, amount=amount, opened_at=now, tx_id=outcome.tx_id)

    async def _members_of(self, chat_id: int) -> frozenset[int]:
        """The chat's active members as read at most `MEMBER_TTL_S` ago (one read per chat, not
        per opener, for refusals of fully taken envelopes)."""
        found = self._members.get(chat_id)
        if found is not None and found[0] > time.monotonic():
            return found[1]
        loading = self._member_reads.get(chat_id)
        if loading is None:
            loading = asyncio.ensure_future(self._read_members(chat_id))
            self._member_reads[chat_id] = loading
            loading.add_done_callback(lambda _: self._member_reads.pop(chat_id, None))
        return await asyncio.shield(loading)

    async def _read_members(self, chat_id: int) -> frozenset[int]:
        async with self.db.read() as s:
            ids = frozenset(await active_member_ids(s, chat_id))
        if len(self._members) > self._cache_size:
            self._members.clear()
        self._members[chat_id] = (time.monotonic() + MEMBER_TTL_S, ids)
        return ids

    async def _claim(self, env: Meta, me: int, now: dt.datetime) -> Claimed | Refused | None:
        return await self.claims.claim(env.id, env.chat_id, me, now)

    async def _refusal(self, env: Meta, me: int, *, for_someone_else: bool = False) -> None:
        """Why a claim found nothing: raise the matching problem (returns only if unclaimed
        shares are left, so the claim should be tried again)."""
        async with self.db.read() as s:
            await require_active(s, env.chat_id, me)
            if for_someone_else:
                raise NotForYou("Only the person it was sent to can open this envelope.")
            mine = (
                await s.execute(
                    select(Share.idx, Share.amount, Share.opened_at).where(
                        Share.envelope_id == env.id, Share.opener_id == me
                    )
                )
            ).first()
            counts = (
                await s.execute(
                    select(
                        func.count().filter(Share.opener_id.is_(None), Share.returned.is_(False)),
                        func.count().filter(Share.returned.is_(True)),
                    ).where(Share.envelope_id == env.id)
                )
            ).one()
            free, returned = int(counts[0]), int(counts[1])
            openers: dict[int, int] = {}
            if not free and not returned:
                rows = await s.execute(
                    select(Share.opener_id, Share.amount).where(Share.envelope_id == env.id)
                )
                openers = {int(r[0] or 0): int(r[1]) for r in rows}
        if mine is not None:
            await self._repair_if_stuck(env, me, int(mine.idx), int(mine.amount), mine.opened_at)
            raise AlreadyOpened(int(mine.amount))
        if returned or self.clock.now() >= env.expires_at:
            raise EnvelopeExpired("This envelope expired.")
        if not free:
            self._remember(self._taken, env.id, openers)
            raise AllTaken("Every share was taken.")

    async def _refused(self, env: Meta, me: int, seen: Refused) -> None:
        """Why a member's claim found nothing, from what the claim's own batch read (no read of
        its own); returns only if free shares are left, so the claim should be tried again."""
        mine = seen.openers.get(me)
        if mine is not None:
            idx, amount, opened_at = mine
            await self._repair_if_stuck(env, me, idx, amount, opened_at)
            raise AlreadyOpened(amount)
        if seen.returned or self.clock.now() >= env.expires_at:
            raise EnvelopeExpired("This envelope expired.")
        if not seen.free:
            openers = {opener: amount for opener, (_, amount, _) in seen.openers.items()}
            self._remember(self._taken, env.id, openers)
            raise AllTaken("Every share was taken.")

    def _pay_op(self, env: Meta, opener: int, wallet: int, idx: int, amount: int) -> Op:
        event = {
            "envelope_id": env.id,
            "chat_id": env.chat_id,
            "sender_id": env.sender_id,
            "opener_id": opener,
            "amount": amount,
        }
        to = (opener,) if opener == env.sender_id else (opener, env.sender_id)
        return Op(
            "redpacket.open",
            ((env.account_id, -amount), (wallet, amount)),
            self.ledger.now_us(),
            key=share_key(env.id, idx),
            request_hash=request_hash({"opener": opener, "amount": amount}),
            ref=f"redpacket:{env.id}",
            memo=memo_text({"envelope": env.id, "share": idx, "opener": opener}),
            notices=(Notice(to, OPENED, event),),
        )

    async def _pay(self, env: Meta, opener: int, idx: int, amount: int) -> Outcome:
        wallet = await self.wallet.wallet_account(opener)
        outcome = await self.ledger.submit(self._pay_op(env, opener, wallet, idx, amount))
        if not outcome.ok:  # the envelope's account always covers its claimed shares
            log.error("red envelope %s share %s not paid: %s", env.id, idx, outcome.error)
            raise RuntimeError(f"red envelope share not paid: {outcome.error}")
        return outcome

    async def _repair_if_stuck(
        self, env: Meta, me: int, idx: int, amount: int, opened_at: dt.datetime | None
    ) -> None:
        """A share claimed long ago but never paid (its worker died in between) is paid now,
        when its owner tries again; the share's key keeps this from paying twice."""
        if opened_at is None or self.clock.now() - opened_at < dt.timedelta(seconds=10):
            return
        if await self.ledger.lookup(0, share_key(env.id, idx)) is None:
            await self._pay(env, me, idx, amount)

    # -- reading -------------------------------------------------------------------------

    async def details(self, me: int, envelope_id: int) -> EnvelopeOut:
        """The envelope as members of its chat see it (`reading.py`)."""
        return await reading.details(self.db, self.clock, me, envelope_id)

    async def record(
        self, me: int, direction: str, *, before: int | None = None, limit: int = 50
    ) -> RecordOut:
        """Envelopes I sent (`direction="sent"`) or opened ("received"), newest first."""
        return await reading.record(self.db, me, direction, before=before, limit=limit)

    # -- background ----------------------------------------------------------------------

    async def start(self) -> None:
        if self._sweeper is None:
            self._sweeper = asyncio.create_task(self._sweep_forever(), name="redpacket-sweeper")

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.policy.sweep_interval_s)
            try:
                await self.sweep()
            except Exception:
                log.exception("red envelope sweep failed; trying again next time")

    async def sweep(self) -> int:
        """Refund every expired envelope (safe on several workers at once)."""
        return await expire_due(self)

    async def audit(self) -> EnvelopeAudit:
        return await audit(self.db, self.ledger)
