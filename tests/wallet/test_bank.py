"""Top-ups and withdrawals through the sandbox bank: declines, timeouts, late answers, fees,
and reconciliation of what was left pending."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from hutong.app import Container
from hutong.core.clock import ManualClock
from hutong.settings import Settings
from tests.helpers import Api
from tests.wallet.util import (
    DECLINING_CARD,
    LATE_CARD,
    PIN,
    SILENT_CARD,
    assert_audit_ok,
    balance,
    events,
    link_card,
    new_key,
    ptype,
    send,
    topup,
    wallet_user,
)


async def test_top_up_and_withdraw_with_a_fee(api: Api, container: Container) -> None:
    user = await wallet_user(api)
    card = await link_card(api, user)
    r = await send(api, user, "/wallet/topups", {"card_id": card, "amount": 100_000})
    assert (r.status_code, r.json()["status"]) == (201, "succeeded")
    assert await balance(api, user) == 100_000
    assert len(await events(api, user, "wallet.topup")) == 1
    # The wallet states the fee rule, so the client can show the fee before the PIN is asked.
    shown = (await api.client.get("/wallet", headers=user.headers)).json()
    assert (shown["withdraw_fee_bp"], shown["withdraw_fee_min"]) == (10, 10)
    r = await send(
        api, user, "/wallet/withdrawals", {"card_id": card, "amount": 50_000, "pin": PIN}
    )
    assert r.status_code == 201, r.text
    assert (r.json()["status"], r.json()["fee"]) == ("succeeded", 50)  # 0.1 %
    assert await balance(api, user) == 49_950
    fees = container.wallet.ledger
    assert await fees.balance(await fees.account("fees")) == 50
    # The smallest withdrawal still pays the minimum fee.
    r = await send(api, user, "/wallet/withdrawals", {"card_id": card, "amount": 100, "pin": PIN})
    assert r.json()["fee"] == 10
    assert await balance(api, user) == 49_840
    done = await events(api, user, "wallet.withdrawal", n=2)
    assert [e["payload"]["status"] for e in done] == ["succeeded", "succeeded"]
    await assert_audit_ok(container)


async def test_declined_top_up_moves_nothing_and_its_retry_says_so_again(
    api: Api, container: Container
) -> None:
    user = await wallet_user(api)
    card = await link_card(api, user, DECLINING_CARD)
    key = new_key()
    body = {"card_id": card, "amount": 5_000}
    for _ in range(2):
        r = await send(api, user, "/wallet/topups", body, key=key)
        assert (r.status_code, ptype(r)) == (402, "bank-declined")
    assert await balance(api, user) == 0
    ops = (await api.client.get("/wallet/bank-operations", headers=user.headers)).json()
    assert [(o["status"], o["error"]) for o in ops] == [("failed", "bank-declined")]
    await assert_audit_ok(container)


async def test_declined_withdrawal_returns_the_held_money(api: Api, container: Container) -> None:
    user = await wallet_user(api, 10_000)
    card = await link_card(api, user)
    container.wallet.bank.script("decline")  # type: ignore[attr-defined]
    r = await send(api, user, "/wallet/withdrawals", {"card_id": card, "amount": 4_000, "pin": PIN})
    assert (r.status_code, ptype(r)) == (402, "bank-declined")
    assert await balance(api, user) == 10_000
    bills = (await api.client.get("/wallet/bills", headers=user.headers)).json()["bills"]
    kinds = [(b["kind"], b["status"], b["amount"]) for b in bills[:2]]
    assert kinds == [("withdrawal_returned", "completed", 4_010), ("withdrawal", "failed", 4_010)]
    await assert_audit_ok(container)


async def test_withdrawal_needs_money_pin_and_a_card_of_ones_own(api: Api) -> None:
    user = await wallet_user(api, 1_000)
    other = await wallet_user(api)
    card = await link_card(api, user)
    theirs = await link_card(api, other)
    r = await send(api, user, "/wallet/withdrawals", {"card_id": card, "amount": 995, "pin": PIN})
    assert (r.status_code, ptype(r)) == (409, "insufficient-funds")  # 995 + 10 fee > 1000
    r = await send(api, user, "/wallet/withdrawals", {"card_id": theirs, "amount": 10, "pin": PIN})
    assert (r.status_code, ptype(r)) == (404, "not-found")
    r = await send(
        api, user, "/wallet/withdrawals", {"card_id": card, "amount": 10, "pin": "000111"}
    )
    assert (r.status_code, ptype(r)) == (403, "wrong-pin")
    assert await balance(api, user) == 1_000


async def test_bank_timeout_leaves_it_pending_until_reconciliation(
    api: Api, container: Container, clock: ManualClock
) -> None:
    user = await wallet_user(api, 10_000)
    silent = await link_card(api, user, SILENT_CARD)
    late = await link_card(api, user, LATE_CARD)
    # A top-up the bank never carried out, and one it did carry out but answered too late.
    r1 = await send(api, user, "/wallet/topups", {"card_id": silent, "amount": 3_000})
    r2 = await send(api, user, "/wallet/topups", {"card_id": late, "amount": 2_000})
    # A withdrawal the bank paid out late, and one it never saw.
    r3 = await send(
        api, user, "/wallet/withdrawals", {"card_id": late, "amount": 1_000, "pin": PIN}
    )
    r4 = await send(
        api, user, "/wallet/withdrawals", {"card_id": silent, "amount": 500, "pin": PIN}
    )
    assert [r.status_code for r in (r1, r2, r3, r4)] == [202] * 4
    assert {r.json()["status"] for r in (r1, r2, r3, r4)} == {"pending"}
    assert await balance(api, user) == 10_000 - 1_010 - 510  # withdrawals are held at once
    # Too recent for the sweep: an answer may still be on its way.
    assert (await container.wallet.sweep())["bank_ops_settled"] == 0
    clock.advance(minutes=5)
    assert (await container.wallet.sweep())["bank_ops_settled"] == 4
    ops = {
        o["id"]: o
        for o in (await api.client.get("/wallet/bank-operations", headers=user.headers)).json()
    }
    assert [ops[r.json()["id"]]["status"] for r in (r1, r2, r3, r4)] == [
        "failed",
        "succeeded",
        "succeeded",
        "failed",
    ]
    assert await balance(api, user) == 10_000 + 2_000 - 1_010
    # Reconciling again changes nothing.
    assert (await container.wallet.sweep())["bank_ops_settled"] == 0
    assert await balance(api, user) == 12_000 - 1_010
    await assert_audit_ok(container)


async def test_reconcile_command_settles_after_a_restart(
    api: Api, container: Container, settings: Settings
) -> None:
    user = await wallet_user(api)
    late = await link_card(api, user, LATE_CARD)
    r = await send(api, user, "/wallet/topups", {"card_id": late, "amount": 2_000})
    assert r.status_code == 202
    env = {
        **os.environ,
        "HUTONG_DATABASE_URL": settings.database_url,
        "HUTONG_DATA_DIR": str(settings.data_dir),
        "HUTONG_SECRET_KEY": settings.secret_key,
    }
    out = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "hutong.cli", "ledger", "reconcile"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "settled 1 pending" in out.stdout
    assert await balance(api, user) == 2_000
    await assert_audit_ok(container)


async def test_concurrent_duplicates_of_a_top_up_move_money_once(
    api: Api, container: Container
) -> None:
    user = await wallet_user(api)
    card = await link_card(api, user)
    key = new_key()
    body = {"card_id": card, "amount": 700}
    answers = await asyncio.gather(
        *(send(api, user, "/wallet/topups", body, key=key) for _ in range(20))
    )
    assert {r.status_code for r in answers} <= {201, 202}
    assert len({r.json()["id"] for r in answers}) == 1
    assert await balance(api, user) == 700
    await topup(api, user, 300, card)
    assert await balance(api, user) == 1_000
    await assert_audit_ok(container)


async def test_cards_are_validated_and_private(api: Api) -> None:
    user = await wallet_user(api)
    other = await wallet_user(api)
    r = await api.client.post(
        "/wallet/cards", headers=user.headers, json={"number": "4242424242424241"}
    )
    assert (r.status_code, ptype(r)) == (422, "card-invalid")
    r = await api.client.post("/wallet/cards", headers=user.headers, json={"number": "abc"})
    assert (r.status_code, ptype(r)) == (422, "invalid-input")
    card = await link_card(api, user)
    listed = (await api.client.get("/wallet/cards", headers=user.headers)).json()
    assert [(c["id"], c["last4"]) for c in listed] == [(card, "4242")]
    assert (await api.client.get("/wallet/cards", headers=other.headers)).json() == []
    assert (
        await api.client.delete(f"/wallet/cards/{card}", headers=other.headers)
    ).status_code == 404
    r = await send(api, other, "/wallet/topups", {"card_id": card, "amount": 100})
    assert r.status_code == 404
    assert (
        await api.client.delete(f"/wallet/cards/{card}", headers=user.headers)
    ).status_code == 204
