"""Red envelopes in the browser: the owner of a group sends a lucky envelope from the chat's
"+" panel; three members open it, each in their own browser; their amounts add up exactly to
the total, the luckiest is marked, and a late opener sees "all taken"."""

from __future__ import annotations

import re
import uuid
from typing import Any

from playwright.sync_api import Page, expect

from tests.e2e.conftest import NewContext, sign_in_api, wait_online
from tests.e2e.harness import PASSWORD, Server, http_json
from tests.e2e.social import make_friends, token

PIN = "258036"
CARD = "4242 4242 4242 4242"


def call(server: Server, user: dict[str, Any], method: str, path: str, body: object = None) -> Any:
    headers = {"Authorization": f"Bearer {token(server, user)}"}
    if method == "POST":
        headers["Idempotency-Key"] = str(uuid.uuid4())
    return http_json(method, server.base_url + path, body if body is not None else {}, headers)


def open_chat(page: Page, chat_id: int) -> None:
    page.goto(f"/#/chats/{chat_id}")
    wait_online(page)
    expect(page.get_by_test_id("screen-chat")).to_be_visible()


def test_three_members_open_a_lucky_envelope(new_context: NewContext, server: Server) -> None:
    owner = server.create_user(display_name="Owner Zhang")
    members = [server.create_user(display_name=f"Member {n}") for n in ("A", "B", "C")]
    late = server.create_user(display_name="Late D")
    for m in [*members, late]:
        make_friends(server, m, owner)  # one request each: requests are rate limited
    call(server, owner, "PUT", "/wallet/pin", {"pin": PIN, "password": PASSWORD})
    card = call(server, owner, "POST", "/wallet/cards", {"number": CARD})
    call(server, owner, "POST", "/wallet/topups", {"card_id": card["id"], "amount": 10_000})
    group = call(
        server,
        owner,
        "POST",
        "/chats/groups",
        {"name": "红包群", "member_ids": [m["id"] for m in [*members, late]]},
    )

    # The owner sends 8.88 yuan in 3 lucky packets from the "+" panel.
    page = new_context().new_page()
    sign_in_api(page.context, owner["handle"])
    open_chat(page, group["id"])
    page.get_by_test_id("composer-plus").click()
    page.get_by_test_id("more-redpacket").click()
    sheet = page.get_by_test_id("rp-send-sheet")
    expect(sheet).to_be_visible()
    page.get_by_test_id("rp-kind").select_option("lucky")
    page.get_by_test_id("rp-shares").fill("3")
    page.get_by_test_id("rp-amount-input").fill("8.88")
    page.get_by_test_id("rp-greeting").fill("新年快乐")
    page.get_by_test_id("rp-pin").fill(PIN)
    page.get_by_test_id("rp-send").click()
    expect(sheet).to_be_hidden()
    expect(page.get_by_test_id("msg-red_envelope")).to_contain_text("新年快乐")

    # Three members, three browsers: each taps the red bubble and opens it.
    got: dict[int, int] = {}
    for m in members:
        p = new_context().new_page()
        sign_in_api(p.context, m["handle"])
        open_chat(p, group["id"])
        p.get_by_test_id("msg-red_envelope").last.click()
        p.get_by_test_id("rp-open").click()
        amount = p.get_by_test_id("rp-amount")
        expect(amount).to_be_visible()
        got[m["id"]] = round(float(amount.inner_text().split()[0]) * 100)
        mine = p.locator(f"[data-testid=rp-share][data-user='{m['id']}']")
        expect(mine).to_have_attribute("data-amount", str(got[m["id"]]))
    assert sum(got.values()) == 888
    assert all(v >= 1 for v in got.values())

    # The sender's details: all three, the luckiest marked (ties go to the earlier claim).
    page.get_by_test_id("msg-red_envelope").last.click()
    shares = page.get_by_test_id("rp-share")
    expect(shares).to_have_count(3)
    expect(page.get_by_test_id("rp-summary")).to_contain_text("3/3")
    best = max(got.values())
    luckiest = next(uid for uid, amount in got.items() if amount == best)
    rows = shares.evaluate_all(
        "els => els.map(e => [Number(e.dataset.user), Number(e.dataset.amount)])"
    )
    first_best = next(uid for uid, amount in rows if amount == best)
    assert first_best == luckiest or got[first_best] == best
    lucky_row = page.locator("[data-testid=rp-share]", has=page.get_by_test_id("rp-luckiest"))
    expect(lucky_row).to_have_count(1)
    expect(lucky_row).to_have_attribute("data-user", str(first_best))

    # A fourth member is too late.
    d = new_context().new_page()
    sign_in_api(d.context, late["handle"])
    open_chat(d, group["id"])
    d.get_by_test_id("msg-red_envelope").last.click()
    expect(d.get_by_test_id("rp-all-taken")).to_be_visible()
    expect(d.get_by_test_id("rp-open")).to_have_count(0)
    assert int(call(server, late, "GET", "/wallet")["balance"]) == 0
    assert re.match(r"\d", d.get_by_test_id("rp-summary").inner_text())


def test_wallet_record_shows_sent_and_received_envelopes(
    new_context: NewContext, server: Server
) -> None:
    """Wallet → Red Packets: the sender's Sent tab shows the envelope, its amount and "1/3
    opened" once one member opened it; that member's Received tab shows what they got."""
    sender = server.create_user(display_name="Sender Li")
    members = [server.create_user(display_name=f"Guest {n}") for n in ("E", "F", "G")]
    for m in members:
        make_friends(server, m, sender)
    call(server, sender, "PUT", "/wallet/pin", {"pin": PIN, "password": PASSWORD})
    card = call(server, sender, "POST", "/wallet/cards", {"number": CARD})
    call(server, sender, "POST", "/wallet/topups", {"card_id": card["id"], "amount": 10_000})
    group = call(
        server,
        sender,
        "POST",
        "/chats/groups",
        {"name": "账本群", "member_ids": [m["id"] for m in members]},
    )
    env = call(
        server,
        sender,
        "POST",
        f"/chats/{group['id']}/redpackets",
        {"kind": "lucky", "amount": 600, "shares": 3, "greeting": "周末快乐", "pin": PIN},
    )
    opened = call(server, members[0], "POST", f"/redpackets/{env['id']}/open")
    got = int(opened["amount"])
    assert 1 <= got <= 598

    # The sender: Wallet → Red Packets → Sent.
    page = new_context().new_page()
    sign_in_api(page.context, sender["handle"])
    page.goto("/#/wallet")
    wait_online(page)
    page.get_by_test_id("wallet-redpackets").click()
    expect(page.get_by_test_id("screen-wallet-redpackets")).to_be_visible()
    page.get_by_test_id("rp-tab-sent").click()
    row = page.get_by_test_id(f"rp-record-{env['id']}")
    expect(row).to_have_attribute("data-direction", "sent")
    expect(row).to_contain_text("周末快乐")
    expect(row.get_by_test_id("rp-record-amount")).to_have_text("¥6.00")
    expect(row.get_by_test_id("rp-record-status")).to_have_text("1/3 opened")
    expect(page.get_by_test_id("rp-record-year-total")).to_have_attribute("data-fen", "600")
    expect(page.get_by_test_id("rp-record-year-count")).to_have_attribute("data-count", "1")
    # A tap shows who got what.
    row.click()
    share = page.locator(f"[data-testid=rp-share][data-user='{members[0]['id']}']")
    expect(share).to_have_attribute("data-amount", str(got))
    expect(page.get_by_test_id("rp-summary")).to_contain_text("1/3")

    # The member who opened it: Received shows their amount; the other two got nothing.
    p = new_context().new_page()
    sign_in_api(p.context, members[0]["handle"])
    p.goto("/#/wallet/redpackets")
    wait_online(p)
    mine = p.get_by_test_id(f"rp-record-{env['id']}")
    expect(mine).to_have_attribute("data-direction", "received")
    expect(mine).to_have_attribute("data-amount", str(got))
    expect(mine.get_by_test_id("rp-record-amount")).to_have_text(f"¥{got // 100}.{got % 100:02d}")
    expect(mine).to_contain_text("Sender Li")
    expect(p.get_by_test_id("rp-record-year-total")).to_have_attribute("data-fen", str(got))

    q = new_context().new_page()
    sign_in_api(q.context, members[1]["handle"])
    q.goto("/#/wallet/redpackets")
    wait_online(q)
    expect(q.get_by_test_id("rp-record-empty")).to_be_visible()
    expect(q.get_by_test_id("rp-record-year-total")).to_have_attribute("data-fen", "0")
