"""Merchants: the collect-money QR, payment codes submitted by a till, refunds that never
exceed the payment, settlement lists — and who may see them."""

from __future__ import annotations

import asyncio
from typing import Any

from hutong.app import Container
from hutong.core.clock import ManualClock
from tests.helpers import Api, User
from tests.wallet.util import (
    PIN,
    assert_audit_ok,
    balance,
    events,
    new_key,
    ptype,
    send,
    wallet_user,
)


async def open_shop(api: Api, owner: User, name: str = "Lao Wang Noodles") -> dict[str, Any]:
    r = await api.client.post(
        "/wallet/merchants", headers=owner.headers, json={"name": name, "kind": "personal"}
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def pay_by_qr(api: Api, payer: User, token: str, amount: int, **extra: Any) -> Any:
    body = {"qr_token": token, "amount": amount, "pin": PIN, **extra}
    return await send(api, payer, "/wallet/pay", body)


async def paycode(api: Api, user: User) -> str:
    r = await api.client.get("/wallet/paycode", headers=user.headers)
    assert r.status_code == 200, r.text
    return str(r.json()["code"])


async def test_pay_a_merchant_by_scanning_its_collect_qr(api: Api, container: Container) -> None:
    owner = await wallet_user(api)
    payer = await wallet_user(api, 10_000)
    shop = await open_shop(api, owner)
    token = shop["collect_qr"]["token"]
    assert (await api.client.get(shop["collect_qr"]["svg_url"])).status_code == 200
    seen = (await api.client.get(f"/api/qr/{token}", headers=payer.headers)).json()
    assert (seen["kind"], seen["action"], seen["merchant"]["name"]) == (
        "pay",
        "pay_merchant",
        "Lao Wang Noodles",
    )
    r = await pay_by_qr(api, payer, token, 1_880, note="two bowls")
    assert r.status_code == 201, r.text
    payment = r.json()
    assert (payment["amount"], payment["via"], payment["payer_id"]) == (1_880, "qr", payer.id)
    assert await balance(api, payer) == 8_120
    got = (await api.client.get(f"/wallet/merchants/{shop['id']}", headers=owner.headers)).json()
    assert got["balance"] == 1_880
    [received] = await events(api, owner, "wallet.payment_received")
    assert received["payload"]["payment_id"] == payment["id"]
    # The owner cannot pay their own shop; a replaced code stops working.
    r = await pay_by_qr(api, owner, token, 100)
    assert (r.status_code, ptype(r)) == (422, "self-payment")
    r = await api.client.post(f"/wallet/merchants/{shop['id']}/qr/reset", headers=owner.headers)
    r = await pay_by_qr(api, payer, token, 100)
    assert (r.status_code, ptype(r)) == (410, "expired")
    r = await pay_by_qr(api, payer, token + "x", 100)
    assert (r.status_code, ptype(r)) == (404, "not-found")
    await assert_audit_ok(container)


async def test_payment_code_pays_once_within_its_minute(
    api: Api, container: Container, clock: ManualClock
) -> None:
    owner = await wallet_user(api)
    payer = await wallet_user(api, 10_000)
    shop = await open_shop(api, owner)
    r = await api.client.get("/wallet/paycode", headers=payer.headers)
    assert (r.status_code, ptype(r)) == (404, "not-found")  # not enabled on this device
    r = await api.client.post("/wallet/paycode", headers=payer.headers, json={"pin": PIN})
    assert r.status_code == 201, r.text
    code = r.json()["code"]
    assert len(code) == 18
    assert code.isdigit()
    assert 10 <= int(code[:2]) <= 15
    assert r.json()["qr_svg"].startswith("<svg")
    assert await paycode(api, payer) == code  # the same code until it is used or expires
    till = f"/wallet/merchants/{shop['id']}/charge"
    key = new_key()
    r = await send(api, owner, till, {"code": code, "amount": 650}, key=key)
    assert r.status_code == 201, r.text
    assert (r.json()["via"], r.json()["payer_id"]) == ("code", payer.id)
    # The till retrying its request gets the same answer; the code itself is spent.
    again = await send(api, owner, till, {"code": code, "amount": 650}, key=key)
    assert again.json() == r.json()
    r = await send(api, owner, till, {"code": code, "amount": 650})
    assert (r.status_code, ptype(r)) == (410, "payment-code-expired")
    assert await balance(api, payer) == 9_350
    fresh = await paycode(api, payer)
    assert fresh != code
    # A minute later the shown code is stale.
    clock.advance(seconds=61)
    r = await send(api, owner, till, {"code": fresh, "amount": 100})
    assert (r.status_code, ptype(r)) == (410, "payment-code-expired")
    newest = await paycode(api, payer)
    r = await send(api, owner, till, {"code": newest, "amount": 100})
    assert r.status_code == 201, r.text
    # Made-up codes are refused; only the shop's owner can work its till.
    for bad in ("123", "99" + newest[2:], newest[:-1] + str((int(newest[-1]) + 1) % 10)):
        r = await send(api, owner, till, {"code": bad, "amount": 100})
        assert r.status_code in (410, 422), r.text
    stranger = await wallet_user(api)
    r = await send(api, stranger, till, {"code": await paycode(api, payer), "amount": 100})
    assert (r.status_code, ptype(r)) == (404, "not-found")
    assert await balance(api, payer) == 9_250
    await assert_audit_ok(container)


async def test_concurrent_tills_cannot_spend_one_code_twice(api: Api, container: Container) -> None:
    owner = await wallet_user(api)
    payer = await wallet_user(api, 10_000)
    shop = await open_shop(api, owner)
    await api.client.post("/wallet/paycode", headers=payer.headers, json={"pin": PIN})
    code = await paycode(api, payer)
    answers = await asyncio.gather(
        *(
            send(
                api, owner, f"/wallet/merchants/{shop['id']}/charge", {"code": code, "amount": 100}
            )
            for _ in range(20)
        )
    )
    assert sorted(r.status_code for r in answers) == [201] + [410] * 19
    assert await balance(api, payer) == 9_900
    await assert_audit_ok(container)


async def test_refunds_never_exceed_what_was_paid(api: Api, container: Container) -> None:
    owner = await wallet_user(api)
    payer = await wallet_user(api, 10_000)
    shop = await open_shop(api, owner)
    payment = (await pay_by_qr(api, payer, shop["collect_qr"]["token"], 3_000)).json()
    refunds = f"/wallet/merchants/{shop['id']}/refunds"
    r = await send(
        api, owner, refunds, {"payment_id": payment["id"], "amount": 1_000, "reason": "cold"}
    )
    assert r.status_code == 201, r.text
    assert (r.json()["amount"], r.json()["payment"]["refunded"]) == (1_000, 1_000)
    assert await balance(api, payer) == 8_000
    assert len(await events(api, payer, "wallet.refund_received")) == 1
    r = await send(api, owner, refunds, {"payment_id": payment["id"], "amount": 2_001})
    assert (r.status_code, ptype(r)) == (409, "refund-exceeds-payment")
    # Racing refunds of the rest: exactly 2,000 more goes back, never more.
    answers = await asyncio.gather(
        *(
            send(api, owner, refunds, {"payment_id": payment["id"], "amount": 500})
            for _ in range(10)
        )
    )
    assert sorted(r.status_code for r in answers) == [201] * 4 + [409] * 6
    assert await balance(api, payer) == 10_000
    listed = (
        await api.client.get(f"/wallet/merchants/{shop['id']}/payments", headers=owner.headers)
    ).json()
    assert [(p["id"], p["refunded"]) for p in listed["payments"]] == [(payment["id"], 3_000)]
    # Only the payee refunds, and only its own payments.
    other_shop = await open_shop(api, owner, "Other")
    r = await send(
        api,
        owner,
        f"/wallet/merchants/{other_shop['id']}/refunds",
        {"payment_id": payment["id"], "amount": 1},
    )
    assert (r.status_code, ptype(r)) == (404, "not-found")
    r = await send(api, payer, refunds, {"payment_id": payment["id"], "amount": 1})
    assert (r.status_code, ptype(r)) == (404, "not-found")
    await assert_audit_ok(container)


async def test_settlement_list_and_moving_takings_to_the_owner(
    api: Api, container: Container
) -> None:
    owner = await wallet_user(api)
    payer = await wallet_user(api, 10_000)
    shop = await open_shop(api, owner)
    token = shop["collect_qr"]["token"]
    first = (await pay_by_qr(api, payer, token, 1_000)).json()
    await pay_by_qr(api, payer, token, 2_500)
    await send(
        api,
        owner,
        f"/wallet/merchants/{shop['id']}/refunds",
        {"payment_id": first["id"], "amount": 400},
    )
    days = (
        await api.client.get(f"/wallet/merchants/{shop['id']}/settlements", headers=owner.headers)
    ).json()
    assert [(d["payments"], d["gross"], d["refunds"], d["net"]) for d in days] == [
        (2, 3_500, 400, 3_100)
    ]
    r = await send(
        api, owner, f"/wallet/merchants/{shop['id']}/settle", {"amount": 3_100, "pin": PIN}
    )
    assert (r.status_code, r.json()["balance"]) == (200, 0)
    assert await balance(api, owner) == 3_100
    r = await send(api, owner, f"/wallet/merchants/{shop['id']}/settle", {"amount": 1, "pin": PIN})
    assert (r.status_code, ptype(r)) == (409, "insufficient-funds")
    await assert_audit_ok(container)


async def test_strangers_see_no_merchant_data(api: Api) -> None:
    owner = await wallet_user(api)
    stranger = await wallet_user(api)
    shop = await open_shop(api, owner)
    for path in ("", "/payments", "/settlements"):
        r = await api.client.get(f"/wallet/merchants/{shop['id']}{path}", headers=stranger.headers)
        assert (r.status_code, ptype(r)) == (404, "not-found"), path
    assert (await api.client.get("/wallet/merchants", headers=stranger.headers)).json() == []
    r = await api.client.post(f"/wallet/merchants/{shop['id']}/qr/reset", headers=stranger.headers)
    assert r.status_code == 404
    # Signed out, a collect code only says whose it is.
    seen = (await api.client.get(f"/api/qr/{shop['collect_qr']['token']}")).json()
    assert seen["action"] == "sign_in"
    assert "balance" not in seen["merchant"]
