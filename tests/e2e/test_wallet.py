"""Me → Wallet in the browser: top up from a sandbox card, transfer to a friend who accepts on
their own device (live), pay a shop by opening the link its collect-money QR encodes, and the
shop's full and partial refunds — balances checked on screen and through the API."""

from __future__ import annotations

import re
import urllib.error
import uuid
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import NewContext, sign_in_api, wait_online
from tests.e2e.harness import PASSWORD, Server, http_json
from tests.e2e.social import make_friends, token

PIN = "258036"
CARD = "4242 4242 4242 4242"


def call(server: Server, user: dict[str, Any], method: str, path: str, body: object = None) -> Any:
    """A JSON request as `user`; money-moving POSTs get a fresh Idempotency-Key."""
    headers = {"Authorization": f"Bearer {token(server, user)}"}
    if method == "POST":
        headers["Idempotency-Key"] = str(uuid.uuid4())
    return http_json(method, server.base_url + path, body if body is not None else {}, headers)


def balance(server: Server, user: dict[str, Any]) -> int:
    return int(call(server, user, "GET", "/wallet")["balance"])


def fund(server: Server, user: dict[str, Any], fen: int) -> None:
    """PIN, card and money through the API, for a user whose setup is not under test."""
    call(server, user, "PUT", "/wallet/pin", {"pin": PIN, "password": PASSWORD})
    card = call(server, user, "POST", "/wallet/cards", {"number": CARD})
    call(server, user, "POST", "/wallet/topups", {"card_id": card["id"], "amount": fen})


def enter_pin(page: Page, pin: str = PIN) -> None:
    expect(page.get_by_test_id("pin-sheet")).to_be_visible()
    page.keyboard.type(pin)


def test_top_up_then_a_transfer_the_friend_accepts(new_context: NewContext, server: Server) -> None:
    alice = server.create_user(display_name="Alice Wang")
    bob = server.create_user(display_name="Bob Li")
    make_friends(server, alice, bob)
    a = new_context().new_page()
    sign_in_api(a.context, alice["handle"])
    b = new_context().new_page()
    sign_in_api(b.context, bob["handle"])

    # Alice opens her wallet from Me and sets a payment PIN (first time: with her password).
    a.goto("/#/me")
    a.get_by_test_id("me-wallet").click()
    expect(a.get_by_test_id("wallet-balance")).to_have_text("¥0.00")
    a.get_by_test_id("wallet-set-pin").click()
    form = a.get_by_test_id("pin-form")
    form.get_by_test_id("input-password").fill(PASSWORD)
    form.get_by_test_id("input-pin").fill(PIN)
    form.get_by_test_id("input-confirm").fill(PIN)
    form.get_by_test_id("pin-save").click()
    expect(a.get_by_test_id("screen-wallet")).to_be_visible()
    expect(a.get_by_test_id("wallet-set-pin")).to_have_count(0)

    # Top up ¥100 from a sandbox card linked on the way.
    a.get_by_test_id("wallet-topup").click()
    a.get_by_test_id("card-form").get_by_test_id("input-number").fill(CARD)
    a.get_by_test_id("card-link").click()
    expect(a.get_by_test_id("card-4242")).to_be_checked()
    a.get_by_test_id("topup-form").get_by_test_id("input-amount").fill("100")
    a.get_by_test_id("topup-submit").click()
    expect(a.get_by_test_id("receipt-title")).to_have_text("Topped up")
    expect(a.get_by_test_id("receipt-amount")).to_have_text("¥100.00")
    a.get_by_test_id("receipt-done").click()
    expect(a.get_by_test_id("wallet-balance")).to_have_text("¥100.00")
    assert balance(server, alice) == 10_000

    # Bob is on his Me tab.
    b.goto("/#/me")
    wait_online(b)
    expect(b.get_by_test_id("tab-badge-me")).to_be_hidden()

    # Alice sends ¥25.50; a wrong PIN first is refused on the sheet, and moves nothing.
    a.get_by_test_id("wallet-transfer").click()
    a.get_by_test_id(f"transfer-to-{bob['handle']}").click()
    form = a.get_by_test_id("transfer-form")
    form.get_by_test_id("input-amount").fill("25.5")
    form.get_by_test_id("input-note").fill("dumplings")
    a.get_by_test_id("transfer-submit").click()
    expect(a.get_by_test_id("pin-amount")).to_have_text("¥25.50")
    enter_pin(a, "135790")
    expect(a.get_by_test_id("pin-error")).to_contain_text("4 attempt(s) left")
    assert balance(server, alice) == 10_000
    a.keyboard.type(PIN)
    expect(a.get_by_test_id("receipt-title")).to_have_text("Sent to Bob Li")
    expect(a.get_by_test_id("wallet-balance-note")).to_have_text("Balance ¥74.50")
    assert balance(server, alice) == 7_450

    # Bob is told at once (a badge on Me); he opens it and accepts.
    expect(b.get_by_test_id("tab-badge-me")).to_have_text("1")
    b.get_by_test_id("me-wallet").click()
    expect(b.get_by_test_id("wallet-balance")).to_have_text("¥0.00")
    incoming = b.get_by_test_id("wallet-incoming")
    expect(incoming).to_contain_text("1 transfer waiting for you")
    incoming.click()
    b.get_by_test_id("transfers-waiting").locator("[data-status=pending]").click()
    expect(b.get_by_test_id("transfer-title")).to_have_text("Alice Wang sent you money")
    expect(b.get_by_test_id("transfer-amount")).to_have_text("¥25.50")
    expect(b.get_by_test_id("transfer-note")).to_have_text("dumplings")
    b.get_by_test_id("transfer-accept").click()
    expect(b.get_by_test_id("transfer-status")).to_have_text("Accepted")
    b.get_by_test_id("back").click()
    b.get_by_test_id("back").click()
    expect(b.get_by_test_id("wallet-balance")).to_have_text("¥25.50")
    expect(b.get_by_test_id("wallet-incoming")).to_have_count(0)

    # Alice's side learns it live too.
    a.get_by_test_id("receipt-view").click()
    expect(a.get_by_test_id("transfer-status")).to_have_text("Accepted")
    assert (balance(server, alice), balance(server, bob)) == (7_450, 2_550)


def test_pay_a_shop_by_its_collect_qr_and_get_refunds(
    new_context: NewContext, server: Server
) -> None:
    owner = server.create_user(display_name="Mei Chen")
    buyer = server.create_user(display_name="Tom Xu")
    fund(server, buyer, 20_000)
    shop = new_context().new_page()
    sign_in_api(shop.context, owner["handle"])
    me = new_context().new_page()
    sign_in_api(me.context, buyer["handle"])

    # The owner opens a merchant account and gets its fixed collect-money code.
    shop.goto("/#/wallet")
    shop.get_by_test_id("wallet-merchants").click()
    shop.get_by_test_id("merchant-form").get_by_test_id("input-name").fill("Corner Tea")
    shop.get_by_test_id("merchant-open").click()
    expect(shop.get_by_test_id("merchant-name")).to_have_text("Corner Tea")
    expect(shop.get_by_test_id("merchant-balance")).to_have_text("¥0.00")
    wait_online(shop)
    qr = shop.get_by_test_id("merchant-qr")
    link = qr.get_attribute("data-qr-url")
    assert (link or "").startswith(server.base_url + "/qr/"), link
    assert link
    # The image really encodes that link (the server's own QR reader says so).
    png = shop.context.request.get(link + ".png")
    assert (png.status, png.headers["content-type"]) == (200, "image/png")
    csrf = next(c["value"] for c in shop.context.cookies() if c["name"] == "hutong_csrf")
    read = shop.context.request.post(
        "/contacts/scan",
        multipart={"file": {"name": "qr.png", "mimeType": "image/png", "buffer": png.body()}},
        headers={"X-CSRF-Token": csrf},
    )
    assert read.ok, read.text()
    assert (read.json()["kind"], read.json()["text"]) == ("pay", link)

    # The buyer opens the link: the pay screen names the shop; ¥30 with the PIN.
    me.goto(link)
    expect(me.get_by_test_id("pay-merchant-name")).to_have_text("Corner Tea")
    form = me.get_by_test_id("pay-form")
    form.get_by_test_id("input-amount").fill("30")
    form.get_by_test_id("input-note").fill("two teas")
    me.get_by_test_id("pay-submit").click()
    expect(me.get_by_test_id("pin-what")).to_have_text("Pay Corner Tea")
    enter_pin(me)
    expect(me.get_by_test_id("receipt-title")).to_have_text("Paid Corner Tea")
    expect(me.get_by_test_id("receipt-amount")).to_have_text("¥30.00")
    assert balance(server, buyer) == 17_000

    # The shop sees the payment arrive live, then refunds ¥10 of it, then the rest.
    row = shop.get_by_test_id("merchant-payments").locator("[data-testid^=payment-]").first
    expect(row).to_contain_text("¥30.00")
    expect(row).to_contain_text("two teas")
    expect(shop.get_by_test_id("merchant-balance")).to_have_text("¥30.00")
    row.get_by_test_id("payment-refund").click()
    sheet = shop.get_by_test_id("refund-form")
    expect(sheet.get_by_test_id("input-amount")).to_have_value("30.00")
    sheet.get_by_test_id("input-amount").fill("40")
    shop.get_by_test_id("refund-form-submit").click()
    expect(sheet.get_by_test_id("error-amount")).to_have_text("At most ¥30.00")
    sheet.get_by_test_id("input-amount").fill("10")
    shop.get_by_test_id("refund-form-submit").click()
    expect(row.get_by_test_id("payment-refunded")).to_have_text("refunded ¥10.00")
    expect(shop.get_by_test_id("merchant-balance")).to_have_text("¥20.00")
    assert balance(server, buyer) == 18_000
    row.get_by_test_id("payment-refund").click()
    expect(shop.get_by_test_id("refund-form").get_by_test_id("input-amount")).to_have_value("20.00")
    shop.get_by_test_id("refund-form-submit").click()
    expect(row.get_by_test_id("payment-refunded")).to_have_text("refunded ¥30.00")
    expect(row.get_by_test_id("payment-refund")).to_have_count(0)
    expect(shop.get_by_test_id("merchant-balance")).to_have_text("¥0.00")
    assert balance(server, buyer) == 20_000

    # The buyer's bills: the payment and both refunds, and the month's totals as the API has them.
    me.goto("/#/wallet/bills")
    bills = me.get_by_test_id("bills-list")
    expect(bills.locator("[data-kind=refund]")).to_have_count(2)
    expect(bills.locator("[data-kind=payment] [data-testid=bill-amount]")).to_have_text("-¥30.00")
    expect(bills.locator("[data-kind=payment] [data-testid=bill-title]")).to_have_text(
        "Paid Corner Tea"
    )
    me.get_by_test_id("bills-dir-out").click()
    expect(bills.locator("[data-kind=refund]")).to_have_count(0)
    expect(bills.locator("[data-kind=payment]")).to_have_count(1)
    month = me.get_by_test_id("bills-month").input_value()
    year = month[:4]
    totals = next(
        m
        for m in call(server, buyer, "GET", f"/wallet/bills/months?year={year}")
        if m["month"] == month
    )
    expect(me.get_by_test_id("bills-month-out")).to_have_attribute(
        "data-fen", str(totals["expense"])
    )
    expect(me.get_by_test_id("bills-month-in")).to_have_attribute("data-fen", str(totals["income"]))
    assert (totals["expense"], totals["income"]) == (3_000, 20_000 + 3_000)


def test_decline_withdraw_pay_code_and_pin_lock(new_context: NewContext, server: Server) -> None:
    carol = server.create_user(display_name="Carol Zhao")
    dan = server.create_user(display_name="Dan Wu")
    make_friends(server, carol, dan)
    fund(server, carol, 10_000)
    c = new_context().new_page()
    sign_in_api(c.context, carol["handle"])
    d = new_context().new_page()
    sign_in_api(d.context, dan["handle"])
    d.goto("/#/wallet")
    wait_online(d)

    # From Dan's profile Carol sends ¥5; Dan declines, and it is back with Carol at once.
    c.goto(f"/#/contacts/u/{dan['handle']}")
    c.get_by_test_id("person-transfer").click()
    c.get_by_test_id("transfer-form").get_by_test_id("input-amount").fill("5")
    c.get_by_test_id("transfer-submit").click()
    enter_pin(c)
    expect(c.get_by_test_id("receipt-title")).to_have_text("Sent to Dan Wu")
    assert balance(server, carol) == 9_500
    d.get_by_test_id("wallet-incoming").click()
    d.get_by_test_id("transfers-waiting").locator("[data-status=pending]").click()
    d.get_by_test_id("transfer-decline").click()
    expect(d.get_by_test_id("transfer-status")).to_have_text("Declined")
    c.get_by_test_id("receipt-view").click()
    expect(c.get_by_test_id("transfer-status")).to_have_text("Declined")
    assert (balance(server, carol), balance(server, dan)) == (10_000, 0)

    # A withdrawal shows its fee before the PIN and on the receipt.
    c.goto("/#/wallet/withdraw")
    c.get_by_test_id("withdraw-form").get_by_test_id("input-amount").fill("20")
    expect(c.get_by_test_id("withdraw-fee")).to_have_text("Fee ¥0.10 · total ¥20.10")
    c.get_by_test_id("withdraw-submit").click()
    expect(c.get_by_test_id("pin-detail")).to_have_text("Fee ¥0.10")
    enter_pin(c)
    expect(c.get_by_test_id("receipt-title")).to_have_text("Withdrawal complete")
    expect(c.get_by_test_id("receipt-fee")).to_have_text("¥0.10")
    assert balance(server, carol) == 10_000 - 2_010

    # The pay code: turned on with the PIN, 18 digits and a QR; once a till uses it, the screen
    # shows the next one by itself.
    c.goto("/#/wallet/paycode")
    c.get_by_test_id("paycode-enable").click()
    enter_pin(c)
    card = c.get_by_test_id("paycode-card")
    expect(card).to_have_attribute("data-code", re.compile(r"^1[0-5][0-9]{16}$"))
    expect(c.get_by_test_id("paycode-qr")).to_be_visible()
    code = card.get_attribute("data-code")
    shop = call(server, dan, "POST", "/wallet/merchants", {"name": "Dan's Noodles"})
    call(
        server,
        dan,
        "POST",
        f"/wallet/merchants/{shop['id']}/charge",
        {"code": code, "amount": 1_500},
    )
    expect(card).not_to_have_attribute("data-code", code or "")
    expect(card).to_have_attribute("data-code", re.compile(r"^1[0-5][0-9]{16}$"))
    assert balance(server, carol) == 7_990 - 1_500

    # Five wrong PINs lock payments: the wallet and the PIN sheet say until when.
    for _ in range(5):
        with pytest.raises(urllib.error.HTTPError):
            call(server, carol, "POST", "/wallet/paycode", {"pin": "135790"})
    c.goto("/#/wallet")
    expect(c.get_by_test_id("wallet-locked")).to_contain_text("Payments are locked until")
    c.goto(f"/#/wallet/transfer/{dan['id']}")
    c.get_by_test_id("transfer-form").get_by_test_id("input-amount").fill("1")
    c.get_by_test_id("transfer-submit").click()
    expect(c.get_by_test_id("pin-error")).to_contain_text("Payments are locked until")
    expect(c.get_by_test_id("pinpad-key-1")).to_be_disabled()
    assert balance(server, carol) == 6_490

    # Dan moves his shop's takings to his wallet; having no PIN yet, he is sent to set one first
    # and comes back to the shop.
    d.goto(f"/#/wallet/merchants/{shop['id']}")
    expect(d.get_by_test_id("merchant-balance")).to_have_text("¥15.00")
    expect(d.get_by_test_id("merchant-settlements")).to_contain_text("¥15.00")
    d.get_by_test_id("merchant-settle").click()
    d.get_by_test_id("confirm-ok").click()
    form = d.get_by_test_id("pin-form")
    form.get_by_test_id("input-password").fill(PASSWORD)
    form.get_by_test_id("input-pin").fill(PIN)
    form.get_by_test_id("input-confirm").fill(PIN)
    form.get_by_test_id("pin-save").click()
    expect(d.get_by_test_id("merchant-name")).to_have_text("Dan's Noodles")
    d.get_by_test_id("merchant-settle").click()
    expect(d.get_by_test_id("pin-amount")).to_have_text("¥15.00")
    enter_pin(d)
    expect(d.get_by_test_id("merchant-balance")).to_have_text("¥0.00")
    assert balance(server, dan) == 1_500
