"""Helpers for the wallet tests: users with a PIN and money, keyed requests, sync events."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx

from hutong.app import Container
from hutong.wallet.ledger import BANK, WALLET, Op, memo_text
from tests.contacts.util import befriend
from tests.helpers import PASSWORD, Api, User

PIN = "258036"
CARD = "4242 4242 4242 4242"
DECLINING_CARD = "4000 0000 0000 0002"
SILENT_CARD = "4000 0000 0000 0051"
LATE_CARD = "4000 0000 0000 0077"

__all__ = ["CARD", "PIN", "befriend"]


def new_key() -> str:
    return str(uuid.uuid4())


def ptype(r: httpx.Response) -> str:
    assert r.headers["content-type"].startswith("application/problem+json"), r.text
    return str(r.json()["type"]).rsplit("/", 1)[-1]


async def send(
    api: Api, user: User, path: str, body: dict[str, Any] | None = None, *, key: str | None = None
) -> httpx.Response:
    """POST with a fresh (or the given) Idempotency-Key."""
    headers = {**user.headers, "Idempotency-Key": key or new_key()}
    return await api.client.post(path, json=body if body is not None else {}, headers=headers)


async def set_pin(api: Api, user: User, pin: str = PIN) -> None:
    r = await api.client.put(
        "/wallet/pin", headers=user.headers, json={"pin": pin, "password": PASSWORD}
    )
    assert r.status_code == 204, r.text


async def link_card(api: Api, user: User, number: str = CARD) -> int:
    r = await api.client.post("/wallet/cards", headers=user.headers, json={"number": number})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


async def topup(api: Api, user: User, amount: int, card: int | None = None) -> None:
    card = card or await link_card(api, user)
    r = await send(api, user, "/wallet/topups", {"card_id": card, "amount": amount})
    assert r.status_code == 201, r.text


async def wallet_user(api: Api, balance: int = 0) -> User:
    """A registered user with a PIN and `balance` fen topped up from a sandbox card."""
    user = await api.register()
    await set_pin(api, user)
    if balance:
        await topup(api, user, balance)
    return user


async def friends(api: Api, *balances: int) -> list[User]:
    """Users who are all friends with each other, each with a PIN and money."""
    users = [await wallet_user(api, b) for b in balances]
    for i, a in enumerate(users):
        for b in users[i + 1 :]:
            await befriend(api, a, b)
    return users


async def balance(api: Api, user: User) -> int:
    r = await api.client.get("/wallet", headers=user.headers)
    assert r.status_code == 200, r.text
    return int(r.json()["balance"])


async def events(api: Api, user: User, kind: str, n: int = 1, timeout: float = 5.0) -> list[Any]:
    """The user's sync events of `kind`, waiting (the outbox relays after commit) for `n`."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        r = await api.client.get("/sync?limit=500", headers=user.headers)
        found = [e for e in r.json()["events"] if e["kind"] == kind]
        if len(found) >= n or asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.05)


# -- service level ------------------------------------------------------------------------------


async def make_user(c: Container, handle: str) -> int:
    new = await c.accounts.register(handle, PASSWORD, None, device_name="test", ip="")
    await c.wallet.pins.set_pin(new.me.id, PIN, current_pin=None, password=PASSWORD)
    return new.me.id


async def make_friends(c: Container, a: int, b: int) -> None:
    async with c.db.write() as uow:
        await c.contacts.make_friends(uow, a, b)


async def fund(c: Container, user_id: int, amount: int) -> None:
    """Money in from the bank, as a completed top-up would bring it."""
    ledger = c.wallet.ledger
    bank, wallet = await ledger.account(BANK), await ledger.account(WALLET, user_id)
    out = await ledger.submit(
        Op("topup", ((bank, -amount), (wallet, amount)), ledger.now_us(), memo=memo_text({}))
    )
    assert out.ok, out


async def wallet_balance(c: Container, user_id: int) -> int:
    account = await c.wallet.ledger.find_account(WALLET, user_id)
    return await c.wallet.ledger.balance(account) if account else 0


async def assert_audit_ok(c: Container) -> None:
    from hutong.wallet import audit

    report = await audit(c.db)
    assert report.ok, report.summary()
