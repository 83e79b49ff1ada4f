"""Bills with filters and monthly totals, the wallet overview and limits, and no input that
produces a 500 or moves money."""

from __future__ import annotations

import httpx
import pytest

from hutong.app import Container
from hutong.core.clock import ManualClock
from tests.helpers import Api
from tests.wallet.util import (
    PIN,
    assert_audit_ok,
    balance,
    friends,
    new_key,
    ptype,
    send,
    wallet_user,
)


async def test_bills_list_every_movement_with_filters_and_monthly_totals(
    api: Api, container: Container, clock: ManualClock
) -> None:
    alice, bob = await friends(api, 20_000, 0)
    shop_owner = await wallet_user(api)
    shop = (
        await api.client.post("/wallet/merchants", headers=shop_owner.headers, json={"name": "Tea"})
    ).json()
    clock.advance(days=40)  # into another month for what follows
    t = (
        await send(
            api,
            alice,
            "/wallet/transfers",
            {"to_user_id": bob.id, "amount": 3_000, "note": "rent", "pin": PIN},
        )
    ).json()
    await send(api, bob, f"/wallet/transfers/{t['id']}/accept")
    pay = await send(
        api,
        alice,
        "/wallet/pay",
        {"qr_token": shop["collect_qr"]["token"], "amount": 500, "pin": PIN},
    )
    await send(
        api,
        shop_owner,
        f"/wallet/merchants/{shop['id']}/refunds",
        {"payment_id": pay.json()["id"], "amount": 200},
    )
    bills = (await api.client.get("/wallet/bills", headers=alice.headers)).json()["bills"]
    assert [(b["kind"], b["direction"], b["amount"], b["status"]) for b in bills] == [
        ("refund", "in", 200, "completed"),
        ("payment", "out", 500, "completed"),
        ("transfer", "out", 3_000, "accepted"),
        ("topup", "in", 20_000, "completed"),
    ]
    assert bills[2]["counterparty"]["handle"] == bob.handle
    assert bills[2]["note"] == "rent"
    assert bills[1]["counterparty"] == {
        "type": "merchant",
        "id": shop["id"],
        "name": "Tea",
        "handle": None,
    }
    assert bills[3]["counterparty"]["type"] == "bank"
    bob_bills = (await api.client.get("/wallet/bills", headers=bob.headers)).json()["bills"]
    assert [(b["kind"], b["direction"], b["counterparty"]["id"]) for b in bob_bills] == [
        ("transfer", "in", alice.id)
    ]

    async def get(query: str) -> httpx.Response:
        return await api.client.get(f"/wallet/bills?{query}", headers=alice.headers)

    out = (await get("direction=out")).json()["bills"]
    assert [b["kind"] for b in out] == ["payment", "transfer"]
    kinds = (await get("kind=refund&kind=topup")).json()["bills"]
    assert [b["kind"] for b in kinds] == ["refund", "topup"]
    today = clock.now().astimezone(container.wallet.tz).date()
    recent = (await get(f"start={today.isoformat()}")).json()["bills"]
    assert len(recent) == 3
    page = (await get("limit=2")).json()
    rest = (await get(f"limit=2&before={page['next_before']}")).json()
    assert [b["tx_id"] for b in page["bills"] + rest["bills"]] == [b["tx_id"] for b in bills]
    assert rest["next_before"] is None

    then = clock.now().astimezone(container.wallet.tz)
    months = (
        await api.client.get(f"/wallet/bills/months?year={then.year}", headers=alice.headers)
    ).json()
    by_month = {m["month"]: (m["income"], m["expense"], m["count"]) for m in months}
    assert by_month[f"{then.year}-{then.month:02d}"] == (200, 3_500, 3)
    assert sum(m["income"] for m in months) >= 200
    await assert_audit_ok(container)


async def test_nobody_reads_another_users_wallet_or_bills(api: Api) -> None:
    alice = await wallet_user(api, 1_000)
    eve = await wallet_user(api)
    for path in ("/wallet", "/wallet/bills", "/wallet/bills/months?year=2026", "/wallet/transfers"):
        mine = (await api.client.get(path, headers=eve.headers)).json()
        assert "1000" not in str(mine), path
        assert (await api.client.get(path)).status_code == 401
    ops = (await api.client.get("/wallet/bank-operations", headers=alice.headers)).json()
    r = await api.client.get(f"/wallet/bank-operations/{ops[0]['id']}", headers=eve.headers)
    assert r.status_code == 404


async def test_daily_limit_counts_outgoing_money_per_day(
    api: Api, container: Container, clock: ManualClock
) -> None:
    alice, bob = await friends(api, 50_000, 0)
    r = await api.client.put(
        "/wallet/limits", headers=alice.headers, json={"daily_limit": 1_000, "pin": PIN}
    )
    assert (r.status_code, r.json()["daily_limit"]) == (200, 1_000)
    body = {"to_user_id": bob.id, "amount": 600, "pin": PIN}
    assert (await send(api, alice, "/wallet/transfers", body)).status_code == 201
    r = await send(api, alice, "/wallet/transfers", body)
    assert (r.status_code, ptype(r)) == (409, "daily-limit-exceeded")
    wallet = (await api.client.get("/wallet", headers=alice.headers)).json()
    assert (wallet["spent_today"], wallet["balance"]) == (600, 49_400)
    clock.advance(days=1)
    assert (await send(api, alice, "/wallet/transfers", body)).status_code == 201
    r = await api.client.put(
        "/wallet/limits", headers=alice.headers, json={"daily_limit": 10**12, "pin": PIN}
    )
    assert (r.status_code, ptype(r)) == (422, "amount-too-large")


async def test_pin_rules(api: Api) -> None:
    user = await api.register()
    r = await api.client.put("/wallet/pin", headers=user.headers, json={"pin": "258036"})
    assert (r.status_code, ptype(r)) == (422, "invalid-input")  # first PIN needs the password
    for weak in ("111111", "123456", "987654"):
        r = await api.client.put(
            "/wallet/pin", headers=user.headers, json={"pin": weak, "password": user.password}
        )
        assert (r.status_code, ptype(r)) == (422, "weak-pin"), weak
    for bad in ("12345", "1234567", "abcdef", "１２３４５６"):
        r = await api.client.put(
            "/wallet/pin", headers=user.headers, json={"pin": bad, "password": user.password}
        )
        assert (r.status_code, ptype(r)) == (422, "invalid-input"), bad
    r = await api.client.put(
        "/wallet/pin", headers=user.headers, json={"pin": "258036", "password": "wrong password"}
    )
    assert (r.status_code, ptype(r)) == (401, "bad-credentials")
    r = await api.client.put(
        "/wallet/pin", headers=user.headers, json={"pin": "258036", "password": user.password}
    )
    assert r.status_code == 204
    r = await api.client.put(
        "/wallet/pin", headers=user.headers, json={"pin": "314159", "current_pin": "000999"}
    )
    assert (r.status_code, ptype(r)) == (403, "wrong-pin")
    r = await api.client.put(
        "/wallet/pin", headers=user.headers, json={"pin": "314159", "current_pin": "258036"}
    )
    assert r.status_code == 204


BAD_REQUESTS: list[tuple[str, str, object]] = [
    ("POST", "/wallet/transfers", {"to_user_id": 2**70, "amount": 1, "pin": PIN}),
    ("POST", "/wallet/transfers", {"to_user_id": "x", "amount": 1, "pin": PIN}),
    ("POST", "/wallet/transfers", {"to_user_id": 1, "amount": 1, "pin": PIN, "extra": 1}),
    ("POST", "/wallet/transfers", {"to_user_id": 1, "amount": 1, "pin": "12ab56"}),
    ("POST", "/wallet/transfers", {"to_user_id": 1, "amount": 1, "pin": PIN, "note": "x" * 101}),
    ("POST", "/wallet/transfers", [1, 2, 3]),
    ("POST", "/wallet/transfers", "not json"),
    ("POST", f"/wallet/transfers/{2**64}/accept", {}),
    ("POST", "/wallet/transfers/0/decline", {}),
    ("GET", "/wallet/transfers/-1", None),
    ("GET", "/wallet/transfers?status=weird", None),
    ("POST", "/wallet/topups", {"card_id": 1, "amount": 10**16}),
    ("POST", "/wallet/withdrawals", {"card_id": 1, "amount": -5, "pin": PIN}),
    ("POST", "/wallet/pay", {"qr_token": "", "amount": 1, "pin": PIN}),
    ("POST", "/wallet/pay", {"qr_token": "a.b.c", "amount": 1, "pin": PIN}),
    ("POST", "/wallet/pay", {"qr_token": "u.MTox.AAAA", "amount": 1, "pin": PIN}),
    ("POST", "/wallet/merchants", {"name": "", "kind": "personal"}),
    ("POST", "/wallet/merchants", {"name": "x", "kind": "empire"}),
    ("POST", "/wallet/merchants/1/charge", {"code": "1" * 18, "amount": 1}),
    ("POST", "/wallet/merchants/1/refunds", {"payment_id": 1, "amount": 0}),
    ("GET", "/wallet/bills?start=2026-02-30", None),
    ("GET", "/wallet/bills?end=9999-12-31&start=0001-01-01", None),
    ("GET", "/wallet/bills?limit=100000", None),
    ("GET", "/wallet/bills/months?year=99999", None),
    ("PUT", "/wallet/limits", {"daily_limit": 0, "pin": PIN}),
    ("DELETE", f"/wallet/cards/{2**63}", None),
]


@pytest.mark.parametrize(("method", "path", "body"), BAD_REQUESTS)
async def test_no_bad_input_produces_a_500_or_moves_money(
    api: Api, container: Container, method: str, path: str, body: object
) -> None:
    user = await wallet_user(api, 1_000)
    headers = {**user.headers, "Idempotency-Key": new_key()}
    if isinstance(body, str):
        r = await api.client.request(method, path, content=body, headers=headers)
    else:
        r = await api.client.request(method, path, json=body, headers=headers)
    assert r.status_code < 500, r.text
    if r.status_code >= 400:
        assert r.headers["content-type"].startswith("application/problem+json")
    assert await balance(api, user) == 1_000
    await assert_audit_ok(container)


async def test_idempotency_key_must_be_sane(api: Api) -> None:
    alice, bob = await friends(api, 1_000, 0)
    body = {"to_user_id": bob.id, "amount": 1, "pin": PIN}
    for key in ("", " ", "k" * 256, "ключ"):
        headers = {**alice.headers, "Idempotency-Key": key}
        try:
            r = await api.client.post("/wallet/transfers", json=body, headers=headers)
        except (UnicodeEncodeError, httpx.LocalProtocolError):
            continue  # not even sendable as a header
        assert r.status_code == 422, key
    assert await balance(api, alice) == 1_000
