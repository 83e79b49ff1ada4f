"""A hypothesis state machine: random sequences of top-ups and withdrawals (with declines,
timeouts and late answers from the bank), transfers, accepts, declines, expiries, merchant
payments and refunds — with a model of every balance, and the full audit after every step.

Hypothesis drives the machine from a worker thread; each step runs its coroutine on the test's
event loop (where the container lives) and waits for it.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Coroutine
from typing import Any, ClassVar

from hypothesis import HealthCheck, settings, stateful
from hypothesis import strategies as st

from hutong.app import Container
from hutong.core.clock import ManualClock
from hutong.core.errors import HutongError
from hutong.wallet import audit
from hutong.wallet.ledger import MERCHANT
from hutong.wallet.schemas import MerchantIn, PayIn, RefundIn, TopupIn, TransferIn, WithdrawIn
from tests.wallet.util import PIN, make_friends, make_user, new_key, wallet_balance

MODES = ("ok", "decline", "timeout", "late")
NUMBERS = {
    "ok": "4242424242424242",
    "decline": "4000000000000002",
    "timeout": "4000000000000051",
    "late": "4000000000000077",
}
amounts = st.integers(min_value=1, max_value=20_000)
picks = st.integers(min_value=0, max_value=10**6)


@dataclasses.dataclass
class World:
    loop: asyncio.AbstractEventLoop
    c: Container
    clock: ManualClock
    users: list[int]
    cards: dict[tuple[int, str], int]
    merchant_id: int
    qr_token: str
    merchant_account: int

    def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=120)


class LedgerMachine(stateful.RuleBasedStateMachine):
    world: ClassVar[World]

    def __init__(self) -> None:
        super().__init__()
        w = self.world
        # Examples share the database: settle what an earlier one left pending, then start the
        # model from the balances as they are.
        w.clock.advance(hours=25)
        w.run(w.c.wallet.sweep())
        self.balances = {u: w.run(wallet_balance(w.c, u)) for u in w.users}
        self.merchant = w.run(w.c.wallet.ledger.balance(w.merchant_account))
        self.transfers: dict[int, tuple[int, int, int]] = {}  # pending: src, dst, amount
        self.payments: dict[int, list[int]] = {}  # payer, amount, refunded
        self.bank_ops: dict[int, tuple[str, int, int, str]] = {}  # kind, user, held, mode

    def _call(self, coro: Coroutine[Any, Any, Any]) -> tuple[Any, str]:
        try:
            return self.world.run(coro), ""
        except HutongError as exc:
            return None, exc.code

    @stateful.rule(user=st.integers(0, 3), amount=amounts, mode=st.sampled_from(MODES))
    def top_up(self, user: int, amount: int, mode: str) -> None:
        w = self.world
        uid = w.users[user]
        body = TopupIn(card_id=w.cards[(uid, mode)], amount=amount)
        op, error = self._call(w.c.wallet.banking.topup(uid, body, new_key()))
        if mode == "ok":
            self.balances[uid] += amount
        elif mode == "decline":
            assert error == "bank-declined"
        else:
            assert op.status == "pending"
            self.bank_ops[op.id] = ("topup", uid, amount, mode)

    @stateful.rule(user=st.integers(0, 3), amount=amounts, mode=st.sampled_from(MODES))
    def withdraw(self, user: int, amount: int, mode: str) -> None:
        w = self.world
        uid = w.users[user]
        held = amount + w.c.wallet.banking.fee(amount)
        body = WithdrawIn(card_id=w.cards[(uid, mode)], amount=amount, pin=PIN)
        op, error = self._call(w.c.wallet.banking.withdraw(uid, body, new_key()))
        if held > self.balances[uid]:
            assert error == "insufficient-funds"
        elif mode == "ok":
            self.balances[uid] -= held
        elif mode == "decline":
            assert error == "bank-declined"
        else:
            assert op.status == "pending"
            self.balances[uid] -= held
            self.bank_ops[op.id] = ("withdrawal", uid, held, mode)

    @stateful.rule(src=st.integers(0, 3), dst=st.integers(0, 3), amount=amounts)
    def transfer(self, src: int, dst: int, amount: int) -> None:
        w = self.world
        a, b = w.users[src], w.users[dst]
        body = TransferIn(to_user_id=b, amount=amount, pin=PIN)
        t, error = self._call(w.c.wallet.transfers.send(a, body, new_key()))
        if a == b:
            assert error == "self-payment"
        elif amount > self.balances[a]:
            assert error == "insufficient-funds"
        else:
            assert t.status == "pending", error
            self.balances[a] -= amount
            self.transfers[t.id] = (a, b, amount)

    @stateful.rule(pick=picks, accept=st.booleans())
    def settle_transfer(self, pick: int, accept: bool) -> None:
        if not self.transfers:
            return
        w = self.world
        tid = sorted(self.transfers)[pick % len(self.transfers)]
        a, b, amount = self.transfers.pop(tid)
        call = w.c.wallet.transfers.accept if accept else w.c.wallet.transfers.decline
        _, error = self._call(call(b, tid, new_key()))
        assert not error, error
        self.balances[b if accept else a] += amount
        _, again = self._call(call(b, tid, new_key()))
        assert again == "not-pending"

    @stateful.rule(user=st.integers(1, 3), amount=amounts)
    def pay_merchant(self, user: int, amount: int) -> None:
        w = self.world
        uid = w.users[user]
        body = PayIn(qr_token=w.qr_token, amount=amount, pin=PIN)
        p, error = self._call(w.c.wallet.merchants.pay(uid, body, new_key()))
        if amount > self.balances[uid]:
            assert error == "insufficient-funds"
        else:
            assert not error, error
            self.balances[uid] -= amount
            self.merchant += amount
            self.payments[p.id] = [uid, amount, 0]

    @stateful.rule(pick=picks, amount=amounts)
    def refund(self, pick: int, amount: int) -> None:
        if not self.payments:
            return
        w = self.world
        pid = sorted(self.payments)[pick % len(self.payments)]
        payer, paid, refunded = self.payments[pid]
        body = RefundIn(payment_id=pid, amount=amount)
        _, error = self._call(
            w.c.wallet.merchants.refund(w.users[0], w.merchant_id, body, new_key())
        )
        if amount > paid - refunded:
            assert error == "refund-exceeds-payment"
        elif amount > self.merchant:
            assert error == "insufficient-funds"
        else:
            assert not error, error
            self.payments[pid][2] += amount
            self.merchant -= amount
            self.balances[payer] += amount

    @stateful.rule(hours=st.sampled_from([0.1, 25]))
    def time_passes(self, hours: float) -> None:
        """The sweep after some time: reconciliation (and, after a day, expiries)."""
        w = self.world
        w.clock.advance(hours=hours)
        w.run(w.c.wallet.sweep())
        for kind, uid, amount, mode in self.bank_ops.values():
            if kind == "topup" and mode == "late":
                self.balances[uid] += amount
            if kind == "withdrawal" and mode == "timeout":
                self.balances[uid] += amount  # the bank never paid out: the hold comes back
        self.bank_ops.clear()
        if hours >= 24:
            for a, _, amount in self.transfers.values():
                self.balances[a] += amount
            self.transfers.clear()

    @stateful.invariant()
    def books_balance(self) -> None:
        w = self.world
        report = w.run(audit(w.c.db))
        assert report.ok, report.summary()
        for uid, expected in self.balances.items():
            assert w.run(wallet_balance(w.c, uid)) == expected, uid
        assert w.run(w.c.wallet.ledger.balance(w.merchant_account)) == self.merchant


async def test_random_money_movements_keep_every_invariant(
    wallet_container: Container, clock: ManualClock
) -> None:
    c = wallet_container
    # The bank's timeouts are real waits; keep them short here.
    c.wallet.policy = dataclasses.replace(c.wallet.policy, bank_timeout_s=0.05)
    users = [await make_user(c, f"model{i}") for i in range(4)]
    for i, a in enumerate(users):
        for b in users[i + 1 :]:
            await make_friends(c, a, b)
    cards = {}
    for uid in users:
        for mode, number in NUMBERS.items():
            cards[(uid, mode)] = (await c.wallet.banking.link_card(uid, number)).id
    shop = await c.wallet.merchants.open(users[0], MerchantIn(name="Model Shop"), "http://t")
    LedgerMachine.world = World(
        loop=asyncio.get_running_loop(),
        c=c,
        clock=clock,
        users=users,
        cards=cards,
        merchant_id=shop.id,
        qr_token=shop.collect_qr.token,
        merchant_account=await c.wallet.ledger.account(MERCHANT, shop.id),
    )
    machine_settings = settings(
        max_examples=12,
        stateful_step_count=25,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    await asyncio.to_thread(
        stateful.run_state_machine_as_test, LedgerMachine, settings=machine_settings
    )
