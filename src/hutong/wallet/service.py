"""The wallet: what users do with money, on top of the ledger.

`WalletService` owns the parts — PIN (`pins.py`), bank (`banking.py`), transfers to friends
(`transfers.py`), merchants and refunds (`merchants.py`), payment codes (`paycodes.py`),
statements (`statements.py`) and the event outbox (`outbox.py`) — and the rules they share:

* **Idempotency.** Every money-moving call takes the client's key. The key is looked up first
  (a known key answers the stored outcome, or 409 if the request differs), then the request is
  checked and the op submitted carrying the key, so that concurrent duplicates are caught by the
  writer itself. Outcomes decided by the ledger — success, not enough money, over the daily
  limit, already accepted, over the refundable amount — are stored and replayed, errors
  included. Requests refused before reaching the ledger (bad input, not friends, wrong PIN)
  moved nothing and store nothing, so the client may fix the request and retry with the key.
* **Limits.** One operation may move at most `max_amount`; a user's outgoing money per day (in
  the wallet's time zone) is a guarded ledger counter capped by the smaller of the platform's
  and the user's own limit, checked in the same transaction as the money.
* **Background work** (`sweep`, every `sweep_interval_s`, on every worker): return expired
  transfers, reconcile bank operations left pending, forget idempotency keys after their
  retention, deliver the outbox. Each step is guarded in the database, so several workers may
  run it at once and a worker that was down catches up on its next sweep.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hutong.accounts import AccountService
from hutong.contacts import ContactsService
from hutong.core.clock import Clock
from hutong.core.content import ContentKind, ContentPolicy
from hutong.core.db import Database, from_sqlite_time
from hutong.core.passwords import Hasher
from hutong.core.qrcodes import QrRegistry
from hutong.core.ratelimit import RateLimiter
from hutong.core.signing import Signer
from hutong.realtime import SyncLog
from hutong.wallet.bank import BankGateway
from hutong.wallet.errors import (
    AmountTooLarge,
    DailyLimitExceeded,
    IdempotencyKeyReused,
    InsufficientFunds,
    NotPending,
    PaymentCodeExpired,
    RefundTooLarge,
)
from hutong.wallet.ledger import (
    HOLD_RESOLVED,
    INSUFFICIENT_FUNDS,
    KEY_REUSED,
    WALLET,
    Counter,
    Ledger,
    Outcome,
    lookup_sqlite,
)
from hutong.wallet.ledger.models import LedgerCounter, LedgerHold, LedgerIdempotency
from hutong.wallet.models import WalletUser
from hutong.wallet.outbox import Outbox
from hutong.wallet.pins import Pins
from hutong.wallet.schemas import WalletOut

log = logging.getLogger(__name__)

DAILY_LIMIT = "daily-limit"
REFUND_CAP = "refund-cap"
CODE_USED = "code-used"


@dataclass(frozen=True)
class Prepared:
    """What `WalletService.prepare` read: a replayed outcome, or the user's wallet row."""

    outcome: Outcome | None
    row: WalletUser | None


def _replayed(found: tuple[str, Outcome], fingerprint: str) -> Outcome:
    """A stored (request hash, outcome): the outcome if it answers this request."""
    stored_hash, outcome = found
    if stored_hash != fingerprint:
        raise IdempotencyKeyReused("This Idempotency-Key belongs to a different request.")
    return outcome


@dataclass(frozen=True)
class WalletPolicy:
    """Money rules, all from `HUTONG_WALLET_*` settings. Amounts in fen."""

    max_amount: int = 5_000_000
    daily_limit: int = 20_000_000
    withdraw_fee_bp: int = 10
    withdraw_fee_min: int = 10
    transfer_ttl_s: int = 24 * 3600
    pin_max_failures: int = 5
    pin_lock_s: int = 3 * 3600
    timezone: str = "Asia/Shanghai"
    bank_timeout_s: float = 10.0
    reconcile_after_s: int = 120
    idempotency_ttl_s: int = 48 * 3600
    sweep_interval_s: float = 5.0
    paycode_period_s: int = 60
    paycode_per_window: int = 5
    merchants_per_user: int = 10
    cards_per_user: int = 10


def raise_for(outcome: Outcome) -> None:
    """Turn a refused ledger outcome into its typed problem."""
    if outcome.ok:
        return
    error = outcome.error
    if error == INSUFFICIENT_FUNDS:
        raise InsufficientFunds("There is not enough money for this.")
    if error == DAILY_LIMIT:
        raise DailyLimitExceeded("This would pass your daily limit for outgoing money.")
    if error == HOLD_RESOLVED:
        raise NotPending("This was already settled.")
    if error == KEY_REUSED:
        raise IdempotencyKeyReused("This Idempotency-Key belongs to a different request.")
    if error == REFUND_CAP:
        raise RefundTooLarge("Refunds cannot add up to more than was paid.")
    if error == CODE_USED:
        raise PaymentCodeExpired("This payment code was already used.")
    raise RuntimeError(f"ledger refused an op: {error}")


class WalletService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        ledger: Ledger,
        hasher: Hasher,
        accounts: AccountService,
        contacts: ContactsService,
        sync_log: SyncLog,
        signer: Signer,
        limiter: RateLimiter,
        bank: BankGateway,
        policy: WalletPolicy,
        *,
        content: ContentPolicy,
        currency: str = "CNY",
    ) -> None:
        from hutong.wallet.banking import Banking
        from hutong.wallet.merchants import Merchants
        from hutong.wallet.paycodes import PayCodes
        from hutong.wallet.statements import Statements
        from hutong.wallet.transfers import Transfers

        self.db = db
        self.clock = clock
        self.ledger = ledger
        self.accounts = accounts
        self.contacts = contacts
        self.signer = signer
        self.limiter = limiter
        self.bank = bank
        self.policy = policy
        self.currency = currency
        self.content = content
        self.tz = ZoneInfo(policy.timezone)
        self.pins = Pins(
            db,
            clock,
            hasher,
            accounts.verify_password,
            max_failures=policy.pin_max_failures,
            lock_s=policy.pin_lock_s,
        )
        self.outbox = Outbox(db, sync_log)
        ledger.on_notices(self.outbox.kick)
        self.banking = Banking(self)
        self.transfers = Transfers(self)
        self.merchants = Merchants(self)
        self.paycodes = PayCodes(self)
        self.statements = Statements(self)
        self._sweeper: asyncio.Task[None] | None = None

    def register_qr(self, registry: QrRegistry) -> None:
        """Collect-money codes ("pay") resolve through the platform's `/api/qr/<token>`."""
        self.merchants.registry = registry
        registry.register("pay", self.merchants.resolve_qr)

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        self.outbox.start()
        if self._sweeper is None:
            self._sweeper = asyncio.create_task(self._sweep_forever(), name="wallet-sweeper")

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        await self.ledger.close()
        await self.outbox.stop()

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.policy.sweep_interval_s)
            try:
                await self.sweep()
            except Exception:
                log.exception("wallet sweep failed; trying again next time")

    async def sweep(self) -> dict[str, int]:
        """One round of background work; safe to run on several workers at once."""
        done = {
            "transfers_returned": await self.transfers.expire_due(),
            "bank_ops_settled": await self.banking.reconcile(
                older_than_s=self.policy.reconcile_after_s
            ),
            "keys_forgotten": await self._forget_keys(),
        }
        done["events_delivered"] = await self.outbox.drain()
        return done

    async def _forget_keys(self) -> int:
        ttl = max(self.policy.idempotency_ttl_s, 24 * 3600)  # promised: kept at least a day
        cutoff = self.ledger.now_us() - ttl * 1_000_000
        async with self.db.write() as uow:
            result = await uow.session.execute(
                delete(LedgerIdempotency).where(LedgerIdempotency.at_us < cutoff)
            )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    # -- shared rules --------------------------------------------------------------------

    async def wallet_account(self, user_id: int) -> int:
        return await self.ledger.account(WALLET, user_id)

    async def screen(self, kind: ContentKind, text: str, author_id: int, field: str) -> str:
        """User text the wallet stores (notes, reasons, shop names) passes the content policy;
        empty text skips it."""
        if not text:
            return text
        verdict = await self.content.check(kind, text, author_id=author_id)
        return verdict.publishable(field)

    def check_amount(self, amount: int) -> None:
        if amount > self.policy.max_amount:
            raise AmountTooLarge(self.policy.max_amount)

    async def prepare(
        self,
        user_id: int,
        key: str,
        fingerprint: str,
        check: Callable[[AsyncSession], Awaitable[None]] | None = None,
        *,
        check_sqlite: Callable[[sqlite3.Connection], None] | None = None,
    ) -> Prepared:
        """Everything a money-moving request reads before it moves money, in one read
        transaction (on SQLite each transaction through aiosqlite costs more than the ledger
        write itself): the idempotency key, then — only for a new key — the caller's checks
        (friendship, blocks…) and the user's PIN/limit row.

        On SQLite a caller whose checks have a plain-`sqlite3` twin (`check_sqlite`), or that
        has none, reads it all on the database's reader thread in plain statements."""
        if self.db.is_sqlite and (check is None or check_sqlite is not None):
            return await self.db.quick_read(
                lambda conn: self._prepare_sqlite(conn, user_id, key, fingerprint, check_sqlite)
            )
        async with self.db.read() as s:
            outcome = await self.replay(user_id, key, fingerprint, session=s)
            if outcome is not None:
                return Prepared(outcome, None)
            if check is not None:
                await check(s)
            return Prepared(None, await s.get(WalletUser, user_id))

    def _prepare_sqlite(
        self,
        conn: sqlite3.Connection,
        user_id: int,
        key: str,
        fingerprint: str,
        check: Callable[[sqlite3.Connection], None] | None,
    ) -> Prepared:
        found = lookup_sqlite(conn, user_id, key)
        if found is not None:
            return Prepared(_replayed(found, fingerprint), None)
        if check is not None:
            check(conn)
        row = conn.execute(
            "SELECT pin_hash, pin_failures, pin_locked_until, daily_limit, updated_at "
            "FROM wallet_users WHERE user_id = ?",
            (user_id,),
        ).fetchone()
        if row is None:
            return Prepared(None, None)
        return Prepared(
            None,
            WalletUser(
                user_id=user_id,
                pin_hash=row[0],
                pin_failures=row[1],
                pin_locked_until=from_sqlite_time(row[2]),
                daily_limit=row[3],
                updated_at=from_sqlite_time(row[4]),
            ),
        )

    async def replay(
        self, scope: int, key: str, fingerprint: str, *, session: AsyncSession | None = None
    ) -> Outcome | None:
        """The stored outcome of `key`, None if it is new; 409 if it named another request."""
        found = await self.ledger.lookup(scope, key, session=session)
        return None if found is None else _replayed(found, fingerprint)

    def today(self) -> dt.date:
        return self.clock.now().astimezone(self.tz).date()

    def day_key(self, user_id: int) -> str:
        return f"day:{user_id}:{self.today().isoformat()}"

    async def daily_limit(self, user_id: int) -> int:
        async with self.db.read() as s:
            own = await s.scalar(
                select(WalletUser.daily_limit).where(WalletUser.user_id == user_id)
            )
        return min(self.policy.daily_limit, own) if own else self.policy.daily_limit

    async def daily_counter(
        self, user_id: int, amount: int, row: WalletUser | bool | None = False
    ) -> Counter:
        """The guard on today's outgoing money, checked with the money in one transaction.
        Pass the user's row if it was already read (None: the user has none)."""
        if row is False:
            limit = await self.daily_limit(user_id)
        else:
            own = row.daily_limit if isinstance(row, WalletUser) else None
            limit = min(self.policy.daily_limit, own) if own else self.policy.daily_limit
        return Counter(self.day_key(user_id), amount, limit, DAILY_LIMIT)

    async def spent_today(self, user_id: int) -> int:
        async with self.db.read() as s:
            used = await s.scalar(
                select(LedgerCounter.used).where(LedgerCounter.key == self.day_key(user_id))
            )
        return int(used or 0)

    # -- the wallet itself ---------------------------------------------------------------

    async def overview(self, user_id: int, session_id: int) -> WalletOut:
        account = await self.ledger.find_account(WALLET, user_id)
        balance = await self.ledger.balance(account) if account else 0
        pin = await self.pins.state(user_id)
        async with self.db.read() as s:
            incoming = await s.scalar(
                select(func.count())
                .select_from(LedgerHold)
                .where(
                    LedgerHold.counterparty_id == user_id,
                    LedgerHold.kind == "transfer",
                    LedgerHold.status == "pending",
                )
            )
        return WalletOut(
            balance=balance,
            currency=self.currency,
            pin_set=pin is not None and pin.pin_hash is not None,
            pin_locked_until=self.pins.locked_until(pin),
            daily_limit=await self.daily_limit(user_id),
            spent_today=await self.spent_today(user_id),
            max_amount=self.policy.max_amount,
            incoming_pending=int(incoming or 0),
            paycode_enabled=await self.paycodes.enabled(session_id),
            withdraw_fee_bp=max(self.policy.withdraw_fee_bp, 0),
            withdraw_fee_min=max(self.policy.withdraw_fee_min, 0),
        )

    async def set_daily_limit(self, user_id: int, limit: int, pin: str) -> WalletOut:
        """A user may lower (or restore) their own daily limit, never above the platform's."""
        if limit > self.policy.daily_limit:
            raise AmountTooLarge(self.policy.daily_limit)
        await self.pins.verify(user_id, pin)
        async with self.db.write() as uow:
            row = await uow.session.get(WalletUser, user_id, with_for_update=True)
            assert row is not None  # verify() passed, so the row exists
            row.daily_limit = None if limit == self.policy.daily_limit else limit
            row.updated_at = self.clock.now()
        return await self.overview(user_id, 0)
