"""Transfers to friends through the HTTP API: send, accept, decline, expiry, realtime notices,
idempotency, the PIN lock, and who may see and do what."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hutong.app import Container
from hutong.core.clock import ManualClock
from tests.helpers import Api, User
from tests.wallet.util import (
    PIN,
    assert_audit_ok,
    balance,
    befriend,
    events,
    friends,
    new_key,
    ptype,
    send,
    wallet_user,
)


async def test_transfer_leaves_at_once_and_arrives_when_accepted(
    api: Api, container: Container
) -> None:
    alice, bob = await friends(api, 10_000, 0)
    r = await send(
        api,
        alice,
        "/wallet/transfers",
        {"to_user_id": bob.id, "amount": 2_500, "note": "lunch", "pin": PIN},
    )
    assert r.status_code == 201, r.text
    t = r.json()
    assert (t["status"], t["amount"], t["note"], t["to_user_id"]) == (
        "pending",
        2_500,
        "lunch",
        bob.id,
    )
    assert await balance(api, alice) == 7_500  # gone from the sender at once
    assert await balance(api, bob) == 0  # not yet the recipient's
    [received] = await events(api, bob, "wallet.transfer_received")
    assert received["payload"]["transfer_id"] == t["id"]
    assert received["payload"]["amount"] == 2_500
    wallet = (await api.client.get("/wallet", headers=bob.headers)).json()
    assert wallet["incoming_pending"] == 1

    r = await send(api, bob, f"/wallet/transfers/{t['id']}/accept")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "accepted"
    assert r.json()["resolved_at"] is not None
    assert await balance(api, bob) == 2_500
    assert await balance(api, alice) == 7_500
    for user in (alice, bob):
        assert len(await events(api, user, "wallet.transfer_accepted")) == 1
    await assert_audit_ok(container)


async def test_decline_returns_the_money_and_nothing_settles_twice(
    api: Api, container: Container
) -> None:
    alice, bob = await friends(api, 5_000, 0)
    r = await send(
        api, alice, "/wallet/transfers", {"to_user_id": bob.id, "amount": 1_000, "pin": PIN}
    )
    tid = r.json()["id"]
    r = await send(api, bob, f"/wallet/transfers/{tid}/decline")
    assert (r.status_code, r.json()["status"]) == (200, "declined")
    assert await balance(api, alice) == 5_000
    # Accepting (or declining again) a settled transfer moves nothing.
    r = await send(api, bob, f"/wallet/transfers/{tid}/accept")
    assert (r.status_code, ptype(r)) == (409, "not-pending")
    assert await balance(api, bob) == 0
    assert len(await events(api, alice, "wallet.transfer_declined")) == 1
    await assert_audit_ok(container)


async def test_unaccepted_transfer_returns_after_24_hours(
    api: Api, container: Container, clock: ManualClock
) -> None:
    alice, bob = await friends(api, 5_000, 0)
    r = await send(
        api, alice, "/wallet/transfers", {"to_user_id": bob.id, "amount": 1_200, "pin": PIN}
    )
    tid = r.json()["id"]
    clock.advance(hours=23, minutes=59)
    assert (await container.wallet.sweep())["transfers_returned"] == 0
    clock.advance(minutes=2)
    # Two workers sweeping at once return it once.
    swept = await asyncio.gather(container.wallet.sweep(), container.wallet.sweep())
    assert sum(s["transfers_returned"] for s in swept) == 1
    assert await balance(api, alice) == 5_000
    t = (await api.client.get(f"/wallet/transfers/{tid}", headers=alice.headers)).json()
    assert t["status"] == "returned"
    r = await send(api, bob, f"/wallet/transfers/{tid}/accept")
    assert (r.status_code, ptype(r)) == (409, "not-pending")
    assert len(await events(api, bob, "wallet.transfer_returned")) == 1
    await assert_audit_ok(container)


async def test_accepting_after_expiry_before_the_sweep_is_refused(
    api: Api, container: Container, clock: ManualClock
) -> None:
    alice, bob = await friends(api, 5_000, 0)
    r = await send(
        api, alice, "/wallet/transfers", {"to_user_id": bob.id, "amount": 700, "pin": PIN}
    )
    clock.advance(hours=25)
    r = await send(api, bob, f"/wallet/transfers/{r.json()['id']}/accept")
    assert (r.status_code, ptype(r)) == (410, "transfer-expired")
    assert await balance(api, alice) == 5_000
    assert await balance(api, bob) == 0


async def test_transfers_go_to_friends_only_and_never_to_blockers(api: Api) -> None:
    alice = await wallet_user(api, 5_000)
    stranger = await wallet_user(api)
    r = await send(
        api, alice, "/wallet/transfers", {"to_user_id": stranger.id, "amount": 100, "pin": PIN}
    )
    assert (r.status_code, ptype(r)) == (403, "not-friends")
    await befriend(api, alice, stranger)
    r = await api.client.put(f"/contacts/blocks/{alice.id}", headers=stranger.headers)
    assert r.status_code in (200, 201), r.text
    r = await send(
        api, alice, "/wallet/transfers", {"to_user_id": stranger.id, "amount": 100, "pin": PIN}
    )
    assert (r.status_code, ptype(r)) == (403, "blocked")
    r = await send(
        api, alice, "/wallet/transfers", {"to_user_id": alice.id, "amount": 100, "pin": PIN}
    )
    assert (r.status_code, ptype(r)) == (422, "self-payment")
    assert await balance(api, alice) == 5_000


async def test_a_retry_returns_the_first_answer_and_moves_nothing(api: Api) -> None:
    alice, bob = await friends(api, 5_000, 0)
    body = {"to_user_id": bob.id, "amount": 1_000, "pin": PIN}
    key = new_key()
    first = await send(api, alice, "/wallet/transfers", body, key=key)
    again = await send(api, alice, "/wallet/transfers", body, key=key)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert await balance(api, alice) == 4_000
    # The same key for another request is a conflict, and moves nothing either.
    r = await send(api, alice, "/wallet/transfers", {**body, "amount": 999}, key=key)
    assert (r.status_code, ptype(r)) == (409, "idempotency-key-reused")
    # Errors decided by the ledger are replayed too: the key stays "insufficient".
    key2 = new_key()
    big = {"to_user_id": bob.id, "amount": 4_001, "pin": PIN}
    r = await send(api, alice, "/wallet/transfers", big, key=key2)
    assert (r.status_code, ptype(r)) == (409, "insufficient-funds")
    r = await api.client.post(
        "/wallet/transfers", json=big, headers={**alice.headers, "Idempotency-Key": key2}
    )
    assert (r.status_code, ptype(r)) == (409, "insufficient-funds")
    assert await balance(api, alice) == 4_000
    # No key at all: refused.
    r = await api.client.post("/wallet/transfers", json=body, headers=alice.headers)
    assert (r.status_code, ptype(r)) == (422, "idempotency-key-required")


async def test_100_concurrent_retries_of_one_key_make_one_transfer(
    api: Api, container: Container
) -> None:
    alice, bob = await friends(api, 50_000, 0)
    body = {"to_user_id": bob.id, "amount": 300, "pin": PIN}
    key = new_key()
    answers = await asyncio.gather(
        *(send(api, alice, "/wallet/transfers", body, key=key) for _ in range(100))
    )
    assert {r.status_code for r in answers} == {201}
    assert len({r.json()["id"] for r in answers}) == 1
    assert await balance(api, alice) == 49_700
    listed = (await api.client.get("/wallet/transfers", headers=alice.headers)).json()
    assert len(listed["transfers"]) == 1
    await assert_audit_ok(container)


async def test_five_wrong_pins_lock_payments_for_three_hours(api: Api, clock: ManualClock) -> None:
    alice, bob = await friends(api, 5_000, 0)
    body = {"to_user_id": bob.id, "amount": 100, "pin": "111222"}
    for left in (4, 3, 2, 1):
        r = await send(api, alice, "/wallet/transfers", body)
        assert (r.status_code, ptype(r), r.json()["attempts_left"]) == (403, "wrong-pin", left)
    r = await send(api, alice, "/wallet/transfers", body)
    assert (r.status_code, ptype(r)) == (423, "pin-locked")
    until = r.json()["locked_until"]
    # Locked: even the right PIN is refused, and the user is told until when.
    r = await send(api, alice, "/wallet/transfers", {**body, "pin": PIN})
    assert (r.status_code, r.json()["locked_until"]) == (423, until)
    wallet = (await api.client.get("/wallet", headers=alice.headers)).json()
    assert wallet["pin_locked_until"] is not None
    clock.advance(hours=3, seconds=1)
    r = await send(api, alice, "/wallet/transfers", {**body, "pin": PIN})
    assert r.status_code == 201, r.text
    assert await balance(api, alice) == 4_900


async def test_strangers_never_see_or_touch_a_transfer(api: Api) -> None:
    alice, bob = await friends(api, 5_000, 0)
    eve = await wallet_user(api)
    r = await send(
        api, alice, "/wallet/transfers", {"to_user_id": bob.id, "amount": 100, "pin": PIN}
    )
    tid = r.json()["id"]
    assert (
        await api.client.get(f"/wallet/transfers/{tid}", headers=eve.headers)
    ).status_code == 404
    r = await send(api, eve, f"/wallet/transfers/{tid}/accept")
    assert (r.status_code, ptype(r)) == (404, "not-found")
    # The sender cannot accept their own transfer either.
    r = await send(api, alice, f"/wallet/transfers/{tid}/accept")
    assert (r.status_code, ptype(r)) == (403, "forbidden")
    listed = (await api.client.get("/wallet/transfers", headers=eve.headers)).json()
    assert listed["transfers"] == []
    assert (await api.client.get("/wallet", headers=eve.headers)).json()["balance"] == 0
    assert (await api.client.get("/wallet")).status_code == 401


@pytest.mark.parametrize(
    "amount",
    [0, -100, 1.5, 100.0, "100", True, None, 10**30, 5_000_001],
)
async def test_bad_amounts_are_typed_errors_and_move_nothing(
    api: Api, container: Container, amount: object
) -> None:
    alice, bob = await friends(api, 5_000_000, 0)
    before = (await container.wallet.statements.bills(alice.id)).bills
    r = await send(
        api, alice, "/wallet/transfers", {"to_user_id": bob.id, "amount": amount, "pin": PIN}
    )
    assert r.status_code == 422, r.text
    assert ptype(r) in ("invalid-input", "amount-too-large")
    assert r.json()["errors"][0]["field"] == "amount"
    assert await balance(api, alice) == 5_000_000
    assert (await container.wallet.statements.bills(alice.id)).bills == before


async def test_notices_reach_the_sync_log_once_each_in_order(api: Api) -> None:
    alice, bob = await friends(api, 50_000, 0)
    await asyncio.gather(
        *(
            send(
                api,
                alice,
                "/wallet/transfers",
                {"to_user_id": bob.id, "amount": 10 + i, "pin": PIN},
            )
            for i in range(30)
        )
    )
    received = await events(api, bob, "wallet.transfer_received", n=30)
    assert sorted(e["payload"]["amount"] for e in received) == [10 + i for i in range(30)]
    assert len({e["payload"]["transfer_id"] for e in received}) == 30
    page = (await api.client.get("/sync?limit=500", headers=bob.headers)).json()["events"]
    seqs = [e["seq"] for e in page]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # no gap, no duplicate


async def test_notes_pass_the_content_policy_and_refusals_move_nothing(
    api: Api, container: Container
) -> None:
    from hutong.moderation.schemas import TermIn

    for term, category, action in [("casino", "gambling", "block"), ("idiot", "abuse", "mask")]:
        await container.moderation.terms.add_term(
            0,
            TermIn(term=term, category=category, action=action),  # type: ignore[arg-type]
        )
    alice, bob = await friends(api, 5_000, 0)
    body = {"to_user_id": bob.id, "amount": 100, "pin": PIN, "note": "c.a.s.i.n.o winnings"}
    r = await send(api, alice, "/wallet/transfers", body)
    assert (r.status_code, ptype(r)) == (422, "content-blocked")
    assert await balance(api, alice) == 5_000
    r = await send(api, alice, "/wallet/transfers", {**body, "note": "for you, idiot"})
    assert (r.status_code, r.json()["note"]) == (201, "for you, *****")


async def test_transfer_lists_filter_and_page(
    api: Api, clock: ManualClock, container: Container
) -> None:
    alice, bob = await friends(api, 10_000, 0)
    ids = []
    for i in range(5):
        r = await send(
            api, alice, "/wallet/transfers", {"to_user_id": bob.id, "amount": 100 + i, "pin": PIN}
        )
        ids.append(r.json()["id"])
    await send(api, bob, f"/wallet/transfers/{ids[0]}/accept")
    await send(api, bob, f"/wallet/transfers/{ids[1]}/decline")
    await send(api, bob, f"/wallet/transfers/{ids[2]}/decline")
    clock.advance(hours=25)
    await container.wallet.sweep()  # ids[3] and ids[4] come back

    async def listed(user: User, query: str) -> dict[str, Any]:
        r = await api.client.get(f"/wallet/transfers?{query}", headers=user.headers)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    assert [t["id"] for t in (await listed(alice, "status=declined"))["transfers"]] == [
        ids[2],
        ids[1],
    ]
    page = await listed(alice, "status=returned&limit=1")
    assert [t["id"] for t in page["transfers"]] == [ids[4]]
    rest = await listed(alice, f"status=returned&limit=1&before={page['next_before']}")
    assert [t["id"] for t in rest["transfers"]] == [ids[3]]
    assert [t["id"] for t in (await listed(bob, "direction=in&status=accepted"))["transfers"]] == [
        ids[0]
    ]
    assert (await listed(bob, "direction=out"))["transfers"] == []
