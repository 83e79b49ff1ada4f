"""Red envelopes through the API: kinds, opening, details, notices, refunds and bad input.

Every test ends with both audits (the ledger's, and every envelope against its ledger account).
"""

from __future__ import annotations

import asyncio

import pytest

from hutong.app import Container
from hutong.core.clock import ManualClock
from tests.helpers import Api
from tests.redpackets.util import (
    Member,
    audited,
    balance,
    group_of,
    members,
    open_,
    ptype,
    send,
)
from tests.wallet.util import events


async def _group(c: Container, n: int, money: int = 100_000) -> tuple[Member, list[Member], int]:
    people = await members(c, n)
    owner, others = people[0], people[1:]
    return owner, others, await group_of(c, owner, others, money)


async def test_lucky_envelope_is_a_chat_message_and_its_shares_add_up(
    api: Api, container: Container
) -> None:
    owner, others, chat = await _group(container, 4)
    r = await send(api.client, owner, chat, kind="lucky", amount=1000, shares=3, greeting="新年好")
    assert r.status_code == 201, r.text
    env = r.json()
    assert (env["total"], env["shares"], env["status"], env["greeting"]) == (
        1000,
        3,
        "open",
        "新年好",
    )
    assert await balance(container, owner.id) == 100_000 - 1000
    # It is in the chat, in order, as a red_envelope message.
    history = await api.client.get(f"/chats/{chat}/messages", headers=others[0].headers)
    msgs = history.json()["messages"] if isinstance(history.json(), dict) else history.json()
    [bubble] = [m for m in msgs if m["kind"] == "red_envelope"]
    assert bubble["body"]["envelope_id"] == env["id"]
    assert bubble["seq"] == env["seq"]

    got = {}
    for m in others:
        r = await open_(api.client, m, env["id"])
        assert r.status_code == 200, r.text
        got[m.id] = r.json()["amount"]
        assert await balance(container, m.id) == got[m.id]
    assert sum(got.values()) == 1000
    assert min(got.values()) >= 1
    details = (await api.client.get(f"/redpackets/{env['id']}", headers=owner.headers)).json()
    assert details["status"] == "all_taken"
    assert details["opened_amount"] == 1000
    assert {o["user_id"]: o["amount"] for o in details["opened"]} == got
    best = max(got.values())
    first_best = next(o for o in details["opened"] if o["amount"] == best)
    assert details["luckiest_user_id"] == first_best["user_id"]
    assert [o["luckiest"] for o in details["opened"]].count(True) == 1
    # Realtime: the sender hears of each open, each opener of their own.
    assert len(await events(api, owner, "redpacket.opened", 3)) == 3  # type: ignore[arg-type]
    [mine] = await events(api, others[0], "redpacket.opened")  # type: ignore[arg-type]
    assert mine["payload"]["amount"] == got[others[0].id]
    # Too late now: all taken, and opening twice is refused — nothing moves.
    owner_open = await open_(api.client, owner, env["id"])
    assert ptype(owner_open) == "redpacket-all-taken"
    again = await open_(api.client, others[0], env["id"])
    assert again.status_code == 409
    assert ptype(again) == "redpacket-already-opened"
    assert again.json()["amount"] == got[others[0].id]
    await audited(container)


async def test_normal_envelope_gives_equal_shares(api: Api, container: Container) -> None:
    owner, others, chat = await _group(container, 3)
    r = await send(api.client, owner, chat, kind="normal", amount=88, shares=2)
    assert r.status_code == 201, r.text
    assert r.json()["total"] == 176
    amounts = [(await open_(api.client, m, r.json()["id"])).json()["amount"] for m in others]
    assert amounts == [88, 88]
    await audited(container)


async def test_direct_and_exclusive_envelopes_open_only_for_their_recipient(
    api: Api, container: Container
) -> None:
    owner, others, chat = await _group(container, 3)
    bob, carol = others
    r = await send(api.client, owner, chat, kind="exclusive", amount=500, to_user_id=bob.id)
    assert r.status_code == 201, r.text
    eid = r.json()["id"]
    for who in (carol, owner):
        refused = await open_(api.client, who, eid)
        assert refused.status_code == 403
        assert ptype(refused) == "redpacket-not-for-you"
    assert (await open_(api.client, bob, eid)).json()["amount"] == 500

    direct = await api.client.post(
        "/chats/direct", headers=owner.headers, json={"user_id": carol.id}
    )
    dm = direct.json()["id"]
    wrong = await send(api.client, owner, dm, kind="lucky", amount=100, shares=1)
    assert ptype(wrong) == "redpacket-wrong-chat"
    r = await send(api.client, owner, dm, kind="direct", amount=300)
    assert r.status_code == 201, r.text
    assert r.json()["to_user_id"] == carol.id
    assert ptype(await open_(api.client, owner, r.json()["id"])) == "redpacket-not-for-you"
    assert (await open_(api.client, carol, r.json()["id"])).json()["amount"] == 300
    assert ptype(await send(api.client, owner, chat, kind="direct", amount=1)) == (
        "redpacket-wrong-chat"
    )
    await audited(container)


async def test_bad_input_is_typed_and_moves_nothing(api: Api, container: Container) -> None:
    owner, others, chat = await _group(container, 3, money=50_000)
    stranger, _outsider_group_owner = await members(container, 2)
    cases = [
        ({"amount": 20_001, "shares": 2}, "redpacket-amount-out-of-range"),
        ({"amount": 0, "shares": 1}, "invalid-input"),
        ({"amount": -5, "shares": 1}, "invalid-input"),
        ({"amount": 1.5, "shares": 1}, "invalid-input"),
        ({"amount": 2, "shares": 3}, "redpacket-amount-out-of-range"),  # 3 shares of < 1 fen
        ({"amount": 500, "shares": 4}, "redpacket-shares-out-of-range"),  # group of 3
        ({"amount": 500, "shares": 101}, "redpacket-shares-out-of-range"),
        ({"kind": "normal", "amount": 10_001, "shares": 2}, "redpacket-amount-out-of-range"),
        ({"kind": "exclusive", "amount": 5}, "redpacket-recipient-not-in-group"),
        (
            {"kind": "exclusive", "amount": 5, "to_user_id": stranger.id},
            ("redpacket-recipient-not-in-group"),
        ),
        (
            {"kind": "exclusive", "amount": 5, "shares": 2, "to_user_id": others[0].id},
            ("redpacket-shares-out-of-range"),
        ),
        ({"kind": "bogus", "amount": 5}, "invalid-input"),
        ({"amount": 100, "pin": "000000"}, "wrong-pin"),
    ]
    for body, want in cases:
        r = await send(api.client, owner, chat, **body)
        assert r.status_code in (403, 404, 409, 422), (body, r.text)
        assert ptype(r) == want, (body, r.text)
    # Not in the group: as if the group did not exist.
    r = await send(api.client, stranger, chat, amount=100)
    assert r.status_code == 404
    assert ptype(r) == "not-found"
    # Without the key.
    r = await api.client.post(
        f"/chats/{chat}/redpackets",
        headers=owner.headers,
        json={"kind": "lucky", "amount": 5, "pin": "258036"},
    )
    assert ptype(r) == "idempotency-key-required"
    # More than the wallet holds.
    await container.wallet.pins.set_pin(
        others[0].id, "258036", current_pin=None, password="correct horse battery"
    )
    poor = await send(api.client, others[0], chat, amount=100, shares=1)
    assert poor.status_code == 409
    assert ptype(poor) == "insufficient-funds"
    assert await balance(container, owner.id) == 50_000
    assert await balance(container, others[0].id) == 0
    # A stranger cannot open or read an envelope of the group.
    ok = await send(api.client, owner, chat, amount=100, shares=2)
    eid = ok.json()["id"]
    assert ptype(await open_(api.client, stranger, eid)) == "not-found"
    r = await api.client.get(f"/redpackets/{eid}", headers=stranger.headers)
    assert r.status_code == 404
    assert ptype(await open_(api.client, stranger, 10**9)) == "not-found"
    assert await balance(container, stranger.id) == 0
    await audited(container)


async def test_a_retried_send_returns_the_first_envelope(api: Api, container: Container) -> None:
    owner, _others, chat = await _group(container, 3)
    first = await send(api.client, owner, chat, key="same-key", amount=200, shares=2)
    again = await send(api.client, owner, chat, key="same-key", amount=200, shares=2)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    other = await send(api.client, owner, chat, key="same-key", amount=201, shares=2)
    assert ptype(other) == "idempotency-key-reused"
    assert await balance(container, owner.id) == 100_000 - 200
    await audited(container)


async def test_fifty_concurrent_opens_by_one_member_pay_once(
    api: Api, container: Container
) -> None:
    owner, others, chat = await _group(container, 3)
    eid = (await send(api.client, owner, chat, amount=1000, shares=2)).json()["id"]
    me = others[0]
    answers = await asyncio.gather(*(open_(api.client, me, eid) for _ in range(50)))
    codes = sorted(r.status_code for r in answers)
    assert (codes.count(200), codes.count(409)) == (1, 49), codes
    assert {ptype(r) for r in answers if r.status_code == 409} == {"redpacket-already-opened"}
    [won] = [r.json()["amount"] for r in answers if r.status_code == 200]
    assert await balance(container, me.id) == won
    await audited(container)


async def test_the_remainder_returns_after_24_hours(
    api: Api, container: Container, clock: ManualClock
) -> None:
    owner, others, chat = await _group(container, 4)
    eid = (await send(api.client, owner, chat, amount=900, shares=3)).json()["id"]
    got = (await open_(api.client, others[0], eid)).json()["amount"]
    clock.advance(seconds=23 * 3600 + 59 * 60)
    assert await container.redpackets.sweep() == 0
    clock.advance(seconds=120)
    late = await open_(api.client, others[1], eid)
    assert late.status_code == 410
    assert ptype(late) == "redpacket-expired"
    # Two workers sweeping at once refund once.
    results = await asyncio.gather(container.redpackets.sweep(), container.redpackets.sweep())
    assert sum(results) == 1
    assert await container.redpackets.sweep() == 0
    assert await balance(container, owner.id) == 100_000 - got
    details = (await api.client.get(f"/redpackets/{eid}", headers=owner.headers)).json()
    assert details["status"] == "expired"
    assert details["refunded"] == 900 - got
    assert ptype(await open_(api.client, others[1], eid)) == "redpacket-expired"
    assert await balance(container, others[1].id) == 0
    [refund] = await events(api, owner, "redpacket.refunded")  # type: ignore[arg-type]
    assert refund["payload"]["amount"] == 900 - got
    await audited(container)


async def test_record_of_envelopes_sent_and_received(api: Api, container: Container) -> None:
    owner, others, chat = await _group(container, 2)
    eid = (await send(api.client, owner, chat, kind="normal", amount=66, shares=1)).json()["id"]
    await open_(api.client, others[0], eid)
    sent = (await api.client.get("/redpackets?direction=sent", headers=owner.headers)).json()
    got = (await api.client.get("/redpackets?direction=received", headers=others[0].headers)).json()
    assert [e["id"] for e in sent["envelopes"]] == [eid]
    assert sent["total"] == 66
    assert [e["amount"] for e in got["envelopes"]] == [66]
    assert got["total"] == 66


@pytest.mark.settings(redpacket_max_total=500, redpacket_max_shares=2, redpacket_min_share=10)
async def test_limits_are_configurable(api: Api, container: Container) -> None:
    owner, _others, chat = await _group(container, 4)
    assert ptype(await send(api.client, owner, chat, amount=501)) == "redpacket-amount-out-of-range"
    assert ptype(await send(api.client, owner, chat, amount=100, shares=3)) == (
        "redpacket-shares-out-of-range"
    )
    assert ptype(await send(api.client, owner, chat, amount=19, shares=2)) == (
        "redpacket-amount-out-of-range"
    )
    assert (await send(api.client, owner, chat, amount=20, shares=2)).status_code == 201


async def test_a_member_who_left_cannot_open_and_the_others_still_can(
    api: Api, container: Container
) -> None:
    """A refused claim is explained from its own batch: a member who left is told so (not "all
    taken"), both while shares are left and after the last one went, and nothing moves."""
    owner, others, chat = await _group(container, 4)
    eid = (await send(api.client, owner, chat, amount=300, shares=2)).json()["id"]
    gone, a, b = others
    await container.groups.leave(gone.id, chat)
    first = await asyncio.gather(open_(api.client, gone, eid), open_(api.client, a, eid))
    assert ptype(first[0]) == "not-a-member"
    assert first[1].status_code == 200
    assert (await open_(api.client, b, eid)).status_code == 200
    assert ptype(await open_(api.client, gone, eid)) == "not-a-member"
    assert ptype(await open_(api.client, owner, eid)) == "redpacket-all-taken"
    assert ptype(await open_(api.client, a, eid)) == "redpacket-already-opened"
    assert await balance(container, gone.id) == 0
    assert await balance(container, a.id) + await balance(container, b.id) == 300
    await audited(container)
