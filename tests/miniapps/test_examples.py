"""The two example mini-programs end to end: `install_examples` registers, reviews and releases
them (idempotently), their backends run as separate processes (`example_processes`) against a
real Hutong, and the tests drive them over HTTP as their pages would — login code, order,
payment with the PIN through the user API, the signed webhook reaching the backend, the
kitchen's progress, the bill's receipt. Forged and replayed webhooks are refused."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import secrets
import stat
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from hutong.app import Container
from hutong.miniapps.demo import (
    DEVELOPER,
    EXAMPLES,
    REVIEWER,
    bundle_zip,
    example_icon,
    example_processes,
    install_examples,
    read_examples,
)
from hutong.miniapps.errors import BadAppCredentials
from hutong.miniapps.webhooks import signature, signing_key
from hutong.settings import Settings
from tests.conftest import free_port
from tests.helpers import Api, User
from tests.miniapps.util import basic
from tests.wallet.util import PIN, balance, wallet_user

Installed = dict[str, dict[str, Any]]


@pytest.fixture
def ports(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Free ports for the backends (other runs may hold 9101 and 9102)."""
    chosen = {e.key: free_port() for e in EXAMPLES}
    for key, port in chosen.items():
        monkeypatch.setenv(f"HUTONG_EXAMPLE_{key.upper()}_PORT", str(port))
    return chosen


@pytest.fixture
async def installed(container: Container, settings: Settings, ports: dict[str, int]) -> Installed:
    await install_examples(container, settings)
    return read_examples(settings.data_dir)


@dataclass
class Backends:
    """The examples' backends as separate processes, started as `hutong serve` starts them."""

    commands: dict[str, tuple[list[str], dict[str, str]]]
    logs: Path
    procs: dict[str, asyncio.subprocess.Process] = field(default_factory=dict)

    def url(self, key: str) -> str:
        return self.commands[key][1]["PUBLIC_URL"]

    async def start(self, key: str) -> None:
        cmd, env = self.commands[key]
        log = self.logs / f"{key}.log"
        with log.open("ab") as out:  # the child keeps its own copy of the descriptor
            self.procs[key] = await asyncio.create_subprocess_exec(
                *cmd, env={**env, **KITCHEN}, stdout=out, stderr=out
            )
        deadline = time.monotonic() + 20
        async with httpx.AsyncClient(timeout=2) as client:
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    await client.post(self.url(key) + "/notify", content=b"{}")  # it listens
                    return
                assert self.procs[key].returncode is None, f"the backend exited; see {log}"
                assert time.monotonic() < deadline, f"the backend did not start; see {log}"
                await asyncio.sleep(0.1)

    async def stop(self, key: str) -> None:
        proc = self.procs.pop(key)
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        await asyncio.wait_for(proc.wait(), 10)


KITCHEN = {"COOK_AFTER_S": "1.0", "READY_AFTER_S": "2.0"}


@pytest.fixture
async def backends(
    installed: Installed, settings: Settings, server: str, tmp_path: Path
) -> AsyncIterator[Backends]:
    processes = example_processes(settings, hutong_url=server)
    running = Backends({e.key: p for e, p in zip(EXAMPLES, processes, strict=True)}, tmp_path)
    try:
        for example in EXAMPLES:
            await running.start(example.key)
        yield running
    finally:
        for key in list(running.procs):
            await running.stop(key)


async def page_login(api: Api, page: httpx.AsyncClient, appid: str, user: User) -> dict[str, str]:
    """hutong.login() in the host, then the page hands the code to its backend."""
    r = await api.client.post(f"/miniapps/apps/{appid}/login", headers=user.headers)
    assert r.status_code == 200, r.text
    code = r.json()["code"]
    r = await page.post("/api/login", json={"code": code})
    assert r.status_code == 200, r.text
    again = await page.post("/api/login", json={"code": code})
    assert again.status_code == 401  # a code is spent once
    return {"Authorization": f"Bearer {r.json()['token']}"}


async def poll(
    page: httpx.AsyncClient,
    path: str,
    headers: dict[str, str],
    done: Callable[[dict[str, Any]], bool],
    timeout: float = 10.0,
) -> list[dict[str, Any]]:
    """Every answer of `path` until `done` holds (as the page polls)."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while True:
        r = await page.get(path, headers=headers)
        assert r.status_code == 200, r.text
        seen.append(r.json())
        if done(seen[-1]):
            return seen
        assert time.monotonic() < deadline, seen[-1]
        await asyncio.sleep(0.05)


async def pay(api: Api, user: User, prepay_id: str) -> None:
    r = await api.client.get(f"/miniapps/orders/{prepay_id}", headers=user.headers)
    assert r.status_code == 200, r.text
    r = await api.client.post(
        f"/miniapps/orders/{prepay_id}/pay", headers=user.headers, json={"pin": PIN}
    )
    assert r.status_code == 200, r.text


async def test_dumpling_house_order_is_paid_by_the_webhook_then_cooked(
    api: Api, installed: Installed, backends: Backends
) -> None:
    shop = installed["dumpling_house"]
    user = await wallet_user(api, balance=50_000)
    stranger = await wallet_user(api)
    async with httpx.AsyncClient(base_url=backends.url("dumpling_house"), timeout=10) as page:
        # The sandboxed page has an opaque origin: CORS allows it, without credentials.
        r = await page.options(
            "/api/orders",
            headers={
                "Origin": "null",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        assert r.status_code == 200
        assert r.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in r.headers

        me = await page_login(api, page, shop["appid"], user)
        menu = (await page.get("/api/menu")).json()["dishes"]
        price = {d["id"]: d["price"] for d in menu}
        assert (
            await page.post("/api/orders", json={"items": [{"id": "pork", "qty": 1}]})
        ).status_code == 401
        bad_carts: list[list[Any]] = [
            [],
            [{"id": "caviar", "qty": 1}],
            [{"id": "pork", "qty": 0}],
            [{"id": "pork", "qty": True}],
            [{"id": ["pork"], "qty": 1}],
            ["pork"],
        ]
        for bad in bad_carts:
            r = await page.post("/api/orders", headers=me, json={"items": bad})
            assert r.status_code == 422, (bad, r.text)

        # The page's own prices and totals are ignored: the backend prices the dishes.
        r = await page.post(
            "/api/orders",
            headers=me,
            json={
                "items": [{"id": "pork", "qty": 2, "price": 1}, {"id": "tea", "qty": 1}],
                "total": 1,
            },
        )
        assert r.status_code == 201, r.text
        order = r.json()
        expected = 2 * price["pork"] + price["tea"]
        assert (order["total"], order["status"]) == (expected, "created")
        sheet = await api.client.get(f"/miniapps/orders/{order['prepay_id']}", headers=user.headers)
        assert (sheet.json()["amount"], sheet.json()["app_name"]) == (expected, "Dumpling House")

        before = await balance(api, user)
        await pay(api, user, order["prepay_id"])
        path = f"/api/orders/{order['id']}"
        seen = await poll(page, path, me, lambda o: o["status"] == "ready")
        statuses = [o["status"] for o in seen]
        assert statuses == sorted(statuses, key=["created", "paid", "cooking", "ready"].index)
        assert {"paid", "cooking", "ready"} <= set(statuses)
        assert seen[-1]["confirmed_by"] == "webhook"  # not the page's fallback query
        assert await balance(api, user) == before - expected

        # Hutong agrees, and nobody else sees the order.
        r = await api.client.get(
            f"/miniapps/api/orders/{order['out_trade_no']}",
            headers=basic(shop["appid"], shop["secret"]),
        )
        assert (r.json()["status"], r.json()["amount"]) == ("paid", expected)
        other = await page_login(api, page, shop["appid"], stranger)
        assert (await page.get(path, headers=other)).status_code == 404
        for odd in ("²", "0x1", "9" * 40):
            assert (await page.get(f"/api/orders/{odd}", headers=me)).status_code == 404
        assert (await page.get("/api/orders", headers=other)).json()["orders"] == []
        assert [o["id"] for o in (await page.get("/api/orders", headers=me)).json()["orders"]] == [
            order["id"]
        ]


async def test_city_utilities_bill_payment_and_receipt(
    api: Api, installed: Installed, backends: Backends
) -> None:
    utility = installed["city_utilities"]
    user = await wallet_user(api, balance=100_000)
    async with httpx.AsyncClient(base_url=backends.url("city_utilities"), timeout=10) as page:
        me = await page_login(api, page, utility["appid"], user)
        assert (await page.get("/api/bills/1002081303")).status_code == 401
        for bad in (
            "123",
            "1002081304",
            "9002081307",
            "10020813030",
            "abcdefghij",
            "１００２０８１３０３",
        ):
            r = await page.get(f"/api/bills/{bad}", headers=me)
            assert (r.status_code, r.json()["error"]) == (422, "bad-account"), bad

        bill = (await page.get("/api/bills/2004162703", headers=me)).json()
        assert bill == (await page.get("/api/bills/2004162703", headers=me)).json()
        assert (bill["service"], bill["status"]) == ("Water", "unpaid")
        assert bill["amount"] == bill["usage"] * bill["rate"] > 0
        other = (await page.get("/api/bills/1002081303", headers=me)).json()
        assert other["service"] == "Electricity"

        r = await page.post("/api/bills/2004162703/pay", headers=me)
        assert r.status_code == 201, r.text
        payment = r.json()
        assert (payment["amount"], payment["status"]) == (bill["amount"], "unpaid")
        again = await page.post("/api/bills/2004162703/pay", headers=me)  # sheet closed, retried
        assert again.json()["prepay_id"] == payment["prepay_id"]

        before = await balance(api, user)
        await pay(api, user, payment["prepay_id"])
        seen = await poll(
            page, f"/api/payments/{payment['id']}", me, lambda p: p["status"] == "paid"
        )
        receipt = seen[-1]
        assert receipt["confirmed_by"] == "webhook"
        assert receipt["receipt_no"] == f"CU{bill['period'].replace('-', '')}-{payment['id']:06d}"
        assert receipt["amount"] == bill["amount"]
        assert receipt["paid_at"] is not None
        assert await balance(api, user) == before - bill["amount"]

        now = (await page.get("/api/bills/2004162703", headers=me)).json()
        assert (now["status"], now["receipt"]["receipt_no"]) == ("paid", receipt["receipt_no"])
        r = await page.post("/api/bills/2004162703/pay", headers=me)
        assert (r.status_code, r.json()["error"]) == (409, "already-paid")
        assert (await page.get("/api/payments/²", headers=me)).status_code == 404
        mine = (await page.get("/api/payments", headers=me)).json()["payments"]
        assert [p["receipt_no"] for p in mine] == [receipt["receipt_no"]]


async def test_a_bill_two_people_pay_at_once_is_paid_once_and_the_other_refunded(
    api: Api, installed: Installed, backends: Backends
) -> None:
    utility = installed["city_utilities"]
    people = [await wallet_user(api, balance=100_000) for _ in range(2)]
    async with httpx.AsyncClient(base_url=backends.url("city_utilities"), timeout=10) as page:
        signed = [await page_login(api, page, utility["appid"], u) for u in people]
        # Both open a payment before either pays (each is a Hutong order of its own).
        opened = [
            (await page.post("/api/bills/1002081303/pay", headers=me)).json() for me in signed
        ]
        assert opened[0]["prepay_id"] != opened[1]["prepay_id"]
        amount = opened[0]["amount"]
        before = [await balance(api, u) for u in people]
        await asyncio.gather(
            *(pay(api, u, o["prepay_id"]) for u, o in zip(people, opened, strict=True))
        )

        final = [
            (
                await poll(
                    page,
                    f"/api/payments/{o['id']}",
                    me,
                    lambda p: p["status"] in {"paid", "refunded"},
                )
            )[-1]
            for o, me in zip(opened, signed, strict=True)
        ]
        assert sorted(p["status"] for p in final) == ["paid", "refunded"]
        paid = next(i for i, p in enumerate(final) if p["status"] == "paid")
        refunded = 1 - paid
        assert final[refunded]["receipt_no"] is None
        # Money: the bill was paid once; the other payer has all of theirs back.
        assert await balance(api, people[paid]) == before[paid] - amount
        assert await balance(api, people[refunded]) == before[refunded]
        bill = (await page.get("/api/bills/1002081303", headers=signed[refunded])).json()
        assert (bill["status"], bill["receipt"]["id"]) == ("paid", final[paid]["id"])
        mine = (await page.get("/api/payments", headers=signed[refunded])).json()["payments"]
        assert [p["status"] for p in mine] == ["refunded"]
    # Hutong agrees: one order kept, the other refunded in full.
    auth = basic(utility["appid"], utility["secret"])
    for i, expected in ((paid, 0), (refunded, amount)):
        r = await api.client.get(f"/miniapps/api/orders/{final[i]['out_trade_no']}", headers=auth)
        assert r.json()["refunded"] == expected, r.text


async def test_no_input_makes_a_backend_fail(
    api: Api, installed: Installed, backends: Backends
) -> None:
    user = await wallet_user(api)
    junk = [
        ("POST", "/api/login", b"not json"),
        ("POST", "/api/login", b"[]"),
        ("POST", "/api/login", b'{"code": 5}'),
        ("POST", "/api/login", b'{"code": "not-a-code"}'),
        ("POST", "/api/login", b"\xff\xfe"),
        ("POST", "/api/orders", b'{"items": {"pork": 1}}'),
        ("POST", "/api/orders", b'{"items": [{"id": "pork", "qty": 1.5}]}'),
        ("POST", "/api/orders", b'{"items": [' + b'{"id": "tea", "qty": 1},' * 30 + b"{}]}"),
        ("POST", "/api/orders", b"null"),
        ("GET", "/api/orders/1", b""),
        ("POST", "/api/orders/1/check", b""),
        ("GET", "/api/bills/%00%00", b""),
        ("GET", "/api/bills/" + "1" * 300, b""),
        ("POST", "/api/bills/2004162703/pay", b"garbage"),
        ("POST", "/api/payments/1/check", b""),
        ("POST", "/notify", b"\x00" * 10),
        ("POST", "/notify", b""),
    ]
    for key, entry in installed.items():
        async with httpx.AsyncClient(base_url=backends.url(key), timeout=10) as page:
            me = await page_login(api, page, entry["appid"], user)
            for headers in (me, {}, {"Authorization": b"Bearer \xe9\xff"}):
                for method, path, body in junk:
                    r = await page.request(method, path, content=body, headers=headers)
                    assert r.status_code < 500, (key, method, path, body, r.text)


def _signed(secret: str, body: bytes, *, ts: int | None = None, nonce: str = "") -> dict[str, str]:
    """Headers as Hutong signs them (its own signing functions)."""
    stamp = str(int(time.time()) if ts is None else ts)
    nonce = nonce or secrets.token_urlsafe(12)
    return {
        "Content-Type": "application/json",
        "Hutong-Timestamp": stamp,
        "Hutong-Nonce": nonce,
        "Hutong-Signature": signature(signing_key(secret), stamp, nonce, body),
    }


def payment_event(appid: str, order: dict[str, Any], **changes: Any) -> bytes:
    """A "payment.succeeded" body for a Dumpling House order, as Hutong would send it."""
    body = {
        "event": "payment.succeeded",
        "appid": appid,
        "out_trade_no": order["out_trade_no"],
        "openid": "whoever",
        "amount": order["total"],
        "payment_id": 99,
        "paid_at": "2026-11-26T12:00:00+00:00",
        **changes,
    }
    return json.dumps(body).encode()


async def test_forged_stale_and_replayed_webhooks_are_refused(
    api: Api, installed: Installed, backends: Backends
) -> None:
    shop = installed["dumpling_house"]
    user = await wallet_user(api)
    async with httpx.AsyncClient(base_url=backends.url("dumpling_house"), timeout=10) as page:
        me = await page_login(api, page, shop["appid"], user)
        r = await page.post("/api/orders", headers=me, json={"items": [{"id": "xlb", "qty": 1}]})
        order = r.json()
        path = f"/api/orders/{order['id']}"

        def event(**changes: Any) -> bytes:
            return payment_event(shop["appid"], order, **changes)

        async def status() -> str:
            return str((await page.get(path, headers=me)).json()["status"])

        body = event()
        refusals = [
            (body, _signed("not-the-secret", body), "signature"),
            (body, {**_signed(shop["secret"], body), "Hutong-Signature": "0" * 64}, "signature"),
            (body, {"Content-Type": "application/json"}, "signature"),
            (event(amount=1), _signed(shop["secret"], body), "signature"),  # tampered after
            (body, _signed(shop["secret"], body, ts=int(time.time()) - 600), "stale"),
            (body, _signed(shop["secret"], body, ts=int(time.time()) + 600), "stale"),
            # Bytes beyond ASCII where digits and hex are expected: refused, not a 500.
            (body, {**_signed(shop["secret"], body), "Hutong-Timestamp": b"\xb2"}, "signature"),
            (
                body,
                {**_signed(shop["secret"], body), "Hutong-Signature": b"\xe9" * 64},
                "signature",
            ),
        ]
        for forged, headers, why in refusals:
            r = await page.post("/notify", content=forged, headers=headers)
            assert (r.status_code, r.json()["error"]) == (401, why)
        assert await status() == "created"

        # Authentic but for a different amount: acknowledged, and the order stays unpaid.
        wrong = event(amount=order["total"] - 1)
        r = await page.post("/notify", content=wrong, headers=_signed(shop["secret"], wrong))
        assert r.status_code == 200
        assert await status() == "created"

        headers = _signed(shop["secret"], body)
        r = await page.post("/notify", content=body, headers=headers)
        assert r.status_code == 200
        assert await status() == "paid"
        replay = await page.post("/notify", content=body, headers=headers)
        assert (replay.status_code, replay.json()["error"]) == (401, "replayed")
        # Idempotent: another authentic notification of the same payment changes nothing.
        r = await page.post("/notify", content=body, headers=_signed(shop["secret"], body))
        assert r.status_code == 200
        assert (await page.get(path, headers=me)).json()["confirmed_by"] == "webhook"


async def test_a_restarted_backend_keeps_orders_sessions_and_seen_nonces(
    api: Api, installed: Installed, backends: Backends
) -> None:
    shop = installed["dumpling_house"]
    user = await wallet_user(api, balance=10_000)
    url = backends.url("dumpling_house")
    async with httpx.AsyncClient(base_url=url, timeout=10) as page:
        me = await page_login(api, page, shop["appid"], user)
        r = await page.post("/api/orders", headers=me, json={"items": [{"id": "tea", "qty": 2}]})
        order = r.json()
        await pay(api, user, order["prepay_id"])
        path = f"/api/orders/{order['id']}"
        await poll(page, path, me, lambda o: o["status"] != "created")
        body = payment_event(shop["appid"], order)
        headers = _signed(shop["secret"], body)
        assert (await page.post("/notify", content=body, headers=headers)).status_code == 200

    await backends.stop("dumpling_house")
    await backends.start("dumpling_house")
    async with httpx.AsyncClient(base_url=url, timeout=10) as page:
        again = (await page.get(path, headers=me)).json()  # the same sign-in still works
        assert again["status"] in {"paid", "cooking", "ready"}
        assert again["confirmed_by"] == "webhook"
        replay = await page.post("/notify", content=body, headers=headers)
        assert (replay.status_code, replay.json()["error"]) == (401, "replayed")


async def test_install_examples_is_idempotent(
    container: Container,
    settings: Settings,
    ports: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    svc = container.miniapps
    assert example_processes(settings) == []
    await install_examples(container, settings)
    first = read_examples(settings.data_dir)
    path = settings.data_dir / "examples.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    await install_examples(container, settings)
    assert read_examples(settings.data_dir) == first

    dev = (await container.accounts.profiles_by_handle([DEVELOPER[0]]))[DEVELOPER[0]].id
    reviewer = (await container.accounts.profiles_by_handle([REVIEWER[0]]))[REVIEWER[0]].id
    assert (await container.accounts.me(reviewer)).role == "moderator"
    apps = await svc.apps.mine(dev)
    assert sorted((a.name, a.category) for a in apps) == [
        ("City Utilities", "utilities"),
        ("Dumpling House", "food"),
    ]
    icons: dict[str, str] = {}
    for example in EXAMPLES:
        entry = first[example.key]
        assert (entry["name"], entry["port"]) == (example.name, ports[example.key])
        await svc.apps.authenticate(entry["appid"], entry["secret"])
        versions = await svc.versions.of_app(dev, entry["appid"])
        assert [(v.version, v.status) for v in versions] == [("1.0.0", "released")]
        app = await svc.apps.get(dev, entry["appid"])
        assert app.domains == [f"127.0.0.1:{ports[example.key]}"]
        assert app.icon_url is not None  # drawn for it
        icons[example.key] = app.icon_url
    directory = await svc.apps.directory()
    assert {"Dumpling House", "City Utilities"} <= {a.name for a in directory}
    dumplings = next(a for a in directory if a.name == "Dumpling House")
    assert dumplings.permissions == ["payment", "share", "userInfo"]

    assert icons["dumpling_house"] != icons["city_utilities"]
    # An icon the developer chose is kept by a later install.
    mine = await svc.apps.set_icon(
        dev, first["city_utilities"]["appid"], example_icon(EXAMPLES[0]), 1 << 20
    )
    await install_examples(container, settings)
    assert (await svc.apps.get(dev, mine.appid)).icon_url == mine.icon_url

    # The secrets file lost: same apps, a fresh secret that works (the old one no longer).
    path.unlink()
    await install_examples(container, settings)
    second = read_examples(settings.data_dir)
    for example in EXAMPLES:
        old, new = first[example.key], second[example.key]
        assert new["appid"] == old["appid"]
        assert new["secret"] != old["secret"]
        await svc.apps.authenticate(new["appid"], new["secret"])
        with pytest.raises(BadAppCredentials):
            await svc.apps.authenticate(old["appid"], old["secret"])

    # A backend moved to another port: the domain follows and a new version is released.
    moved = free_port()
    monkeypatch.setenv("HUTONG_EXAMPLE_DUMPLING_HOUSE_PORT", str(moved))
    await install_examples(container, settings)
    appid = second["dumpling_house"]["appid"]
    versions = await svc.versions.of_app(dev, appid)
    assert [(v.version, v.status) for v in versions] == [
        ("1.0.0", "superseded"),
        ("1.0.1", "released"),
    ]
    bundle = bundle_zip(EXAMPLES[0].dir, api_url=f"http://127.0.0.1:{moved}")
    assert versions[-1].bundle_sha256 == hashlib.sha256(bundle).hexdigest()
    assert (await svc.apps.get(dev, appid)).domains == [f"127.0.0.1:{moved}"]

    # What `hutong serve` starts.
    processes = example_processes(settings)
    assert [Path(cmd[1]).parent.name for cmd, _ in processes] == [e.key for e in EXAMPLES]
    for (cmd, env), example in zip(processes, EXAMPLES, strict=True):
        assert cmd[1] == str(example.dir / "backend.py")
        entry = read_examples(settings.data_dir)[example.key]
        assert (env["APPID"], env["APP_SECRET"], env["PORT"]) == (
            entry["appid"],
            entry["secret"],
            str(entry["port"]),
        )
        assert env["PUBLIC_URL"] == f"http://127.0.0.1:{entry['port']}"
        assert env["HUTONG_URL"] == settings.public_url.rstrip("/")


def test_bundles_are_reproducible_and_point_at_their_backend() -> None:
    import io
    import zipfile

    for example in EXAMPLES:
        one = bundle_zip(example.dir, api_url="http://127.0.0.1:9999")
        assert one == bundle_zip(example.dir, api_url="http://127.0.0.1:9999")
        with zipfile.ZipFile(io.BytesIO(one)) as z:
            names = z.namelist()
            assert "manifest.json" in names
            assert "pages/index.html" in names
            assert b'"http://127.0.0.1:9999"' in z.read("config.js")
            page = z.read("pages/index.html").decode()
            assert '<script src="/sdk/hutong.js"' in page
            assert "<script>" not in page  # no inline scripts: the CSP would refuse them
