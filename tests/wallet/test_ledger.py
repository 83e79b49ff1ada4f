"""The ledger under real concurrency, its append-only tables, and `hutong ledger audit` catching
rows tampered with directly in the database."""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.app import Container
from hutong.settings import Settings
from hutong.wallet import audit
from hutong.wallet.errors import InsufficientFunds
from hutong.wallet.ledger import BANK, ESCROW_TRANSFER, WALLET, Op, memo_text
from hutong.wallet.ledger.entries import chain_hash, tail_text
from hutong.wallet.schemas import TransferIn
from tests.wallet.util import (
    PIN,
    assert_audit_ok,
    fund,
    make_friends,
    make_user,
    new_key,
    wallet_balance,
)

pytestmark = pytest.mark.usefixtures("wallet_container")


@asynccontextmanager
async def tampering(c: Container) -> AsyncIterator[AsyncConnection]:
    """A connection that gets past the append-only triggers, as an intruder with database
    access could: SQLite triggers dropped (in this test's own database file), PostgreSQL
    triggers skipped for this session only."""
    async with c.db.engine.connect() as conn:
        if c.db.is_sqlite:
            for table in ("ledger_transactions", "ledger_postings"):
                for action in ("update", "delete"):
                    await conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_{action}"))
        else:
            await conn.execute(text("SET session_replication_role = replica"))
        try:
            yield conn
            await conn.commit()
        finally:
            if not c.db.is_sqlite:
                await conn.execute(text("RESET session_replication_role"))
                await conn.commit()


async def some_history(c: Container) -> dict[str, int]:
    """Top-ups, an accepted and a pending transfer: the ids of interesting entries."""
    a, b = await make_user(c, "ledger_a"), await make_user(c, "ledger_b")
    await make_friends(c, a, b)
    await fund(c, a, 10_000)
    await fund(c, b, 3_000)
    t1 = await c.wallet.transfers.send(
        a, TransferIn(to_user_id=b, amount=1_500, pin=PIN), new_key()
    )
    await c.wallet.transfers.accept(b, t1.id, new_key())
    t2 = await c.wallet.transfers.send(b, TransferIn(to_user_id=a, amount=700, pin=PIN), new_key())
    return {"a": a, "b": b, "accepted": t1.id, "pending": t2.id}


def run_cli(settings: Settings, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HUTONG_DATABASE_URL": settings.database_url, "HUTONG_DATA_DIR": str(tmp)}
    return subprocess.run(
        [sys.executable, "-m", "hutong.cli", "ledger", "audit", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


async def test_audit_passes_and_the_cli_says_so(
    wallet_container: Container, settings: Settings, tmp_path: Path
) -> None:
    c = wallet_container
    await some_history(c)
    report = await audit(c.db)
    assert report.ok, report.summary()
    assert (report.transactions, report.holds) == (5, 2)
    out = await asyncio.to_thread(run_cli, settings, tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.startswith("ledger audit: OK")


async def test_journal_and_postings_refuse_update_and_delete(wallet_container: Container) -> None:
    c = wallet_container
    await some_history(c)
    for sql in (
        "UPDATE ledger_postings SET amount = amount + 1",
        "DELETE FROM ledger_postings",
        "UPDATE ledger_transactions SET memo = '{}'",
        "DELETE FROM ledger_transactions",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with c.db.write() as uow:
                await uow.session.execute(text(sql))
    await assert_audit_ok(c)


TAMPERS = {
    "posting amount": (
        "UPDATE ledger_postings SET amount = amount + 1 WHERE tx_id = 3 AND amount > 0",
        "entry 3 does not match its hash",
    ),
    "balance": (
        "UPDATE ledger_accounts SET balance = balance + 100 WHERE kind = 'wallet'",
        "postings sum to",
    ),
    "deleted entry": (
        "DELETE FROM ledger_postings WHERE tx_id = 2; DELETE FROM ledger_transactions WHERE id = 2",
        "entries 2..2 are missing",
    ),
    "memo": (
        """UPDATE ledger_transactions SET memo = '{"note":"forged"}' WHERE id = 3""",
        "entry 3 does not match its hash",
    ),
    "hold reopened": (
        "UPDATE ledger_holds SET status = 'pending', resolved_tx_id = NULL WHERE status = 'posted'",
        "pending, yet entry",
    ),
    "posting moved": (
        "UPDATE ledger_postings SET account_id = (SELECT id FROM ledger_accounts "
        "WHERE kind = 'escrow.transfer') WHERE tx_id = 1 AND amount > 0",
        "entry 1 does not match its hash",
    ),
}


@pytest.mark.parametrize("tamper", sorted(TAMPERS))
async def test_audit_names_the_first_violation_after_tampering(
    wallet_container: Container, settings: Settings, tmp_path: Path, tamper: str
) -> None:
    c = wallet_container
    await some_history(c)
    sql, expected = TAMPERS[tamper]
    async with tampering(c) as conn:
        for statement in sql.split("; "):
            await conn.execute(text(statement))
    report = await audit(c.db)
    assert not report.ok
    assert expected in report.violations[0], report.summary()
    out = await asyncio.to_thread(run_cli, settings, tmp_path)
    assert out.returncode == 1
    assert expected in out.stdout


async def test_negative_balance_is_a_violation(wallet_container: Container) -> None:
    c = wallet_container
    if not c.db.is_sqlite:
        pytest.skip("PostgreSQL's CHECK constraint cannot be bypassed per session")
    await some_history(c)
    async with tampering(c) as conn:
        await conn.execute(text("PRAGMA ignore_check_constraints = ON"))
        await conn.execute(text("UPDATE ledger_accounts SET balance = -5 WHERE kind = 'wallet'"))
    report = await audit(c.db)
    assert any("negative balance -5 is not allowed" in v for v in report.violations)


async def test_a_rewritten_chain_is_caught_by_an_earlier_anchor(
    wallet_container: Container, settings: Settings, tmp_path: Path
) -> None:
    c = wallet_container
    await some_history(c)
    head = await audit(c.db)
    anchor = f"{head.head_id}:{head.head_hash}"
    # An intruder edits entry 2 and recomputes every hash after it: the chain is consistent...
    async with tampering(c) as conn:
        await conn.execute(
            text("UPDATE ledger_transactions SET memo = :m WHERE id = 2"), {"m": '{"x":1}'}
        )
        rows = (
            await conn.execute(
                text(
                    "SELECT id, kind, at_us, hold_id, hold_action, ref, memo "
                    "FROM ledger_transactions ORDER BY id"
                )
            )
        ).all()
        prev = "0" * 64
        for r in rows:
            postings = (
                await conn.execute(
                    text("SELECT account_id, amount FROM ledger_postings WHERE tx_id = :t"),
                    {"t": r.id},
                )
            ).all()
            tail = tail_text(
                r.kind, r.at_us, r.hold_action, r.ref, [tuple(p) for p in postings], r.memo
            )
            prev = chain_hash(prev, r.id, r.hold_id, tail)
            await conn.execute(
                text("UPDATE ledger_transactions SET hash = :h WHERE id = :i"),
                {"h": prev, "i": r.id},
            )
    assert (await audit(c.db)).ok
    # ...but not with the head recorded before.
    out = await asyncio.to_thread(run_cli, settings, tmp_path, "--anchor", anchor)
    assert out.returncode == 1
    assert f"anchor {head.head_id}" in out.stdout


async def test_300_concurrent_ledger_ops_between_five_accounts_conserve_money(
    wallet_container: Container,
) -> None:
    c = wallet_container
    ledger = c.wallet.ledger
    bank = await ledger.account(BANK)
    accounts = [await ledger.account(WALLET, 9000 + i) for i in range(5)]
    for a in accounts:
        assert (await ledger.submit(Op("topup", ((bank, -1_000), (a, 1_000)), ledger.now_us()))).ok
    rnd = random.Random(7)

    async def move(i: int) -> int:
        src, dst = rnd.sample(accounts, 2)
        amount = rnd.randint(1, 400)
        out = await ledger.submit(
            Op(
                "transfer",
                ((src, -amount), (dst, amount)),
                ledger.now_us(),
                memo=memo_text({"i": i}),
            )
        )
        assert out.ok or out.error == "insufficient-funds"
        return int(out.ok)

    moved = await asyncio.gather(*(move(i) for i in range(300)))
    balances = await ledger.balances(accounts)
    assert sum(balances.values()) == 5_000
    assert min(balances.values()) >= 0
    assert 0 < sum(moved) <= 300
    await assert_audit_ok(c)


async def test_200_concurrent_transfers_out_of_a_wallet_that_affords_only_some(
    wallet_container: Container,
) -> None:
    c = wallet_container
    alice = await make_user(c, "spender")
    friends = [await make_user(c, f"friend{i}") for i in range(5)]
    for f in friends:
        await make_friends(c, alice, f)
    await fund(c, alice, 10_000)

    async def transfer(i: int) -> int:
        body = TransferIn(to_user_id=friends[i % 5], amount=150, pin=PIN)
        try:
            await c.wallet.transfers.send(alice, body, new_key())
        except InsufficientFunds:
            return 0
        return 150

    sent = sum(await asyncio.gather(*(transfer(i) for i in range(200))))
    assert sent == 150 * (10_000 // 150)  # every transfer that fitted went through
    assert await wallet_balance(c, alice) == 10_000 - sent >= 0
    escrow = await c.wallet.ledger.account(ESCROW_TRANSFER)
    assert await c.wallet.ledger.balance(escrow) == sent
    await assert_audit_ok(c)


async def test_250_concurrent_transfers_and_accepts_between_a_handful_of_friends(
    wallet_container: Container,
) -> None:
    c = wallet_container
    users = [await make_user(c, f"ring{i}") for i in range(5)]
    for i, a in enumerate(users):
        for b in users[i + 1 :]:
            await make_friends(c, a, b)
        await fund(c, a, 2_000)
    rnd = random.Random(11)

    async def transfer_and_accept(i: int) -> None:
        src, dst = rnd.sample(users, 2)
        try:
            t = await c.wallet.transfers.send(
                src, TransferIn(to_user_id=dst, amount=rnd.randint(1, 300), pin=PIN), new_key()
            )
        except InsufficientFunds:
            return
        if i % 3:
            await c.wallet.transfers.accept(dst, t.id, new_key())
        else:
            await c.wallet.transfers.decline(dst, t.id, new_key())

    await asyncio.gather(*(transfer_and_accept(i) for i in range(250)))
    balances = [await wallet_balance(c, u) for u in users]
    escrow = await c.wallet.ledger.balance(await c.wallet.ledger.account(ESCROW_TRANSFER))
    assert sum(balances) + escrow == 10_000
    assert escrow == 0
    assert min(balances) >= 0
    await assert_audit_ok(c)
