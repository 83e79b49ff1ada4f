"""Login codes, openids and unionids; orders paid through the wallet and refunded; signed
webhooks that retry, survive a restart, stay on the declared domains and off private
addresses — and every abuse refused without moving money."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from sqlalchemy import select

from hutong.app import Container, build_app
from hutong.core.clock import ManualClock
from hutong.miniapps.models import MiniAppWebhook
from hutong.settings import Settings
from tests.helpers import Api, User
from tests.miniapps.util import Backend, Dev, developer, openid_of, ptype, released
from tests.moderation.conftest import make_staff
from tests.wallet.util import PIN, assert_audit_ok, balance, wallet_user


@pytest.fixture
async def moderator(api: Api, container: Container) -> User:
    return await make_staff(api, container)


async def live_app(api: Api, moderator: User, **kw: Any) -> Dev:
    dev = await developer(api, **kw)
    await released(api, dev, moderator)
    return dev


async def merchant_balance(api: Api, dev: Dev) -> int:
    r = await api.client.get(f"/wallet/merchants/{dev.merchant_id}", headers=dev.user.headers)
    assert r.status_code == 200, r.text
    return int(r.json()["balance"])


async def order(
    api: Api, dev: Dev, openid: str, url: str, no: str = "A1", amount: int = 1234
) -> Any:
    return await api.client.post(
        "/miniapps/api/orders",
        headers=dev.auth,
        json={
            "out_trade_no": no,
            "openid": openid,
            "amount": amount,
            "description": "2 × pork dumplings",
            "notify_url": url,
        },
    )


async def pay(api: Api, user: User, prepay_id: str, pin: str = PIN) -> Any:
    return await api.client.post(
        f"/miniapps/orders/{prepay_id}/pay", headers=user.headers, json={"pin": pin}
    )


async def test_login_codes_are_single_use_short_lived_and_per_app(
    api: Api, moderator: User, clock: ManualClock
) -> None:
    dev = await live_app(api, moderator)
    other_app = await live_app(api, moderator, name="City Utilities")
    user = await api.register()

    async def code() -> str:
        r = await api.client.post(f"/miniapps/apps/{dev.appid}/login", headers=user.headers)
        assert r.status_code == 200, r.text
        return str(r.json()["code"])

    async def exchange(d: Dev, c: str) -> Any:
        return await api.client.post("/miniapps/api/sessions", headers=d.auth, json={"code": c})

    c = await code()
    assert (await exchange(dev, c[:-1] + ("A" if c[-1] != "A" else "B"))).status_code == 422
    assert (await exchange(other_app, c)).status_code == 422  # another app's backend
    first = await exchange(dev, c)
    assert first.status_code == 200, first.text
    replay = await exchange(dev, c)
    assert replay.status_code == 422
    assert ptype(replay) == "miniapp-bad-login-code"
    late = await code()
    clock.advance(seconds=301)
    assert (await exchange(dev, late)).status_code == 422
    # The openid is stable for this app; the unionid is shared by the developer's apps.
    again = (await exchange(dev, await code())).json()
    assert again["openid"] == first.json()["openid"]
    assert again["unionid"] == first.json()["unionid"]
    assert again["session_key"] != first.json()["session_key"]
    r = await api.client.post(f"/miniapps/apps/{other_app.appid}/login", headers=user.headers)
    theirs = (await exchange(other_app, r.json()["code"])).json()
    assert theirs["openid"] != first.json()["openid"]
    assert theirs["unionid"] != first.json()["unionid"]  # another developer


async def test_an_order_is_paid_once_signed_notified_and_refunded_within_what_was_paid(
    api: Api, moderator: User, backend: Backend, container: Container, clock: ManualClock
) -> None:
    dev = await live_app(api, moderator)
    user = await wallet_user(api, 10_000)
    stranger = await wallet_user(api, 10_000)
    openid = await openid_of(api, dev, user)

    r = await order(api, dev, openid, backend.url)
    assert r.status_code == 200, r.text
    prepay = r.json()["prepay_id"]
    # Idempotent by the developer's order number; a different order under it is refused.
    assert (await order(api, dev, openid, backend.url)).json()["prepay_id"] == prepay
    r = await order(api, dev, openid, backend.url, amount=1)
    assert r.status_code == 409
    assert ptype(r) == "miniapp-order-number-reused"
    # Only the user sees and pays their order; a wrong PIN moves nothing.
    assert (await pay(api, stranger, prepay)).status_code == 404
    r = await api.client.get(f"/miniapps/orders/{prepay}", headers=user.headers)
    assert r.json()["amount"] == 1234
    assert r.json()["payee"] == "Dumpling House"
    assert ptype(await pay(api, user, prepay, "000000")) == "wrong-pin"
    assert await balance(api, user) == 10_000
    r = await pay(api, user, prepay)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "paid"
    r = await pay(api, user, prepay)
    assert r.status_code == 409
    assert ptype(r) == "miniapp-order-already-paid"
    assert await balance(api, user) == 10_000 - 1234
    assert await merchant_balance(api, dev) == 1234

    (note,) = await backend.wait(1)
    seen: set[str] = set()
    now = clock.now().timestamp()
    assert backend.verified(dev.secret, note, seen, now)
    assert note.json["event"] == "payment.succeeded"
    assert note.json["out_trade_no"] == "A1"
    assert note.json["amount"] == 1234
    assert note.json["openid"] == openid
    # A replayed, tampered, stale or wrongly keyed notification does not verify.
    assert not backend.verified(dev.secret, note, seen, now)
    tampered = type(note)(note.headers, note.body.replace(b"1234", b"9999"), note.at)
    assert not backend.verified(dev.secret, tampered, set(), now)
    assert not backend.verified(dev.secret, note, set(), now + 301)
    assert not backend.verified(dev.secret + "x", note, set(), now)

    r = await api.client.get("/miniapps/api/orders/A1", headers=dev.auth)
    assert r.json()["status"] == "paid"

    async def refund(no: str, amount: int) -> Any:
        return await api.client.post(
            "/miniapps/api/orders/A1/refunds",
            headers=dev.auth,
            json={"out_refund_no": no, "amount": amount, "reason": "sold out"},
        )

    assert (await refund("R1", 1000)).status_code == 200
    again = await refund("R1", 1000)  # a retry of the same refund
    assert again.status_code == 200
    assert again.json()["order"]["refunded"] == 1000
    r = await refund("R2", 235)
    assert r.status_code == 409
    assert ptype(r) == "refund-exceeds-payment"
    r = await refund("R1", 5)  # the refund number names another refund
    assert r.status_code == 409
    r = await refund("R3", 234)
    assert r.json()["order"]["refunded"] == 1234
    assert await balance(api, user) == 10_000
    assert await merchant_balance(api, dev) == 0
    notes = await backend.wait(3)
    assert [n.json["event"] for n in notes] == [
        "payment.succeeded",
        "refund.succeeded",
        "refund.succeeded",
    ]
    await assert_audit_ok(container)


async def test_an_order_paid_twice_at_once_moves_money_once(
    api: Api, moderator: User, backend: Backend, container: Container
) -> None:
    dev = await live_app(api, moderator)
    user = await wallet_user(api, 10_000)
    openid = await openid_of(api, dev, user)
    prepay = (await order(api, dev, openid, backend.url, amount=700)).json()["prepay_id"]
    answers = await asyncio.gather(*(pay(api, user, prepay) for _ in range(6)))
    codes = sorted(r.status_code for r in answers)
    assert 200 in codes
    assert set(codes) <= {200, 409}, [r.text for r in answers]
    assert await balance(api, user) == 10_000 - 700
    assert await merchant_balance(api, dev) == 700
    await backend.wait(1)
    async with container.db.read() as s:
        hooks = (await s.scalars(select(MiniAppWebhook))).all()
    assert len(hooks) == 1  # notified once
    await assert_audit_ok(container)


async def test_orders_are_refused_for_outside_domains_and_strangers(
    api: Api, moderator: User
) -> None:
    dev = await live_app(api, moderator, domains=["shop.example"])
    user = await wallet_user(api)
    openid = await openid_of(api, dev, user)
    for url in (
        "https://evil.example/notify",
        "https://shop.example.evil.example/notify",
        "https://evilshop.example/notify",
        "ftp://shop.example/notify",
        "https://user:pw@shop.example/notify",
        "not a url",
    ):
        r = await order(api, dev, openid, url)
        assert r.status_code == 422, url
        assert ptype(r) == "miniapp-domain-not-allowed"
    ok = await order(api, dev, openid, "https://api.shop.example/notify")
    assert ok.status_code == 200, ok.text
    r = await order(api, dev, "o-unknown", "https://shop.example/n", no="B2")
    assert r.status_code == 404
    # Another app's backend cannot read this app's orders.
    other = await live_app(api, moderator, name="City Utilities")
    assert (await api.client.get("/miniapps/api/orders/A1", headers=other.auth)).status_code == 404


async def test_webhooks_retry_with_backoff_and_survive_a_restart(
    api: Api,
    moderator: User,
    backend: Backend,
    container: Container,
    clock: ManualClock,
    settings: Settings,
) -> None:
    dev = await live_app(api, moderator)
    user = await wallet_user(api, 5_000)
    openid = await openid_of(api, dev, user)
    backend.status = 500
    prepay = (await order(api, dev, openid, backend.url)).json()["prepay_id"]
    assert (await pay(api, user, prepay)).status_code == 200
    await backend.wait(1)

    async def row() -> MiniAppWebhook:
        async with container.db.read() as s:
            found = await s.scalar(select(MiniAppWebhook))
        assert found is not None
        return found

    for _ in range(50):
        if (await row()).attempts == 1:
            break
        await backend.wait(2, timeout=0.05)
    first = await row()
    assert first.attempts == 1
    assert first.state == "pending"
    assert first.last_error == "status 500"
    assert (first.next_at - clock.now()).total_seconds() == 15
    # Nothing is retried before its time.
    assert await container.miniapps.webhooks.deliver_due() == 0
    # This worker goes away; another one, started later, delivers what was left.
    await container.miniapps.stop()
    backend.status = 204
    clock.advance(seconds=16)
    other = build_app(settings, clock=clock).state.container
    try:
        assert await other.miniapps.webhooks.deliver_due() == 1
    finally:
        await other.miniapps.stop()
        await other.wallet.stop()
        await other.db.dispose()
    done = await row()
    assert done.state == "delivered"
    assert done.attempts == 1
    assert len(backend.received) == 2
    assert backend.received[0].json == backend.received[1].json
    assert (
        backend.received[0].headers["hutong-nonce"] != backend.received[1].headers["hutong-nonce"]
    )


@pytest.mark.settings(miniapp_webhook_allow_private=False)
async def test_webhooks_never_reach_private_addresses_unless_allowed(
    api: Api, moderator: User, backend: Backend, container: Container
) -> None:
    # The developer declares a loopback address as their domain; without the operator's
    # switch only https is accepted and the address is refused before connecting.
    dev = await live_app(api, moderator, domains=["127.0.0.1", "localhost"])
    user = await wallet_user(api, 5_000)
    openid = await openid_of(api, dev, user)
    assert (await order(api, dev, openid, backend.url)).status_code == 422  # http
    url = f"https://localhost:{backend.port}/notify"
    r = await order(api, dev, openid, url)
    assert r.status_code == 200, r.text
    assert (await pay(api, user, r.json()["prepay_id"])).status_code == 200
    for _ in range(100):
        async with container.db.read() as s:
            hook = await s.scalar(select(MiniAppWebhook))
        if hook is not None and hook.attempts:
            break
        await backend.wait(1, timeout=0.05)
    assert hook is not None
    assert hook.attempts == 1
    assert hook.last_error.startswith("refused")
    assert backend.received == []
    body = json.loads(hook.body)
    assert body["event"] == "payment.succeeded"


async def test_orders_are_still_paid_after_the_developer_replaces_their_collect_code(
    api: Api, moderator: User, backend: Backend
) -> None:
    dev = await live_app(api, moderator)
    user = await wallet_user(api, 10_000)
    openid = await openid_of(api, dev, user)
    first = (await order(api, dev, openid, backend.url, "Q1", 100)).json()["prepay_id"]
    assert (await pay(api, user, first)).status_code == 200
    r = await api.client.post(
        f"/wallet/merchants/{dev.merchant_id}/qr/reset", headers=dev.user.headers
    )
    assert r.status_code == 200, r.text
    second = (await order(api, dev, openid, backend.url, "Q2", 200)).json()["prepay_id"]
    r = await pay(api, user, second)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "paid"
    assert await balance(api, user) == 10_000 - 300
    assert await merchant_balance(api, dev) == 300
