"""The crash gap of paying: the wallet charged the user, then the worker died before the order
was marked paid. The sweeper (or the user's retry) still ends the order paid and notified,
once, without charging again."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select

from hutong.app import Container
from hutong.core.clock import ManualClock
from hutong.miniapps.models import MiniAppOrder, MiniAppWebhook
from tests.helpers import Api, User
from tests.miniapps.test_payments import live_app, merchant_balance, order, pay
from tests.miniapps.util import Backend, Dev, openid_of, ptype
from tests.moderation.conftest import make_staff
from tests.wallet.util import assert_audit_ok, balance, wallet_user


@pytest.fixture
async def moderator(api: Api, container: Container) -> User:
    return await make_staff(api, container)


class WorkerDied(Exception):
    pass


def crash_after_charging(container: Container, monkeypatch: pytest.MonkeyPatch) -> None:
    """The next payments die right after the wallet moved the money (this worker's process
    would be gone; here the request fails and nothing after the charge happens)."""

    async def died(*_: Any) -> bool:
        raise WorkerDied

    monkeypatch.setattr(container.miniapps.payments, "_mark_paid", died)


async def status(api: Api, dev: Dev, no: str) -> str:
    r = await api.client.get(f"/miniapps/api/orders/{no}", headers=dev.auth)
    assert r.status_code == 200, r.text
    return str(r.json()["status"])


async def hooks(container: Container) -> int:
    async with container.db.read() as s:
        return int(await s.scalar(select(func.count()).select_from(MiniAppWebhook)) or 0)


async def test_the_sweeper_completes_an_order_charged_before_the_worker_died(
    api: Api,
    moderator: User,
    backend: Backend,
    container: Container,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dev = await live_app(api, moderator)
    user = await wallet_user(api, 10_000)
    openid = await openid_of(api, dev, user)
    crashed = (await order(api, dev, openid, backend.url, "C1", 1500)).json()["prepay_id"]
    assert (await order(api, dev, openid, backend.url, "C2", 700)).status_code == 200
    wrong_pin = (await order(api, dev, openid, backend.url, "C3", 300)).json()["prepay_id"]
    assert ptype(await pay(api, user, wrong_pin, "000000")) == "wrong-pin"

    crash_after_charging(container, monkeypatch)
    assert (await pay(api, user, crashed)).status_code == 500
    monkeypatch.undo()  # the next worker runs the code as it is
    # The gap: the money moved, the order is not paid and nobody was told.
    assert await balance(api, user) == 10_000 - 1500
    assert await merchant_balance(api, dev) == 1500
    assert await status(api, dev, "C1") == "created"
    assert await hooks(container) == 0

    payments = container.miniapps.payments
    assert await payments.complete_charged() == 0  # a payment may still be in flight
    clock.advance(seconds=31)
    assert await payments.complete_charged() == 1
    assert await status(api, dev, "C1") == "paid"
    (note,) = await backend.wait(1)
    assert backend.verified(dev.secret, note, set(), clock.now().timestamp())
    assert note.json["event"] == "payment.succeeded"
    assert note.json["out_trade_no"] == "C1"
    assert note.json["amount"] == 1500
    r = await api.client.get(f"/miniapps/orders/{crashed}", headers=user.headers)
    assert r.json()["status"] == "paid"
    assert r.json()["payment_id"] == note.json["payment_id"]
    # Nothing else was charged, and unpaid orders stay unpaid; sweeping again does nothing.
    assert await payments.complete_charged() == 0
    assert await status(api, dev, "C2") == "created"
    assert await status(api, dev, "C3") == "created"
    assert await balance(api, user) == 10_000 - 1500
    assert await hooks(container) == 1
    assert (await pay(api, user, crashed)).status_code == 409
    await assert_audit_ok(container)


async def test_a_retry_after_the_crash_completes_without_charging_again(
    api: Api,
    moderator: User,
    backend: Backend,
    container: Container,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dev = await live_app(api, moderator)
    user = await wallet_user(api, 10_000)
    openid = await openid_of(api, dev, user)
    prepay = (await order(api, dev, openid, backend.url, "R1", 2500)).json()["prepay_id"]
    crash_after_charging(container, monkeypatch)
    assert (await pay(api, user, prepay)).status_code == 500
    monkeypatch.undo()
    r = await pay(api, user, prepay)  # the pay sheet is tried again
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "paid"
    assert await balance(api, user) == 10_000 - 2500
    assert await merchant_balance(api, dev) == 2500
    await backend.wait(1)
    assert await hooks(container) == 1
    await assert_audit_ok(container)


async def test_sweepers_and_a_retry_at_once_complete_the_order_once(
    api: Api,
    moderator: User,
    backend: Backend,
    container: Container,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dev = await live_app(api, moderator)
    user = await wallet_user(api, 50_000)
    openid = await openid_of(api, dev, user)
    prepays = [
        (await order(api, dev, openid, backend.url, f"S{i}", 100 + i)).json()["prepay_id"]
        for i in range(5)
    ]
    crash_after_charging(container, monkeypatch)
    for p in prepays:
        assert (await pay(api, user, p)).status_code == 500
    monkeypatch.undo()
    clock.advance(seconds=60)
    payments = container.miniapps.payments
    # Three workers' sweepers (one paging two orders at a time) and the user's retries.
    results = await asyncio.gather(
        payments.complete_charged(),
        payments.complete_charged(page=2),
        payments.complete_charged(),
        *(pay(api, user, p) for p in prepays),
    )
    assert sum(results[:3]) <= 5
    # A retry answers "paid" — or "already paid" when a sweeper got there first.
    assert {a.status_code for a in results[3:]} <= {200, 409}, [a.text for a in results[3:]]
    async with container.db.read() as s:
        paid = (await s.scalars(select(MiniAppOrder.status))).all()
    assert paid == ["paid"] * 5
    total = sum(100 + i for i in range(5))
    assert await balance(api, user) == 50_000 - total
    assert await merchant_balance(api, dev) == total
    notes = await backend.wait(5)
    assert sorted(n.json["out_trade_no"] for n in notes) == [f"S{i}" for i in range(5)]
    assert await hooks(container) == 5  # each order notified exactly once
    await assert_audit_ok(container)
