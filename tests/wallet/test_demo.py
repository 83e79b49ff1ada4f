"""The demo's wallets: money, shops and a history, and an audit that passes."""

from __future__ import annotations

import random

from hutong.app import Container
from hutong.wallet.demo import fill_wallets
from tests.helpers import PASSWORD
from tests.wallet.util import assert_audit_ok, make_friends, make_user, wallet_balance


async def test_demo_fills_wallets_and_the_books_balance(wallet_container: Container) -> None:
    c = wallet_container
    users = [await make_user(c, f"demo{i}") for i in range(4)]
    await make_friends(c, users[0], users[1])
    made = await fill_wallets(c.wallet, users, PASSWORD, random.Random(1))
    assert made["wallets"] == 4
    assert made["shops"] == 4
    assert made["payments"] > 0
    assert made["transfers"] > 0
    for u in users:
        assert await wallet_balance(c, u) >= 0
    await assert_audit_ok(c)
