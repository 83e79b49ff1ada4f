"""Mini-program payments: orders created, paid and notified per second, and how soon the
developer's backend hears of a payment.

    python bench/miniapps.py [--pg [URL]] [--orders 3000] [--concurrency 64] [--users 64]

Service level (the `MiniApps` service of a built container, with the wallet and ledger it
uses, on a database of its own; no HTTP in front of Hutong): one developer with one app whose
declared domain is 127.0.0.1 (the operator's switch for private webhook targets is on, as in
the demo), `--users` users with a PIN and money, each known to the app by an openid. Then
`--orders` orders, `--concurrency` at a time (asyncio tasks), each:

1. the developer's backend creates the order (`payments.create_order`, its own order number
   and the notify URL);
2. the user pays it from the pay sheet (`payments.pay` with the PIN: the PIN check — argon2
   with the cheap test profile, as every benchmark here uses —, the wallet's merchant
   payment, the order marked paid and its webhook queued in one transaction);
3. the webhook task signs the notification (HMAC and Ed25519) and POSTs it to the developer's
   backend: a small Starlette app under uvicorn in a subprocess (pinned to CPU 1 when
   `taskset` exists) that checks the Ed25519 signature against the published platform key
   and answers 204.

* `orders_per_s` — orders from the first create until the backend has received every
  notification (goal ≥ 300);
* `notify_p99_ms` — the 99th percentile of webhook received (the backend's clock) minus the
  moment the payment was committed (`pay` answered: the order marked paid and its webhook
  queued, in one transaction) (goal ≤ 1,000 ms); `paid_at_to_received_p99_ms` counts from the
  order's `paid_at` instead, taken before that transaction waits for SQLite's write turn;
* `wallet_merchant_pay_alone` — for scale, the wallet's merchant payment by itself (the
  wallet's part of paying an order) at the same concurrency: its rate and CPU per payment;
* `pin_check_share` — the share of the run's wall time the PIN checks would take if run one
  after another (their measured CPU time per check × orders ÷ wall time), and
  `pin_check_production_ms`, one PIN check with the production argon2 profile, for scale.

With `--pg`, the same on PostgreSQL (`hutong_bench_miniapps`, dropped and created). Every run
ends with the ledger audit. Prints {"bench": "miniapps", "results": {...}, ...}.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c

c.ensure_venv()
sys.path.insert(0, str(c.ROOT / "src"))

from ledger import fresh_pg, fresh_sqlite, fund  # noqa: E402

from hutong.app import Container, build_container  # noqa: E402
from hutong.core.passwords import Hasher  # noqa: E402
from hutong.miniapps.schemas import AppIn, DeveloperIn, OrderIn  # noqa: E402
from hutong.settings import Settings  # noqa: E402
from hutong.wallet import audit  # noqa: E402
from hutong.wallet.schemas import PayIn  # noqa: E402

PG_DEFAULT = "postgresql+asyncpg://postgres@127.0.0.1:5432/hutong_bench_miniapps"
PIN = "258036"
PASSWORD = "bench password 1"  # noqa: S105 -- throwaway accounts in a throwaway database
AMOUNT = 1_280
T = TypeVar("T")


# -- the developer's backend (a subprocess) ---------------------------------------------------


def receiver_main(port: int, public_key: str) -> None:
    """Serve POST /notify (verify, note the delay) and GET /stats, until killed."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    from hutong.miniapps.webhooks import verify_ed25519

    delays_ms: list[float] = []  # received − the order's paid_at
    received: dict[str, float] = {}  # out_trade_no → when it arrived (unix seconds)
    bad = 0
    seen: set[str] = set()

    async def notify(request: Request) -> Response:
        nonlocal bad
        body = await request.body()
        now = time.time()
        if not verify_ed25519(public_key, dict(request.headers), body, now_s=now, seen_nonces=seen):
            bad += 1
            return Response(status_code=401)
        data = json.loads(body)
        if data.get("event") == "payment.succeeded":
            received[data["out_trade_no"]] = now
            paid = dt.datetime.fromisoformat(data["paid_at"]).timestamp()
            delays_ms.append((now - paid) * 1000)
        return Response(status_code=204)

    async def stats(_: Request) -> Response:
        return JSONResponse(
            {"received": len(received), "bad": bad, "delays_ms": delays_ms, "at": received}
        )

    async def reset(_: Request) -> Response:
        nonlocal bad
        delays_ms.clear()
        received.clear()
        bad = 0
        return Response(status_code=204)

    app = Starlette(
        routes=[
            Route("/notify", notify, methods=["POST"]),
            Route("/stats", stats),
            Route("/reset", reset, methods=["POST"]),
            Route("/", stats),
        ]
    )
    uvicorn.run(app, host="127.0.0.1", port=port, **c.UVICORN_KWARGS)


def start_receiver(public_key: str) -> c.Server:
    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix="hutong-bench-receiver-"))
    port = c.free_port()
    log_path = tmp / "receiver.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            c.pinned(
                [str(c.VENV_PY), __file__, "--receive", str(port), "--key", public_key],
                c.CLIENT_CPU,
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(c.ROOT / "src")},
        )
    server = c.Server("receiver", port, proc, log_path, tmp)
    try:
        c.wait_ready(server, "/")
    except BaseException:
        server.stop()
        raise
    return server


def receiver_stats(server: c.Server) -> dict[str, Any]:
    with urllib.request.urlopen(server.base + "/stats", timeout=10) as r:  # noqa: S310
        result: dict[str, Any] = json.loads(r.read())
        return result


def receiver_reset(server: c.Server) -> None:
    req = urllib.request.Request(server.base + "/reset", method="POST")  # noqa: S310
    with urllib.request.urlopen(req, timeout=10):  # noqa: S310
        pass


# -- Hutong at service level ------------------------------------------------------------------


async def _setup(box: Container, users: int) -> tuple[Any, list[tuple[int, str]]]:
    """A developer with an app on 127.0.0.1, and `users` paying users with their openids."""
    tag = os.getpid() % 100_000
    dev = await box.accounts.register(f"mdev_{tag}", PASSWORD, None, device_name="bench", ip="")
    svc = box.miniapps
    await svc.apps.register_developer(dev.me.id, DeveloperIn(name="Dumpling House"))
    created = await svc.apps.create(
        dev.me.id, AppIn(name="Dumpling House", category="food", domains=["127.0.0.1"])
    )
    app = await svc.apps.by_appid(created.appid)
    assert app is not None
    payers = []
    for i in range(users):
        new = await box.accounts.register(f"mpay{i}_{tag}", PASSWORD, None, device_name="b", ip="")
        uid = new.me.id
        await fund(box.wallet, uid, PIN, PASSWORD, 10_000_000)
        payers.append((uid, (await svc.payments.app_user(app.id, uid)).openid))
    return app, payers


async def _orders(
    box: Container,
    app: Any,
    payers: list[tuple[int, str]],
    n: int,
    conc: int,
    url: str,
    tag: str,
) -> dict[str, float]:
    """`n` orders made and paid, `conc` at a time; when each payment was committed (`pay`
    answered: the order marked paid and its webhook queued), by order number."""
    payments = box.miniapps.payments
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)
    committed: dict[str, float] = {}

    async def worker(w: int) -> None:
        uid, openid = payers[w % len(payers)]
        while not queue.empty():
            no = f"{tag}{queue.get_nowait()}"
            order = await payments.create_order(
                app,
                OrderIn(
                    out_trade_no=no,
                    openid=openid,
                    amount=AMOUNT,
                    description="2 × pork dumplings",
                    notify_url=url,
                ),
            )
            paid = await payments.pay(uid, order.prepay_id, PIN)
            committed[no] = time.time()
            assert paid.status == "paid", paid

    await asyncio.gather(*(worker(w) for w in range(conc)))
    return committed


async def _wait_received(receiver: c.Server, n: int, wait_s: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + wait_s
    while True:
        stats = await asyncio.to_thread(receiver_stats, receiver)
        if stats["received"] >= n or time.monotonic() > deadline:
            return stats
        await asyncio.sleep(0.02)


async def _wallet_alone(
    box: Container, app: Any, payers: list[tuple[int, str]], n: int, conc: int
) -> dict[str, float]:
    """The wallet's merchant payment by itself (PIN, ledger, notices) — the step of paying an
    order that belongs to the wallet — at the same concurrency: its rate and CPU per payment."""
    merchants = box.wallet.merchants
    dev = await box.miniapps.apps.developer(app.developer_id)
    token = (await merchants.get(dev.user_id, dev.merchant_id, "")).collect_qr.token
    left = list(range(n))

    async def worker(w: int) -> None:
        uid = payers[w % len(payers)][0]
        while left:
            i = left.pop()
            body = PayIn(qr_token=token, amount=AMOUNT, note="", pin=PIN)
            await merchants.pay(uid, body, f"bench-alone:{i}")

    cpu0, t0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(conc)))
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return {"per_s": round(n / wall, 1), "cpu_ms_per_payment": round(1000 * cpu / n, 2)}


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


async def pin_cost_ms(profile: str, n: int) -> float:
    """Milliseconds of one PIN check with `profile`, as `pay` awaits it (the argon2 verify in
    the hashing thread pool; median of `n` checks one after another)."""
    hasher = Hasher(profile)  # type: ignore[arg-type]
    stored = await hasher.hash(PIN)
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        assert await hasher.verify(stored, PIN)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


async def run(url: str, data_dir: Path, orders: int, conc: int, users: int) -> dict[str, Any]:
    settings = Settings(
        database_url=url,
        data_dir=data_dir,
        password_profile="test",  # noqa: S106 -- the cheap argon2 profile
        log_level="WARNING",
        secret_key="bench-secret",  # noqa: S106 -- a throwaway database
        wallet_sweep_interval_s=3600.0,
        redpacket_sweep_interval_s=3600.0,
        miniapp_webhook_allow_private=True,
    )
    box = build_container(settings)
    await box.start()
    receiver = start_receiver(box.miniapps.platform_key.published()["public_key"])
    try:
        app, payers = await _setup(box, users)
        notify_url = f"http://127.0.0.1:{receiver.port}/notify"
        c.note(f"warm-up: {min(200, orders)} orders")
        await _orders(box, app, payers, min(200, orders), conc, notify_url, "w")
        await _wait_received(receiver, min(200, orders))
        receiver_reset(receiver)

        c.note(f"{orders} orders, {conc} at a time")
        cpu0, t0 = time.process_time(), time.perf_counter()
        committed = await _orders(box, app, payers, orders, conc, notify_url, "o")
        paid_s = time.perf_counter() - t0
        stats = await _wait_received(receiver, orders)
        wall = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
        delays = [(at - committed[no]) * 1000 for no, at in stats["at"].items()]
        from_paid_at = stats["delays_ms"]
        if stats["received"] < orders or stats["bad"]:
            raise RuntimeError(f"webhooks: {stats['received']} of {orders}, {stats['bad']} bad")
        pin_ms = await pin_cost_ms("test", 200)
        c.note(f"for scale: {orders} wallet merchant payments alone, {conc} at a time")
        wallet_alone = await _wallet_alone(box, app, payers, orders, conc)
        await box.wallet.outbox.drain()
        report = await audit(box.db)
        return {
            "orders_per_s": round(orders / wall, 1),
            "notify_p50_ms": round(_pct(delays, 50), 1),
            "notify_p99_ms": round(_pct(delays, 99), 1),
            "notify_max_ms": round(max(delays), 1),
            "paid_at_to_received_p99_ms": round(_pct(from_paid_at, 99), 1),
            "orders": orders,
            "concurrency": conc,
            "users": users,
            "seconds": round(wall, 3),
            "paid_seconds": round(paid_s, 3),
            "bench_process_cpu_pct": round(100 * cpu / wall, 1),
            "cpu_ms_per_order": round(1000 * cpu / orders, 2),
            "wallet_merchant_pay_alone": wallet_alone,
            "pin_check_ms": round(pin_ms, 3),
            "pin_check_share": round(pin_ms / 1000 * orders / wall, 4),
            "audit": {
                "ok": report.ok,
                "transactions": report.transactions,
                "violations": report.violations[:3],
            },
        }
    finally:
        receiver.stop()
        await box.stop()


def on_loop(coro: Coroutine[Any, Any, T]) -> T:
    """Run on uvloop, the event loop `hutong serve` runs on (uvicorn's "auto" picks it)."""
    import uvloop

    return uvloop.run(coro)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--pg", nargs="?", const=PG_DEFAULT, default=None, metavar="URL")
    ap.add_argument("--orders", type=int, default=3000)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--users", type=int, default=64)
    ap.add_argument("--receive", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--key", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.receive:
        receiver_main(args.receive, args.key)
        return
    load = {"before": os.getloadavg()}
    results: dict[str, Any] = {}
    audits: dict[str, Any] = {}

    c.note("SQLite: create, pay (PIN) and notify")
    url, tmp = fresh_sqlite()
    sqlite = on_loop(run(url, tmp, args.orders, args.concurrency, args.users))
    results["orders_per_s"] = sqlite["orders_per_s"]
    results["notify_p99_ms"] = sqlite["notify_p99_ms"]
    audits["sqlite"] = sqlite.pop("audit")
    results["sqlite_detail"] = sqlite
    subprocess.run(["rm", "-rf", str(tmp)], check=False)

    if args.pg:
        c.note(f"PostgreSQL: the same on {args.pg.rsplit('/', 1)[-1]}")
        _, tmp = fresh_sqlite()  # only for its data directory
        pg = on_loop(run(fresh_pg(args.pg), tmp, args.orders, args.concurrency, args.users))
        results["pg_orders_per_s"] = pg["orders_per_s"]
        results["pg_notify_p99_ms"] = pg["notify_p99_ms"]
        audits["pg"] = pg.pop("audit")
        results["pg_detail"] = pg
        subprocess.run(["rm", "-rf", str(tmp)], check=False)

    results["pin_check_production_ms"] = round(asyncio.run(pin_cost_ms("production", 3)), 1)
    results["goals"] = {"orders_per_s": 300, "notify_p99_ms": 1_000}
    results["audit"] = audits
    results["audit_passed"] = all(a["ok"] for a in audits.values())
    load["after"] = os.getloadavg()
    c.emit(c.report("miniapps", results, loadavg=load))


if __name__ == "__main__":
    main()
