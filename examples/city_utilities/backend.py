"""City Utilities' own backend: bills for electricity, water and gas, paid through Hutong. A
separate process that talks to Hutong only through the public server API.

    python examples/city_utilities/backend.py
    (env: HUTONG_URL, APPID, APP_SECRET, PORT, PUBLIC_URL; optional DB_PATH)

    POST /api/login                  {code} from hutong.login() → {token, openid}
    GET  /api/bills/{account}        this month's bill of an account
    POST /api/bills/{account}/pay    a payment with Hutong's prepay_id (409 if already paid)
    GET  /api/payments               my payments
    GET  /api/payments/{id}          one of my payments; once paid, the receipt
    POST /api/payments/{id}/check    ask Hutong whether it is paid (after requestPayment)
    POST /notify                     Hutong's signed webhooks

A bill is paid once. Two people may each open a payment for the same bill (a household whose
members both pay it); Hutong charges both, and the one confirmed second is refunded in full
through Hutong's refund API, retried until Hutong takes it, also after a restart. That payment
shows as refunded, with no receipt.

An account number has 10 digits: the first names the service (1 electricity, 2 water, 3 gas)
and the last is a Luhn check digit, so a mistyped number is refused rather than billed. The
amount is derived from the account number alone (a stand-in for meter readings), here on the
server: the page never says how much to pay.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import secrets
import sys
import time
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from devkit import (
    ApiError,
    Config,
    HutongApiError,
    Shop,
    build_app,
    serve,
)

log = logging.getLogger("city_utilities")
DEFAULT_PORT = 9102
# service: (name, unit, fen per unit, lowest usage, usage range)
SERVICES = {
    "1": ("Electricity", "kWh", 56, 60, 540),
    "2": ("Water", "m³", 370, 4, 36),
    "3": ("Gas", "m³", 290, 8, 72),
}
HOLDERS = ["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS payments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    out_trade_no TEXT NOT NULL UNIQUE,
    openid TEXT NOT NULL,
    account TEXT NOT NULL,
    period TEXT NOT NULL,
    amount INTEGER NOT NULL,
    prepay_id TEXT,
    state TEXT NOT NULL,            -- new | created | paid | failed | refunding | refunded
    paid_at REAL,
    payment_id INTEGER,
    refund_id INTEGER,
    receipt_no TEXT,
    confirmed_by TEXT,              -- webhook | query
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS payments_bill ON payments (account, period, state);
CREATE INDEX IF NOT EXISTS payments_openid ON payments (openid, id);
"""


def luhn_ok(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def check_account(account: str) -> str:
    account = account.strip().replace(" ", "")
    if len(account) != 10 or not account.isascii() or not account.isdigit():
        raise ApiError(422, "bad-account", "An account number has 10 digits.")
    if account[0] not in SERVICES:
        raise ApiError(422, "bad-account", "No such service: the number starts with 1, 2 or 3.")
    if not luhn_ok(account):
        raise ApiError(422, "bad-account", "That account number is mistyped (check digit).")
    return account


def current_period(now: float | None = None) -> str:
    """Bills are for the last full month."""
    today = dt.datetime.fromtimestamp(time.time() if now is None else now, dt.UTC).date()
    last = today.replace(day=1) - dt.timedelta(days=1)
    return f"{last.year:04d}-{last.month:02d}"


def bill_of(account: str, period: str) -> dict[str, Any]:
    """The bill: usage and amount derived from the account number alone."""
    name, unit, rate, low, spread = SERVICES[account[0]]
    digest = hashlib.sha256(account.encode()).digest()
    usage = low + int.from_bytes(digest[:4], "big") % spread
    year, month = map(int, period.split("-"))
    due = dt.date(year + month // 12, month % 12 + 1, 25)
    return {
        "account": account,
        "service": name,
        "holder": HOLDERS[digest[4] % len(HOLDERS)] + " **",
        "address": f"No. {1 + digest[5] % 98} Hutong Lane, Unit {1 + digest[6] % 6}",
        "period": period,
        "usage": usage,
        "unit": unit,
        "rate": rate,
        "amount": usage * rate,
        "due": due.isoformat(),
    }


class CityUtilities(Shop):
    what = "payment"

    def __init__(self, config: Config) -> None:
        super().__init__(config, SCHEMA)
        columns = {r["name"] for r in self.db.execute("PRAGMA table_info(payments)")}
        if "refund_id" not in columns:  # a database from before refunds
            self.db.execute("ALTER TABLE payments ADD COLUMN refund_id INTEGER")
        self._refunds: dict[str, asyncio.Task[None]] = {}

    # -- the page's API ----------------------------------------------------------------------

    async def bill(self, request: Request) -> Response:
        self.sessions.openid(request)
        account = check_account(request.path_params["account"])
        bill = bill_of(account, current_period())
        paid = self._paid(account, bill["period"])
        bill["status"] = "paid" if paid else "unpaid"
        bill["receipt"] = self._out(paid) if paid else None
        return JSONResponse(bill)

    async def pay(self, request: Request) -> Response:
        openid = self.sessions.openid(request)
        account = check_account(request.path_params["account"])
        bill = bill_of(account, current_period())
        if self._paid(account, bill["period"]) is not None:
            raise ApiError(409, "already-paid", "This bill is already paid.")
        # Paying again after closing the pay sheet reuses the open order.
        open_one = self.db.execute(
            "SELECT * FROM payments WHERE openid = ? AND account = ? AND period = ?"
            " AND state = 'created' ORDER BY id DESC LIMIT 1",
            (openid, account, bill["period"]),
        ).fetchone()
        if open_one is not None:
            return JSONResponse(self._out(open_one))
        out_trade_no = f"CU{bill['period'].replace('-', '')}{account}{secrets.token_hex(4)}"
        cur = self.db.execute(
            "INSERT INTO payments (out_trade_no, openid, account, period, amount, state,"
            " created_at) VALUES (?, ?, ?, ?, ?, 'new', ?)",
            (out_trade_no, openid, account, bill["period"], bill["amount"], time.time()),
        )
        payment_id = int(cur.lastrowid or 0)
        description = f"City Utilities: {bill['service']} {bill['period']}, account {account}"
        try:
            made = await self.hutong.create_order(
                out_trade_no, openid, bill["amount"], description, self.config.notify_url
            )
        except HutongApiError as exc:
            log.warning("payment %s refused by Hutong: %s", out_trade_no, exc)
            self.db.execute("UPDATE payments SET state = 'failed' WHERE id = ?", (payment_id,))
            raise ApiError(502, "payment-unavailable", "Payment could not be set up.") from exc
        self.db.execute(
            "UPDATE payments SET prepay_id = ?, state = 'created' WHERE id = ? AND state = 'new'",
            (made["prepay_id"], payment_id),
        )
        return JSONResponse(self._out(self._row(payment_id, openid)), status_code=201)

    async def my_payments(self, request: Request) -> Response:
        openid = self.sessions.openid(request)
        rows = self.db.execute(
            "SELECT * FROM payments WHERE openid = ?"
            " AND state IN ('created', 'paid', 'refunding', 'refunded')"
            " ORDER BY id DESC LIMIT 20",
            (openid,),
        ).fetchall()
        return JSONResponse({"payments": [self._out(r) for r in rows]})

    async def payment(self, request: Request) -> Response:
        return JSONResponse(
            self._out(self._row(self.path_id(request), self.sessions.openid(request)))
        )

    # -- Hutong's payments (the webhook and `check` are the kit's Shop) ------------------------

    def _mark_paid(self, out_trade_no: str, amount: int, payment_id: int, via: str) -> None:
        """Idempotent: the first confirmation of the right amount issues the receipt, unless
        the bill was paid by another payment meanwhile; then this one is refunded. (No await
        between the read and the writes: this process's handlers cannot interleave here.)"""
        row = self.db.execute(
            "SELECT * FROM payments WHERE out_trade_no = ? AND amount = ?"
            " AND state IN ('new', 'created')",
            (out_trade_no, amount),
        ).fetchone()
        if row is None:
            log.info("payment for %s (%s fen) changed nothing", out_trade_no, amount)
            return
        if self._paid(row["account"], row["period"]) is not None:
            self.db.execute(
                "UPDATE payments SET state = 'refunding', paid_at = ?, payment_id = ?,"
                " confirmed_by = ? WHERE id = ?",
                (time.time(), payment_id, via, row["id"]),
            )
            log.info(
                "bill %s %s was already paid: refunding %s",
                row["account"],
                row["period"],
                out_trade_no,
            )
            self._refund_soon(out_trade_no, amount)
            return
        self.db.execute(
            "UPDATE payments SET state = 'paid', paid_at = ?, payment_id = ?, confirmed_by = ?,"
            " receipt_no = 'CU' || replace(period, '-', '') || '-' || substr('00000' || id, -6)"
            " WHERE id = ?",
            (time.time(), payment_id, via, row["id"]),
        )

    # -- refunds of bills paid twice -----------------------------------------------------------

    def _refund_soon(self, out_trade_no: str, amount: int) -> None:
        if out_trade_no not in self._refunds:
            task = asyncio.get_running_loop().create_task(self._refund(out_trade_no, amount))
            self._refunds[out_trade_no] = task
            task.add_done_callback(lambda _: self._refunds.pop(out_trade_no, None))

    async def _refund(self, out_trade_no: str, amount: int) -> None:
        """Until Hutong takes it, however long that is: the refund is keyed by the order, so a
        retry (or a second process after a restart) cannot refund twice."""
        delay = 1.0
        while True:
            try:
                done = await self.hutong.refund(
                    out_trade_no, "R" + out_trade_no, amount, "This bill was already paid"
                )
            except HutongApiError as exc:
                # Refused for now (the shop's balance too low, a secret being rotated) or
                # failed: the payer is owed it either way, so keep trying (slowly if refused).
                log.error("refund of %s failed, retrying: %s", out_trade_no, exc)
                if exc.status < 500:
                    delay = max(delay, 60.0)
            except ApiError as exc:  # Hutong unreachable
                log.warning("refund of %s failed, retrying: %s", out_trade_no, exc.message)
            else:
                self.db.execute(
                    "UPDATE payments SET state = 'refunded', refund_id = ?"
                    " WHERE out_trade_no = ? AND state = 'refunding'",
                    (done["refund_id"], out_trade_no),
                )
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, 300.0)

    async def _resume_refunds(self) -> None:
        for row in self.db.execute(
            "SELECT out_trade_no, amount FROM payments WHERE state = 'refunding'"
        ).fetchall():
            self._refund_soon(row["out_trade_no"], row["amount"])

    async def _stop(self) -> None:
        for task in list(self._refunds.values()):
            task.cancel()
        await self.hutong.aclose()

    # -- helpers -----------------------------------------------------------------------------

    def _paid(self, account: str, period: str) -> Any:
        return self.db.execute(
            "SELECT * FROM payments WHERE account = ? AND period = ? AND state = 'paid'"
            " ORDER BY id LIMIT 1",
            (account, period),
        ).fetchone()

    def _row(self, payment_id: int, openid: str) -> Any:
        row = self.db.execute(
            "SELECT * FROM payments WHERE id = ? AND openid = ?", (payment_id, openid)
        ).fetchone()
        if row is None:
            raise ApiError(404, "no-such-payment", "No such payment.")
        return row

    @staticmethod
    def _out(row: Any) -> dict[str, Any]:
        bill = bill_of(row["account"], row["period"])
        paid_at = row["paid_at"]
        return {
            "id": row["id"],
            "out_trade_no": row["out_trade_no"],
            "account": row["account"],
            "service": bill["service"],
            "period": row["period"],
            "amount": row["amount"],
            "prepay_id": row["prepay_id"],
            "status": {"paid": "paid", "refunding": "refunding", "refunded": "refunded"}.get(
                row["state"], "unpaid"
            ),
            "receipt_no": row["receipt_no"],
            "paid_at": (
                dt.datetime.fromtimestamp(paid_at, dt.UTC).isoformat(timespec="seconds")
                if paid_at
                else None
            ),
            "confirmed_by": row["confirmed_by"],
        }

    def app(self) -> Starlette:
        return build_app(
            [
                Route("/api/login", self.login, methods=["POST"]),
                Route("/api/bills/{account}", self.bill),
                Route("/api/bills/{account}/pay", self.pay, methods=["POST"]),
                Route("/api/payments", self.my_payments),
                Route("/api/payments/{id}", self.payment),
                Route("/api/payments/{id}/check", self.check, methods=["POST"]),
                Route("/notify", self.notify, methods=["POST"]),
            ],
            on_close=self._stop,
            on_start=self._resume_refunds,
        )


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="city_utilities %(levelname)s %(message)s")
    utilities = CityUtilities(Config.from_env(DEFAULT_PORT))
    serve(utilities.app(), utilities.config)


if __name__ == "__main__":
    main()
