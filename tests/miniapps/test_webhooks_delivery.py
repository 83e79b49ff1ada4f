"""The webhook task keeps claiming while earlier notifications are still on their way, so one
developer's slow backend does not hold back another's payment notification."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from hutong.app import Container
from hutong.core.clock import ManualClock
from hutong.miniapps.models import MiniAppWebhook
from hutong.miniapps.webhooks import LEASE_S
from tests.helpers import Api, User
from tests.miniapps.test_payments import live_app, order, pay
from tests.miniapps.util import Backend, Received, openid_of
from tests.moderation.conftest import make_staff
from tests.wallet.util import wallet_user


@pytest.fixture
async def moderator(api: Api, container: Container) -> User:
    return await make_staff(api, container)


@dataclass
class SlowBackend(Backend):
    """Answers every notification after `delay_s` (still inside the 2 s webhook timeout)."""

    delay_s: float = 1.5

    async def _notify(self, request: Request) -> Response:
        body = await request.body()
        await asyncio.sleep(self.delay_s)
        self.received.append(Received(dict(request.headers), body, time.time()))
        self._arrived.set()
        return Response(status_code=self.status)


@pytest.fixture
async def slow() -> AsyncIterator[SlowBackend]:
    b = SlowBackend()
    await b.start()
    try:
        yield b
    finally:
        await b.stop()


async def test_a_slow_backend_does_not_hold_back_another_apps_notification(
    api: Api, moderator: User, backend: Backend, slow: SlowBackend, container: Container
) -> None:
    tortoise = await live_app(api, moderator, name="Tortoise Tea")
    hare = await live_app(api, moderator, name="Hare Noodles")
    user = await wallet_user(api, 10_000)
    t_open = await openid_of(api, tortoise, user)
    h_open = await openid_of(api, hare, user)
    first = (await order(api, tortoise, t_open, slow.url, "T1", 100)).json()["prepay_id"]
    second = (await order(api, hare, h_open, backend.url, "H1", 200)).json()["prepay_id"]

    assert (await pay(api, user, first)).status_code == 200
    await asyncio.sleep(0.2)  # the slow backend now holds the first notification
    assert (await pay(api, user, second)).status_code == 200
    paid = time.time()
    (fast,) = await backend.wait(1, timeout=1.2)
    assert fast.json["out_trade_no"] == "H1"
    assert fast.at - paid < 1.0
    assert slow.received == []  # the first one is still being answered
    (late,) = await slow.wait(1, timeout=5)
    assert late.json["out_trade_no"] == "T1"
    for _ in range(100):
        async with container.db.read() as s:
            states = set((await s.scalars(select(MiniAppWebhook.state))).all())
        if states == {"delivered"}:
            break
        await asyncio.sleep(0.05)
    assert states == {"delivered"}


@pytest.mark.settings(miniapp_webhook_allow_private=False)
async def test_a_public_webhook_may_use_a_port_the_app_declared_and_no_other(
    api: Api, moderator: User, container: Container
) -> None:
    dev = await live_app(api, moderator, domains=["hooks.invalid:8443", "other.invalid"])
    user = await wallet_user(api, 5_000)
    openid = await openid_of(api, dev, user)
    for no, url in (
        ("P1", "https://api.hooks.invalid:8443/notify"),  # the declared port
        ("P2", "https://other.invalid:8443/notify"),  # a port not declared for this host
    ):
        r = await order(api, dev, openid, url, no, 100)
        assert r.status_code == 200, r.text
        assert (await pay(api, user, r.json()["prepay_id"])).status_code == 200
    errors: dict[str, str] = {}
    for _ in range(100):
        async with container.db.read() as s:
            hooks = (await s.scalars(select(MiniAppWebhook))).all()
        errors = {h.body.split('"out_trade_no":"')[1][:2]: h.last_error for h in hooks}
        if len(errors) == 2 and all(errors.values()):
            break
        await asyncio.sleep(0.05)
    # The declared port passes the guard (and the name, which never resolves, is refused
    # next); the other port is refused before any lookup.
    assert errors == {
        "P1": "refused: host does not resolve",
        "P2": "refused: unusual port",
    }


async def test_a_notification_leased_to_a_worker_that_died_is_claimed_after_the_lease(
    api: Api,
    moderator: User,
    backend: Backend,
    container: Container,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A payment's notification is written leased to the worker that took the payment, and
    handed to its sender without a claim. Should that worker stop between the commit and
    the send, the notification waits out the lease and any worker's task sends it, once."""
    dev = await live_app(api, moderator)
    user = await wallet_user(api, 10_000)
    openid = await openid_of(api, dev, user)
    prepay = (await order(api, dev, openid, backend.url, "L1", 300)).json()["prepay_id"]
    webhooks = container.miniapps.webhooks
    monkeypatch.setattr(webhooks, "hand_over", lambda *_: None)  # gone after the commit
    assert (await pay(api, user, prepay)).status_code == 200
    monkeypatch.undo()
    async with container.db.read() as s:
        (row,) = (await s.scalars(select(MiniAppWebhook))).all()
    assert row.state == "pending"
    assert row.next_at >= clock.now() + dt.timedelta(seconds=LEASE_S - 1)
    await webhooks.kick()
    assert await backend.wait(1, timeout=0.5) == []  # leased: nobody claims it yet
    clock.advance(seconds=LEASE_S + 1)
    await webhooks.kick()
    (note,) = await backend.wait(1)
    assert note.json["out_trade_no"] == "L1"
    await webhooks.kick()
    await asyncio.sleep(0.3)
    assert len(backend.received) == 1
