"""The example mini-programs end to end in the browser, each with its own backend process:
a user opens Dumpling House from Discover, agrees to share their name, orders, pays with the
PIN on the host's sheet; the backend receives the signed webhook, the app shows the order paid
and then cooking, and the wallet shows the payment. A card shared into a chat opens the app
from there. City Utilities: look up a bill, pay it, get the receipt."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import NewContext, sign_in_api
from tests.e2e.harness import Server
from tests.e2e.miniapps_util import ExampleBackend, publish_example
from tests.e2e.social import make_friends
from tests.e2e.test_moderation import admin, make_moderator
from tests.e2e.test_wallet import PIN, balance, enter_pin, fund

__all__ = ["admin"]


@pytest.fixture(scope="module")
def examples(
    server: Server, admin: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, ExampleBackend]]:
    mod = make_moderator(server, admin, "Reviewer Zhou")
    dev = server.create_user(display_name="Hutong Labs")
    work = tmp_path_factory.mktemp("examples")
    started = {
        "dumplings": publish_example(
            server, dev, mod, "dumpling_house", "Dumpling House", "food", work
        ),
    }
    started["bills"] = publish_example(
        server, dev, mod, "city_utilities", "City Utilities", "utilities", work
    )
    try:
        yield started
    finally:
        for backend in started.values():
            backend.stop()


def open_from_discover(page: Page, name: str, appid: str) -> None:
    page.goto("/#/discover")
    page.get_by_test_id("discover-miniapps").click()
    page.get_by_test_id("miniapp-search").fill(name.split(maxsplit=1)[0])
    # Other tests on this server may publish apps of the same name.
    page.locator(f'[data-testid="miniapp-row"][data-appid="{appid}"]').click()
    page.get_by_test_id("miniapp-open").click()
    expect(page.get_by_test_id("miniapp-title")).to_have_text(name)


def test_order_dumplings_and_pay_with_the_pin(
    new_context: NewContext, server: Server, examples: dict[str, ExampleBackend]
) -> None:
    shop = examples["dumplings"]
    user = server.create_user(display_name="Chen Mei")
    fund(server, user, 10_000)
    page = new_context().new_page()
    sign_in_api(page.context, user["handle"])
    open_from_discover(page, "Dumpling House", shop.appid)
    app = page.frame_locator('[data-testid="miniapp-frame"]')

    # Login is silent (a one-time code for the backend); the name needs consent.
    app.locator("#profile").click()
    expect(page.get_by_test_id("consent-sheet")).to_contain_text("Dumpling House would like")
    page.get_by_test_id("consent-allow").click()
    expect(app.locator("#hello")).to_contain_text("Hi, Chen Mei!")

    # Two of the first dish, one of the second; the backend prices the order.
    dishes = app.locator("[data-add]")
    expect(dishes.first).to_be_visible()
    dishes.nth(0).click()
    dishes.nth(0).click()
    dishes.nth(1).click()
    expect(app.locator("#pay")).to_be_enabled()
    total_text = app.locator("#cart-total").inner_text()
    app.locator("#pay").click()

    # The host's pay sheet, not the app's: the amount, and the PIN.
    expect(page.get_by_test_id("pin-amount")).to_have_text(total_text)
    expect(page.get_by_test_id("pin-what")).to_contain_text("Dumpling House")
    enter_pin(page, PIN)

    # The app shows the order paid, then cooking (its backend's timers).
    expect(app.locator("#order-view")).to_be_visible()
    expect(app.locator("#status-text")).to_contain_text("Paid", timeout=15_000)
    expect(app.locator("#status-text")).to_contain_text("Cooking", timeout=20_000)

    # The backend learned of it from Hutong's signed webhook (not by asking).
    rows = shop.rows("SELECT state, confirmed_by, total FROM orders")
    assert len(rows) == 1
    state, confirmed_by, total = rows[0]
    assert (state, confirmed_by) == ("paid", "webhook")
    assert balance(server, user) == 10_000 - total

    # The wallet's bills show the payment to the developer's shop.
    page.get_by_test_id("miniapp-close").click()
    page.goto("/#/wallet/bills")
    expect(page.get_by_test_id("screen-wallet-bills")).to_contain_text(f"{total / 100:.2f}")


def test_share_the_app_into_a_chat_and_open_it_from_there(
    new_context: NewContext, server: Server, examples: dict[str, ExampleBackend]
) -> None:
    alice = server.create_user(display_name="Alice Wang")
    bob = server.create_user(display_name="Bob Li")
    make_friends(server, alice, bob)
    a = new_context().new_page()
    sign_in_api(a.context, alice["handle"])
    b = new_context().new_page()
    sign_in_api(b.context, bob["handle"])
    b.goto("/#/chats")

    open_from_discover(a, "Dumpling House", examples["dumplings"].appid)
    app = a.frame_locator('[data-testid="miniapp-frame"]')
    expect(app.locator("[data-add]").first).to_be_visible()
    app.locator("#share").click()
    a.get_by_test_id("chat-choice").filter(has_text="Bob Li").click()
    expect(a.get_by_test_id("toast").filter(has_text="Sent")).to_be_visible()

    # Bob sees the card in his chat with Alice and opens the app from it.
    b.locator("a.chat-row").filter(has_text="Alice Wang").click()
    card = b.get_by_test_id("msg-miniapp_card").last
    expect(card).to_contain_text("Dumpling House")
    expect(card.get_by_test_id("appcard-title")).to_contain_text("hand-folded dumplings")
    # With the picture the app chose from its bundle, under the app's icon (`hutong demo`
    # draws one for each example).
    for part in ("appcard-image", "appcard-app-icon"):
        img = card.get_by_test_id(part)
        expect(img).to_have_attribute("src", re.compile(r"^/media/[0-9a-f]{64}$"))
        expect(img).to_have_js_property("complete", True)
        assert img.evaluate("img => img.naturalWidth") > 0
    card.click()
    expect(b.get_by_test_id("miniapp-title")).to_have_text("Dumpling House")
    expect(
        b.frame_locator('[data-testid="miniapp-frame"]').locator("[data-add]").first
    ).to_be_visible()


def luhn(body: str) -> str:
    """`body` with its Luhn check digit appended."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


def test_pay_a_utility_bill_and_get_the_receipt(
    new_context: NewContext, server: Server, examples: dict[str, ExampleBackend]
) -> None:
    user = server.create_user(display_name="Zhao Lei")
    fund(server, user, 50_000)
    page = new_context().new_page()
    sign_in_api(page.context, user["handle"])
    open_from_discover(page, "City Utilities", examples["bills"].appid)
    app = page.frame_locator('[data-testid="miniapp-frame"]')

    # A mistyped number is refused before any bill is shown.
    account = luhn("100004217")
    wrong = account[:-1] + str((int(account[-1]) + 1) % 10)
    app.locator("#account").fill(wrong)
    app.locator("#find").click()
    expect(app.locator("#account-error")).to_contain_text("check digit")

    app.locator("#account").fill(account)
    app.locator("#find").click()
    expect(app.locator("#bill-view")).to_be_visible()
    amount = app.locator("#bill-amount").inner_text()
    app.locator("#pay").click()
    expect(page.get_by_test_id("pin-amount")).to_have_text(amount)
    enter_pin(page, PIN)
    expect(app.locator("#receipt-view")).to_be_visible(timeout=15_000)
    expect(app.locator("#receipt-amount")).to_have_text(amount)
    expect(app.locator("#receipt-no")).not_to_be_empty()
    fen = round(float(amount.replace("¥", "").replace(",", "")) * 100)
    assert balance(server, user) == 50_000 - fen
