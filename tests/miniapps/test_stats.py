"""The developer console's figures for an app (users, paid orders, refunds, webhooks that are
pending or have failed), seen only by its developer; and the review screen's app facts, seen
only by moderators."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hutong.app import Container
from hutong.core.clock import ManualClock
from hutong.miniapps.webhooks import MAX_ATTEMPTS
from tests.helpers import Api, User
from tests.miniapps.util import Backend, Dev, bundle, developer, openid_of, released, upload
from tests.moderation.conftest import make_staff
from tests.wallet.util import PIN, wallet_user

ZERO = {
    "users": 0,
    "orders_paid": 0,
    "amount_paid": 0,
    "refunds": 0,
    "amount_refunded": 0,
    "webhooks_pending": 0,
    "webhooks_failed": 0,
}


@pytest.fixture
async def moderator(api: Api, container: Container) -> User:
    return await make_staff(api, container)


async def stats(api: Api, dev: Dev) -> dict[str, Any]:
    r = await api.client.get(f"/miniapps/console/apps/{dev.appid}/stats", headers=dev.user.headers)
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    assert out.pop("appid") == dev.appid
    return out


async def paid_order(api: Api, dev: Dev, user: User, url: str, no: str, amount: int) -> None:
    openid = await openid_of(api, dev, user)
    r = await api.client.post(
        "/miniapps/api/orders",
        headers=dev.auth,
        json={
            "out_trade_no": no,
            "openid": openid,
            "amount": amount,
            "description": "dumplings",
            "notify_url": url,
        },
    )
    assert r.status_code == 200, r.text
    r = await api.client.post(
        f"/miniapps/orders/{r.json()['prepay_id']}/pay", headers=user.headers, json={"pin": PIN}
    )
    assert r.status_code == 200, r.text


async def test_an_apps_figures_count_its_users_money_and_undelivered_webhooks(
    api: Api, moderator: User, backend: Backend, container: Container, clock: ManualClock
) -> None:
    dev = await developer(api)
    other = await developer(api, name="City Utilities")
    assert await stats(api, dev) == ZERO
    await released(api, dev, moderator)
    await released(api, other, moderator)
    alice = await wallet_user(api, 10_000)
    bob = await wallet_user(api, 10_000)

    # Delivered: counted nowhere among the webhooks.
    await paid_order(api, dev, alice, backend.url, "A1", 1234)
    await backend.wait(1)
    for _ in range(100):  # received; recorded as delivered just after
        if not (await stats(api, dev))["webhooks_pending"]:
            break
        await asyncio.sleep(0.02)
    # Created but never paid: not counted.
    r = await api.client.post(
        "/miniapps/api/orders",
        headers=dev.auth,
        json={
            "out_trade_no": "A2",
            "openid": await openid_of(api, dev, alice),
            "amount": 999,
            "description": "unpaid",
            "notify_url": backend.url,
        },
    )
    assert r.status_code == 200, r.text
    # The developer's backend starts failing: the next two notifications wait for retries.
    backend.status = 500
    await paid_order(api, dev, bob, backend.url, "A3", 800)
    r = await api.client.post(
        "/miniapps/api/orders/A1/refunds",
        headers=dev.auth,
        json={"out_refund_no": "R1", "amount": 234},
    )
    assert r.status_code == 200, r.text
    await paid_order(api, other, bob, backend.url, "B1", 50)  # another app's order

    expected = {
        "users": 2,
        "orders_paid": 2,
        "amount_paid": 2034,
        "refunds": 1,
        "amount_refunded": 234,
        "webhooks_pending": 2,
        "webhooks_failed": 0,
    }
    assert await stats(api, dev) == expected
    assert (await stats(api, other))["amount_paid"] == 50

    # Retried until the platform gives up: failed, no longer pending.
    await container.miniapps.stop()
    for _ in range(MAX_ATTEMPTS):
        clock.advance(days=1)
        await container.miniapps.webhooks.deliver_due()
    assert await stats(api, dev) == {**expected, "webhooks_pending": 0, "webhooks_failed": 2}


async def test_only_the_developer_sees_an_apps_figures(api: Api, moderator: User) -> None:
    dev = await developer(api)
    other = await developer(api, name="City Utilities")
    stranger = await api.register()
    path = f"/miniapps/console/apps/{dev.appid}/stats"
    for user in (other.user, stranger, moderator):
        r = await api.client.get(path, headers=user.headers)
        assert r.status_code == 404, r.text
    assert (await api.client.get(path)).status_code == 401
    r = await api.client.get("/miniapps/console/apps/not-an-appid/stats", headers=dev.user.headers)
    assert r.status_code == 422


async def test_the_review_screen_names_each_waiting_app_and_its_developer(
    api: Api, moderator: User
) -> None:
    dev = await developer(api, domains=["api.dumplings.example"])
    idle = await developer(api, name="City Utilities")
    r = await upload(api, dev, bundle())
    assert r.status_code == 201, r.text
    await upload(api, idle, bundle())  # uploaded, never submitted
    r = await api.client.get("/miniapps/review/apps", headers=moderator.headers)
    assert r.json() == []
    vid = (await upload(api, dev, bundle(), "1.0.1")).json()["id"]
    base = f"/miniapps/console/apps/{dev.appid}/versions/{vid}"
    assert (await api.client.post(f"{base}/submit", headers=dev.user.headers)).status_code == 200

    r = await api.client.get("/miniapps/review/apps", headers=moderator.headers)
    assert r.status_code == 200, r.text
    (app,) = r.json()
    assert app == {
        "appid": dev.appid,
        "name": "Dumpling House",
        "description": "Hand-made dumplings",
        "category": "food",
        "icon_url": None,
        "domains": ["api.dumplings.example"],
        "developer_id": dev.user.id,
        "developer_name": "Dumpling House",
    }
    # Only moderators see it; once reviewed the app leaves the list.
    r = await api.client.get("/miniapps/review/apps", headers=dev.user.headers)
    assert r.status_code == 403
    r = await api.client.post(
        f"/miniapps/review/{vid}/reject", headers=moderator.headers, json={"reason": "Blank page"}
    )
    assert r.status_code == 200, r.text
    assert (await api.client.get("/miniapps/review/apps", headers=moderator.headers)).json() == []
