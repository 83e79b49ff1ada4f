"""Login and payments, for the app (through the host) and the developer's backend.

**Login.** The SDK's `login()` makes the host ask for a one-time code for this app
(`login_code`): 5 minutes, single use, stored as its SHA-256. The developer's backend
exchanges it (`session`) with its appid and secret for the user's **openid** (random, one per
app and user), **unionid** (one per developer and user: an HMAC of both ids under the server
key) and a fresh **session key**; the code is spent by a guarded update, so a replay, a code
of another app, a tampered or an expired code all fail the same way.

**Orders.** The backend creates an order for an openid with its own order number,
idempotent by that number (the same request again answers the same order; a different one
under the same number is 409). The user pays it from the host's pay sheet with their PIN:
the wallet's merchant payment into the developer's merchant account, with the idempotency
key `miniapp-order:<order id>`, so paying twice — also concurrently — moves money once. The
order is then marked paid by a guarded update, and the webhook is written in that same
transaction. A worker that stops between the two leaves a charged order unmarked: the
sweeper (`complete_charged`, run by the webhook task) finds the payment by its key and marks
and notifies the order; a retry of the pay sheet does the same, without charging again.
On SQLite, making an order and marking it paid are steps of the process's group commit
(`Database.group`, plain `sqlite3`) and the pay sheet reads the order on the reader thread;
on PostgreSQL they are SQLAlchemy transactions. A new notification is written leased to this
worker and handed to its sender after the commit (`Webhooks.hand_over`).

Refunds go through the wallet's merchant refunds (capped at what was paid, also under
concurrency), keyed by the developer's refund number. (A refund cut off the same way is
completed by the developer's retry, which the wallet answers from its key.)
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
import sqlite3
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from hutong.core.db import from_sqlite_time, sqlite_time
from hutong.core.errors import Expired, NotFound
from hutong.miniapps.errors import BadLoginCode, OrderAlreadyPaid, OrderNotPaid, OrderReused
from hutong.miniapps.models import (
    Developer,
    MiniApp,
    MiniAppLoginCode,
    MiniAppOrder,
    MiniAppRefund,
    MiniAppUser,
)
from hutong.miniapps.schemas import (
    LoginCodeOut,
    OrderIn,
    OrderOut,
    RefundIn,
    RefundOut,
    SessionOut,
    UserOrderOut,
)
from hutong.miniapps.service import sha256_hex
from hutong.miniapps.webhooks import LEASE_S, insert_webhook_sqlite
from hutong.wallet.schemas import PayIn, PaymentOut
from hutong.wallet.schemas import RefundIn as WalletRefundIn

if TYPE_CHECKING:
    from hutong.miniapps.service import MiniApps

MO = MiniAppOrder
log = logging.getLogger(__name__)
PAYEE_TTL_S = 10.0


def payment_key(order_id: int) -> str:
    """The wallet idempotency key of an order's payment (scoped to the paying user)."""
    return f"miniapp-order:{order_id}"


class Payments:
    def __init__(self, svc: MiniApps) -> None:
        self.svc = svc
        self._collect_qr: dict[int, str] = {}  # merchant id → its collect-money code
        self._payees: dict[int, tuple[float, MiniApp, Developer]] = {}  # app id → (when, …)

    # -- users as apps know them --------------------------------------------------------------

    def _insert(self) -> Any:
        return sqlite.insert if self.svc.db.is_sqlite else postgresql.insert

    async def _app_user(
        self, s: AsyncSession, app_id: int, user_id: int, now: dt.datetime
    ) -> MiniAppUser:
        stmt = (
            self._insert()(MiniAppUser)
            .values(
                app_id=app_id,
                user_id=user_id,
                openid="o" + secrets.token_urlsafe(21),
                created_at=now,
                last_used_at=now,
            )
            .on_conflict_do_nothing(index_elements=["app_id", "user_id"])
        )
        await s.execute(stmt)
        row = await s.get(MiniAppUser, (app_id, user_id), populate_existing=True)
        assert row is not None
        return row

    async def app_user(self, app_id: int, user_id: int, *, touch: bool = False) -> MiniAppUser:
        """The user's openid row for this app, made on first use; `touch` marks it recent."""
        now = self.svc.clock.now()
        async with self.svc.db.write() as uow:
            row = await self._app_user(uow.session, app_id, user_id, now)
            if touch:
                row.last_used_at = now
        return row

    def unionid(self, developer_id: int, user_id: int) -> str:
        return "u" + self.svc.signer.hmac_hex("miniapp-unionid", f"{developer_id}:{user_id}")[:31]

    # -- login ------------------------------------------------------------------------------

    async def login_code(self, user_id: int, appid: str) -> LoginCodeOut:
        """A one-time code the app hands to its backend, which trades it for the openid."""
        app = await self.svc.apps.by_appid(appid)
        if app is None or not await self._may_open(app, user_id):
            raise NotFound("No such mini-program.")
        code = secrets.token_urlsafe(24)
        expires = self.svc.clock.now() + dt.timedelta(seconds=self.svc.policy.login_code_ttl_s)
        async with self.svc.db.write() as uow:
            uow.session.add(
                MiniAppLoginCode(
                    code_hash=sha256_hex(code),
                    app_id=app.id,
                    user_id=user_id,
                    expires_at=expires,
                    used_at=None,
                )
            )
        return LoginCodeOut(code=code, expires_at=expires)

    async def _may_open(self, app: MiniApp, user_id: int) -> bool:
        if app.released_version_id is not None or app.developer_id == user_id:
            return True
        return await self.svc.apps.is_tester(app.id, user_id)

    async def session(self, app: MiniApp, code: str) -> SessionOut:
        """Spend a login code of this app: the user's openid, unionid and a new session key."""
        now = self.svc.clock.now()
        session_key = secrets.token_urlsafe(24)
        async with self.svc.db.write() as uow:
            s = uow.session
            spent = await s.execute(
                update(MiniAppLoginCode)
                .where(
                    MiniAppLoginCode.code_hash == sha256_hex(code),
                    MiniAppLoginCode.app_id == app.id,
                    MiniAppLoginCode.used_at.is_(None),
                    MiniAppLoginCode.expires_at > now,
                )
                .values(used_at=now)
                .returning(MiniAppLoginCode.user_id)
            )
            user_id = spent.scalar()
            if user_id is None:
                raise BadLoginCode("This login code is unknown, expired or already used.")
            row = await self._app_user(s, app.id, user_id, now)
            row.session_key_hash = sha256_hex(session_key)
        return SessionOut(
            openid=row.openid,
            unionid=self.unionid(app.developer_id, user_id),
            session_key=session_key,
        )

    # -- orders, for the developer's backend --------------------------------------------------

    async def create_order(self, app: MiniApp, body: OrderIn) -> OrderOut:
        """A payment order for one of the app's users; the same order number and request
        again answers the same order."""
        fingerprint = sha256_hex(
            json.dumps([body.openid, body.amount, body.description, body.notify_url])
        )
        now = self.svc.clock.now()

        def create(s: Session) -> tuple[MiniAppOrder, bool]:
            existing = s.scalar(
                select(MO).where(MO.app_id == app.id, MO.out_trade_no == body.out_trade_no)
            )
            if existing is not None:
                return existing, False
            self.svc.webhooks.check_allowed(app, body.notify_url, field="notify_url")
            self.svc.wallet.check_amount(body.amount)
            user_id = s.scalar(
                select(MiniAppUser.user_id).where(
                    MiniAppUser.app_id == app.id, MiniAppUser.openid == body.openid
                )
            )
            if user_id is None:
                raise NotFound("No user of this app has that openid.", fields={"openid": "unknown"})
            order = MO(
                app_id=app.id,
                out_trade_no=body.out_trade_no,
                prepay_id="wx" + secrets.token_urlsafe(18),
                request_hash=fingerprint,
                user_id=user_id,
                openid=body.openid,
                amount=body.amount,
                description=body.description,
                notify_url=body.notify_url,
                status="created",
                payment_id=None,
                refunded=0,
                created_at=now,
                paid_at=None,
            )
            s.add(order)
            return order, True

        if self.svc.db.is_sqlite:
            # The same, as a step of the process's group commit: orders made at the same
            # moment share one commit (steps run one after another, so the same number made
            # twice at once finds the first).
            order, new = await self.svc.db.group.submit(
                lambda conn: self._create_sqlite(conn, app, body, fingerprint, now)
            )
            return _order_out(app, order) if new else self._same(app, order, fingerprint)
        try:
            # One short transaction: the lookup, the checks and the insert.
            order, new = await self.svc.write_at_once(create)
        except IntegrityError:
            # The same order number made concurrently: answer as a retry would be answered.
            existing = await self._order(app.id, body.out_trade_no)
            assert existing is not None
            return self._same(app, existing, fingerprint)
        return _order_out(app, order) if new else self._same(app, order, fingerprint)

    def _create_sqlite(
        self,
        conn: sqlite3.Connection,
        app: MiniApp,
        body: OrderIn,
        fingerprint: str,
        now: dt.datetime,
    ) -> tuple[MiniAppOrder, bool]:
        """`create_order`'s transaction in plain `sqlite3`."""
        found = conn.execute(
            _SELECT_ORDER + "app_id = ? AND out_trade_no = ?", (app.id, body.out_trade_no)
        ).fetchone()
        if found is not None:
            return _order_from_row(found), False
        self.svc.webhooks.check_allowed(app, body.notify_url, field="notify_url")
        self.svc.wallet.check_amount(body.amount)
        user = conn.execute(
            "SELECT user_id FROM miniapp_users WHERE app_id = ? AND openid = ?",
            (app.id, body.openid),
        ).fetchone()
        if user is None:
            raise NotFound("No user of this app has that openid.", fields={"openid": "unknown"})
        row = (
            None,
            app.id,
            body.out_trade_no,
            "wx" + secrets.token_urlsafe(18),
            fingerprint,
            user[0],
            body.openid,
            body.amount,
            body.description,
            body.notify_url,
            "created",
            None,
            0,
            sqlite_time(now),
            None,
        )
        new = conn.execute(_INSERT_ORDER, row).fetchone()
        return _order_from_row((new[0], *row[1:])), True

    def _same(self, app: MiniApp, order: MiniAppOrder, fingerprint: str) -> OrderOut:
        if order.request_hash != fingerprint:
            raise OrderReused(
                "This order number was already used for a different order.",
                fields={"out_trade_no": "reused"},
            )
        return _order_out(app, order)

    async def _order(self, app_id: int, out_trade_no: str) -> MiniAppOrder | None:
        async with self.svc.db.read() as s:
            return await s.scalar(
                select(MO).where(MO.app_id == app_id, MO.out_trade_no == out_trade_no)
            )

    async def order(self, app: MiniApp, out_trade_no: str) -> OrderOut:
        found = await self._order(app.id, out_trade_no)
        if found is None:
            raise NotFound("No such order.")
        return _order_out(app, found)

    # -- paying, for the user in the host ------------------------------------------------------

    async def _user_order(
        self, user_id: int, prepay_id: str
    ) -> tuple[MiniAppOrder, MiniApp, Developer]:
        if self.svc.db.is_sqlite:
            order = await self.svc.db.quick_read(
                lambda conn: _order_by_prepay_id_sqlite(conn, prepay_id)
            )
        else:
            async with self.svc.db.read() as s:
                order = await s.scalar(select(MO).where(MO.prepay_id == prepay_id))
        if order is None or order.user_id != user_id:
            raise NotFound("No such order.")  # someone else's order reveals nothing
        app, dev = await self._payee(order.app_id)
        return order, app, dev

    async def _payee(self, app_id: int) -> tuple[MiniApp, Developer]:
        """An order's app and developer, as the pay sheet shows them: remembered for a few
        seconds (an app's name may show the old one that long after a rename; the money
        goes by the developer's merchant account, which never changes)."""
        now = time.monotonic()
        cached = self._payees.get(app_id)
        if cached is not None and now - cached[0] < PAYEE_TTL_S:
            return cached[1], cached[2]
        async with self.svc.db.read() as s:
            found = (
                await s.execute(
                    select(MiniApp, Developer)
                    .join(Developer, Developer.user_id == MiniApp.developer_id)
                    .where(MiniApp.id == app_id)
                )
            ).first()
        assert found is not None  # an order's app is never deleted
        if len(self._payees) > 1000:
            self._payees.clear()
        self._payees[app_id] = (now, found[0], found[1])
        return found[0], found[1]

    async def user_order(self, user_id: int, prepay_id: str) -> UserOrderOut:
        return _user_view(*await self._user_order(user_id, prepay_id))

    async def _developer(self, user_id: int) -> Developer:
        async with self.svc.db.read() as s:
            dev = await s.get(Developer, user_id)
        assert dev is not None  # apps are made by developers only
        return dev

    async def pay(self, user_id: int, prepay_id: str, pin: str) -> UserOrderOut:
        """Pay an order from the host's pay sheet: PIN, then the wallet's merchant payment."""
        order, app, dev = await self._user_order(user_id, prepay_id)
        if order.status != "created":
            raise OrderAlreadyPaid("This order is already paid.")
        payment = await self._charge(user_id, order, dev, pin)
        # The money has moved. Should this worker stop before the order is marked, the
        # sweeper (`complete_charged`) finds the payment by its key and marks it instead.
        if not await self._mark_paid(order, app, payment.id, self.svc.clock.now()):
            # Marked already: by a concurrent retry of this same payment, or by the sweeper.
            async with self.svc.db.read() as s:
                current = await s.get(MO, order.id)
            if current is None or current.payment_id != payment.id:
                raise OrderAlreadyPaid("This order is already paid.")
            order = current
        return _user_view(order, app, dev)

    async def _charge(
        self, user_id: int, order: MiniAppOrder, dev: Developer, pin: str
    ) -> PaymentOut:
        """The wallet's merchant payment into the developer's account, keyed by the order.
        The merchant's collect-money code is remembered; when the developer has replaced it
        since, the wallet refuses the old one and the new one is fetched."""
        merchants = self.svc.wallet.merchants
        for fresh in (False, True):
            token = None if fresh else self._collect_qr.get(dev.merchant_id)
            if token is None:
                token = (await merchants.get(dev.user_id, dev.merchant_id, "")).collect_qr.token
                self._collect_qr[dev.merchant_id] = token
            body = PayIn(qr_token=token, amount=order.amount, note="", pin=pin)
            try:
                return await merchants.pay(user_id, body, payment_key(order.id))
            except Expired:
                if fresh:
                    raise
        raise AssertionError("unreachable")

    async def _mark_paid(
        self, order: MiniAppOrder, app: MiniApp, payment_id: int, now: dt.datetime
    ) -> bool:
        """Mark a charged order paid and queue its webhook, in one transaction; False when
        it was marked already (the guarded update lets exactly one caller notify)."""
        hook = self.svc.webhooks.row(
            app,
            order.notify_url,
            "payment.succeeded",
            {
                "out_trade_no": order.out_trade_no,
                "openid": order.openid,
                "amount": order.amount,
                "payment_id": payment_id,
                "paid_at": now.isoformat(),
            },
        )

        # Leased to this process when it has room to send at once: handed straight to the
        # sender after the commit, with no claim. Should the process stop first, the lease
        # lapses and any worker's delivery task claims it as usual.
        webhooks = self.svc.webhooks
        leased = webhooks.has_room()
        if leased:
            hook.next_at = hook.created_at + dt.timedelta(seconds=LEASE_S)

        def mark(s: Session) -> int | None:
            marked = s.execute(
                update(MO)
                .where(MO.id == order.id, MO.status == "created")
                .values(status="paid", payment_id=payment_id, paid_at=now)
            )
            if not marked.rowcount:  # type: ignore[attr-defined]
                return None
            s.add(hook)
            s.flush()
            return hook.id

        def mark_sqlite(conn: sqlite3.Connection) -> int | None:
            marked = conn.execute(
                "UPDATE miniapp_orders SET status = 'paid', payment_id = ?, paid_at = ? "
                "WHERE id = ? AND status = 'created'",
                (payment_id, sqlite_time(now), order.id),
            )
            if marked.rowcount != 1:
                return None
            return insert_webhook_sqlite(conn, hook)

        if self.svc.db.is_sqlite:
            hook_id = await self.svc.db.group.submit(mark_sqlite)
        else:
            hook_id = await self.svc.write_at_once(mark)
        if hook_id is None:
            return False
        order.status, order.payment_id, order.paid_at = "paid", payment_id, now
        if leased:
            webhooks.hand_over(hook_id, app, hook.url, hook.body)
        else:
            await webhooks.kick()
        return True

    async def complete_charged(self, *, grace_s: float = 30.0, page: int = 200) -> int:
        """The crash gap's sweeper: orders the wallet charged but that were never marked paid
        (the worker stopped, or the database failed, between the two) are marked paid and
        notified now, as `pay` would have done. Returns how many.

        Candidates are unpaid orders made more than `grace_s` ago (younger ones are most
        likely being paid right now) and recent enough that the wallet still keeps
        idempotency keys; each is looked up by its key `miniapp-order:<id>`, one read per
        page. Should the sweeper meet a payment still in flight, the guarded update lets one
        of them mark and notify, and `pay` answers "paid" either way."""
        now = self.svc.clock.now()
        since = now - dt.timedelta(seconds=self.svc.wallet.policy.idempotency_ttl_s)
        until = now - dt.timedelta(seconds=grace_s)
        after, done = 0, 0
        while True:
            async with self.svc.db.read() as s:
                rows = (
                    await s.execute(
                        select(MO, MiniApp)
                        .join(MiniApp, MiniApp.id == MO.app_id)
                        .where(
                            MO.status == "created",
                            MO.id > after,
                            MO.created_at >= since,
                            MO.created_at <= until,
                        )
                        .order_by(MO.id)
                        .limit(page)
                    )
                ).all()
                charged = []
                for order, app in rows:
                    found = await self.svc.wallet.ledger.lookup(
                        order.user_id, payment_key(order.id), session=s
                    )
                    if found is not None and found[1].ok:
                        charged.append((order, app, found[1].tx_id))
            for order, app, payment_id in charged:
                payment = await self.svc.wallet.merchants.payment(payment_id)
                if await self._mark_paid(order, app, payment.id, payment.at):
                    log.warning("order %s was charged but not marked paid: completed", order.id)
                    done += 1
            if len(rows) < page:
                return done
            after = rows[-1][0].id

    # -- refunds, for the developer's backend --------------------------------------------------

    async def refund(self, app: MiniApp, out_trade_no: str, body: RefundIn) -> RefundOut:
        """Give back all or part of a paid order, once per refund number."""
        order = await self._order(app.id, out_trade_no)
        if order is None:
            raise NotFound("No such order.")
        if order.status != "paid" or order.payment_id is None:
            raise OrderNotPaid("Only a paid order can be refunded.")
        dev = await self._developer(app.developer_id)
        done = await self.svc.wallet.merchants.refund(
            dev.user_id,
            dev.merchant_id,
            WalletRefundIn(payment_id=order.payment_id, amount=body.amount, reason=body.reason),
            f"miniapp-refund:{app.id}:{body.out_refund_no}",
        )
        now = self.svc.clock.now()
        async with self.svc.db.write() as uow:
            s = uow.session
            row = await s.get(MO, order.id, with_for_update=True, populate_existing=True)
            assert row is not None
            row.refunded = max(row.refunded, done.payment.refunded)
            new = await s.execute(
                self._insert()(MiniAppRefund)
                .values(
                    app_id=app.id,
                    order_id=order.id,
                    out_refund_no=body.out_refund_no,
                    amount=body.amount,
                    refund_tx_id=done.id,
                    created_at=now,
                )
                .on_conflict_do_nothing(index_elements=["app_id", "out_refund_no"])
            )
            if new.rowcount:  # type: ignore[attr-defined]
                self.svc.webhooks.enqueue(
                    uow,
                    app,
                    row.notify_url,
                    "refund.succeeded",
                    {
                        "out_trade_no": row.out_trade_no,
                        "out_refund_no": body.out_refund_no,
                        "amount": body.amount,
                        "refund_id": done.id,
                        "refunded_total": row.refunded,
                    },
                )
        return RefundOut(
            out_refund_no=body.out_refund_no,
            out_trade_no=out_trade_no,
            amount=body.amount,
            refund_id=done.id,
            order=_order_out(app, row),
        )


# An order's columns in plain `sqlite3`, in `_order_from_row`'s order.
_SELECT_ORDER = (
    "SELECT id, app_id, out_trade_no, prepay_id, request_hash, user_id, openid, amount, "
    "description, notify_url, status, payment_id, refunded, created_at, paid_at "
    "FROM miniapp_orders WHERE "
)
_INSERT_ORDER = (
    "INSERT INTO miniapp_orders (id, app_id, out_trade_no, prepay_id, request_hash, user_id, "
    "openid, amount, description, notify_url, status, payment_id, refunded, created_at, "
    "paid_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"
)


def _order_from_row(r: Sequence[Any]) -> MiniAppOrder:
    """An order read (or written) in plain `sqlite3` in `_SELECT_ORDER`'s order, detached."""
    return MO(
        id=r[0],
        app_id=r[1],
        out_trade_no=r[2],
        prepay_id=r[3],
        request_hash=r[4],
        user_id=r[5],
        openid=r[6],
        amount=r[7],
        description=r[8],
        notify_url=r[9],
        status=r[10],
        payment_id=r[11],
        refunded=r[12],
        created_at=from_sqlite_time(r[13]),
        paid_at=from_sqlite_time(r[14]),
    )


def _order_by_prepay_id_sqlite(conn: sqlite3.Connection, prepay_id: str) -> MiniAppOrder | None:
    found = conn.execute(_SELECT_ORDER + "prepay_id = ?", (prepay_id,)).fetchone()
    return None if found is None else _order_from_row(found)


def _user_view(order: MiniAppOrder, app: MiniApp, dev: Developer) -> UserOrderOut:
    return UserOrderOut(
        prepay_id=order.prepay_id,
        appid=app.appid,
        app_name=app.name,
        payee=dev.name,
        amount=order.amount,
        description=order.description,
        status=order.status,
        payment_id=order.payment_id,
    )


def _order_out(app: MiniApp, o: MiniAppOrder) -> OrderOut:
    return OrderOut(
        appid=app.appid,
        out_trade_no=o.out_trade_no,
        prepay_id=o.prepay_id,
        openid=o.openid,
        amount=o.amount,
        description=o.description,
        status=o.status,
        payment_id=o.payment_id,
        refunded=o.refunded,
        created_at=o.created_at,
        paid_at=o.paid_at,
    )
