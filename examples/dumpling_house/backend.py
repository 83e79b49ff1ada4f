"""Dumpling House's own backend: a separate process that talks to Hutong only through the
public server API, as any third-party developer's would.

    python examples/dumpling_house/backend.py
    (env: HUTONG_URL, APPID, APP_SECRET, PORT, PUBLIC_URL; optional DB_PATH, COOK_AFTER_S,
    READY_AFTER_S)

    POST /api/login          {code} from hutong.login() → {token, openid}
    GET  /api/menu           the menu, prices in fen
    POST /api/orders         {items: [{id, qty}]} → an order with Hutong's prepay_id
    GET  /api/orders         my recent orders
    GET  /api/orders/{id}    one of my orders: created → paid → cooking → ready
    POST /api/orders/{id}/check   ask Hutong whether it is paid (after requestPayment)
    POST /notify             Hutong's signed webhooks

The total is computed here from the menu; the page sends only dish ids and quantities. An
order is marked paid only by an authentic webhook or by Hutong's own answer to a query, and
only if the amount matches. The kitchen then works on timers: "cooking" COOK_AFTER_S after the
payment arrived, "ready" READY_AFTER_S after it (derived from the time of payment, so a restart
does not stall an order).
"""

from __future__ import annotations

import json
import logging
import os
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
    json_body,
    serve,
)

log = logging.getLogger("dumpling_house")
DEFAULT_PORT = 9101
MAX_LINES = 20
MAX_QTY = 50

MENU: list[dict[str, Any]] = [
    {"id": "pork", "name": "Pork & cabbage dumplings", "zh": "猪肉白菜水饺", "note": "12 pieces",
     "price": 1800},
    {"id": "sanxian", "name": "Three-treasure dumplings", "zh": "三鲜水饺",
     "note": "Shrimp, pork and chive · 12 pieces", "price": 2600},
    {"id": "mushroom", "name": "Mushroom & tofu dumplings", "zh": "香菇豆腐水饺",
     "note": "Vegan · 12 pieces", "price": 1600},
    {"id": "xlb", "name": "Xiaolongbao", "zh": "小笼包", "note": "Soup dumplings · 8 pieces",
     "price": 2200},
    {"id": "potstickers", "name": "Potstickers", "zh": "锅贴", "note": "Pan-fried · 10 pieces",
     "price": 2000},
    {"id": "cucumber", "name": "Smashed cucumber", "zh": "拍黄瓜", "note": "Garlic, black vinegar",
     "price": 900, "emoji": "🥒"},
    {"id": "tea", "name": "Jasmine tea", "zh": "茉莉花茶", "note": "A pot for two", "price": 500,
     "emoji": "🍵"},
]  # fmt: skip
PRICES = {dish["id"]: dish for dish in MENU}

SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    out_trade_no TEXT NOT NULL UNIQUE,
    openid TEXT NOT NULL,
    items TEXT NOT NULL,
    total INTEGER NOT NULL,
    prepay_id TEXT,
    state TEXT NOT NULL,            -- new | created | paid | failed
    paid_at REAL,                   -- when we learned of the payment (drives the kitchen)
    payment_id INTEGER,
    confirmed_by TEXT,              -- webhook | query
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_openid ON orders (openid, id);
"""


class DumplingHouse(Shop):
    what = "order"

    def __init__(self, config: Config, *, cook_after_s: float, ready_after_s: float) -> None:
        super().__init__(config, SCHEMA)
        self.cook_after_s = cook_after_s
        self.ready_after_s = ready_after_s

    # -- the page's API ----------------------------------------------------------------------

    async def menu(self, _: Request) -> Response:
        return JSONResponse({"shop": "Dumpling House", "currency": "CNY", "dishes": MENU})

    async def create_order(self, request: Request) -> Response:
        openid = self.sessions.openid(request)
        lines = _lines((await json_body(request)).get("items"))
        total = sum(PRICES[dish]["price"] * qty for dish, qty in lines)
        out_trade_no = f"DH{time.strftime('%Y%m%d')}{secrets.token_hex(6).upper()}"
        cur = self.db.execute(
            "INSERT INTO orders (out_trade_no, openid, items, total, state, created_at)"
            " VALUES (?, ?, ?, ?, 'new', ?)",
            (out_trade_no, openid, json.dumps(lines), total, time.time()),
        )
        order_id = int(cur.lastrowid or 0)
        description = "Dumpling House: " + ", ".join(
            f"{qty} × {PRICES[dish]['name']}" for dish, qty in lines
        )
        try:
            made = await self.hutong.create_order(
                out_trade_no, openid, total, description, self.config.notify_url
            )
        except HutongApiError as exc:
            log.warning("order %s refused by Hutong: %s", out_trade_no, exc)
            self.db.execute("UPDATE orders SET state = 'failed' WHERE id = ?", (order_id,))
            raise ApiError(502, "payment-unavailable", "Payment could not be set up.") from exc
        self.db.execute(
            "UPDATE orders SET prepay_id = ?, state = 'created' WHERE id = ? AND state = 'new'",
            (made["prepay_id"], order_id),
        )
        return JSONResponse(self._out(self._row(order_id, openid)), status_code=201)

    async def my_orders(self, request: Request) -> Response:
        openid = self.sessions.openid(request)
        rows = self.db.execute(
            "SELECT * FROM orders WHERE openid = ? AND state != 'failed' ORDER BY id DESC LIMIT 20",
            (openid,),
        ).fetchall()
        return JSONResponse({"orders": [self._out(r) for r in rows]})

    async def order(self, request: Request) -> Response:
        row = self._row(self.path_id(request), self.sessions.openid(request))
        return JSONResponse(self._out(row))

    # -- Hutong's payments (the webhook and `check` are the kit's Shop) ------------------------

    def _mark_paid(self, out_trade_no: str, amount: int, payment_id: int, via: str) -> None:
        """Idempotent: only the first confirmation counts, and only for the right amount."""
        cur = self.db.execute(
            "UPDATE orders SET state = 'paid', paid_at = ?, payment_id = ?, confirmed_by = ?"
            " WHERE out_trade_no = ? AND total = ? AND state IN ('new', 'created')",
            (time.time(), payment_id, via, out_trade_no, amount),
        )
        if not cur.rowcount:
            log.info("payment for %s (%s fen) changed nothing", out_trade_no, amount)

    # -- helpers -----------------------------------------------------------------------------

    def _row(self, order_id: int, openid: str) -> Any:
        row = self.db.execute(
            "SELECT * FROM orders WHERE id = ? AND openid = ?", (order_id, openid)
        ).fetchone()
        if row is None:
            raise ApiError(404, "no-such-order", "No such order.")
        return row

    def _out(self, row: Any) -> dict[str, Any]:
        status = row["state"]
        if status == "paid":
            waited = time.time() - row["paid_at"]
            if waited >= self.ready_after_s:
                status = "ready"
            elif waited >= self.cook_after_s:
                status = "cooking"
        return {
            "id": row["id"],
            "out_trade_no": row["out_trade_no"],
            "pickup": f"A{row['id'] % 1000:03d}",
            "items": [
                {
                    "id": dish,
                    "name": PRICES[dish]["name"],
                    "qty": qty,
                    "price": PRICES[dish]["price"],
                }
                for dish, qty in json.loads(row["items"])
            ],
            "total": row["total"],
            "prepay_id": row["prepay_id"],
            "status": status,
            "confirmed_by": row["confirmed_by"],
            "created_at": row["created_at"],
            "paid_at": row["paid_at"],
        }

    def app(self) -> Starlette:
        return build_app(
            [
                Route("/api/login", self.login, methods=["POST"]),
                Route("/api/menu", self.menu),
                Route("/api/orders", self.create_order, methods=["POST"]),
                Route("/api/orders", self.my_orders),
                Route("/api/orders/{id}", self.order),
                Route("/api/orders/{id}/check", self.check, methods=["POST"]),
                Route("/notify", self.notify, methods=["POST"]),
            ],
            on_close=self.hutong.aclose,
        )


def _lines(items: object) -> list[tuple[str, int]]:
    """The cart as (dish, quantity) pairs; prices and totals from the page are ignored."""
    if not isinstance(items, list) or not 0 < len(items) <= MAX_LINES:
        raise ApiError(422, "bad-cart", "The cart is empty or too long.")
    qty_of: dict[str, int] = {}
    for item in items:
        dish = item.get("id") if isinstance(item, dict) else None
        qty = item.get("qty") if isinstance(item, dict) else None
        if not isinstance(dish, str) or dish not in PRICES:
            raise ApiError(422, "bad-cart", f"There is no dish {str(dish)[:40]!r} on the menu.")
        if type(qty) is not int or not 0 < qty <= MAX_QTY:
            raise ApiError(422, "bad-cart", f"A quantity must be 1–{MAX_QTY}.")
        qty_of[dish] = qty_of.get(dish, 0) + qty
        if qty_of[dish] > MAX_QTY:
            raise ApiError(422, "bad-cart", f"A quantity must be 1–{MAX_QTY}.")
    return sorted(qty_of.items(), key=lambda line: list(PRICES).index(line[0]))


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="dumpling_house %(levelname)s %(message)s")
    house = DumplingHouse(
        Config.from_env(DEFAULT_PORT),
        cook_after_s=float(os.environ.get("COOK_AFTER_S", "8")),
        ready_after_s=float(os.environ.get("READY_AFTER_S", "20")),
    )
    serve(house.app(), house.config)


if __name__ == "__main__":
    main()
