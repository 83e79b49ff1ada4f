"""Chats tab: two people chat in realtime; one goes offline and finds what was sent meanwhile in
order and once; a recalled message disappears on both sides."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import NewContext, sign_in_api, wait_online
from tests.e2e.harness import Server
from tests.e2e.social import make_friends


def send(page: Page, text: str) -> None:
    box = page.get_by_test_id("composer-input")
    box.fill(text)
    box.press("Enter")
    expect(box).to_have_value("")


def texts(page: Page) -> list[str]:
    return page.get_by_test_id("msg-text").all_inner_texts()


def seqs(page: Page) -> list[int]:
    return page.locator("[data-testid=messages] [data-seq]").evaluate_all(
        "els => els.map(e => Number(e.dataset.seq)).filter(Boolean)"
    )


def test_two_people_chat_offline_catch_up_and_recall(
    new_context: NewContext, server: Server
) -> None:
    alice = server.create_user(display_name="Alice Wang")
    bob = server.create_user(display_name="Bob Li")
    make_friends(server, alice, bob)

    a = new_context().new_page()
    sign_in_api(a.context, alice["handle"])
    b = new_context().new_page()
    sign_in_api(b.context, bob["handle"])
    for p in (a, b):
        p.goto("/#/chats")
        wait_online(p)
    expect(b.get_by_test_id("empty-chats")).to_be_visible()

    # Alice starts the chat from Bob's profile.
    a.goto(f"/#/contacts/u/{bob['handle']}")
    a.get_by_test_id("person-message").click()
    expect(a.get_by_test_id("screen-chat")).to_be_visible()
    expect(a.get_by_test_id("screen-title")).to_have_text("Bob Li")
    send(a, "Hello Bob 👋")
    mine = a.get_by_test_id("msg").filter(has_text="Hello Bob")
    expect(mine).to_have_class(re.compile(r"\bis-mine\b"))
    expect(mine).not_to_have_attribute("data-seq", "")

    # Bob's list shows it live, with an unread badge on the chat and on the tab.
    row = b.locator("[data-testid^=chat-][data-kind=direct]")
    expect(row.get_by_test_id("chat-preview")).to_have_text("Hello Bob 👋")
    expect(row.get_by_test_id("chat-badge")).to_have_text("1")
    expect(b.get_by_test_id("tab-badge-chats")).to_have_text("1")
    row.click()
    expect(b.get_by_test_id("screen-title")).to_have_text("Alice Wang")
    theirs = b.get_by_test_id("msg").filter(has_text="Hello Bob")
    expect(theirs).to_have_class(re.compile(r"\bis-theirs\b"))
    expect(b.get_by_test_id("day-separator").first).to_have_text("Today")

    # Bob types: Alice sees it; then his reply arrives.
    b.get_by_test_id("composer-input").press_sequentially("Hi Ali", delay=20)
    expect(a.get_by_test_id("typing")).to_have_text("typing…")
    b.get_by_test_id("composer-input").fill("")
    send(b, "Hi Alice!")
    expect(a.get_by_test_id("msg-text").last).to_have_text("Hi Alice!")
    expect(a.get_by_test_id("typing")).to_have_text("")
    # Bob had the chat open, so it was read: Alice's device sees no unread either.
    b.get_by_test_id("back").click()
    expect(b.locator("[data-testid^=chat-][data-kind=direct]")).to_have_attribute("data-unread", "0")
    b.locator("[data-testid^=chat-][data-kind=direct]").click()
    expect(b.get_by_test_id("msg-text").last).to_have_text("Hi Alice!")

    # Bob drops off the network; Alice sends three messages meanwhile.
    b.context.set_offline(True)
    expect(b.locator("html")).to_have_attribute("data-realtime", re.compile("offline|connecting"))
    for text in ("one", "two", "three"):
        send(a, text)
    expect(a.get_by_test_id("msg-sending")).to_have_count(0)
    b.wait_for_timeout(300)
    assert "one" not in texts(b)

    # Back online: all three arrive, in order, once.
    b.context.set_offline(False)
    wait_online(b)
    expect(b.get_by_test_id("msg-text").last).to_have_text("three")
    assert texts(b) == ["Hello Bob 👋", "Hi Alice!", "one", "two", "three"]
    assert seqs(b) == sorted(set(seqs(b)))
    assert seqs(b) == seqs(a)

    # Alice recalls "three": it disappears on both screens, replaced by the notice.
    a.get_by_test_id("msg-text").filter(has_text="three").click(button="right")
    a.get_by_test_id("msg-action-recall").click()
    expect(a.get_by_test_id("msg-recalled")).to_have_text("You recalled a message")
    expect(b.get_by_test_id("msg-recalled")).to_have_text("Alice Wang recalled a message")
    assert "three" not in texts(a)
    assert texts(b) == ["Hello Bob 👋", "Hi Alice!", "one", "two"]
    b.get_by_test_id("back").click()
    expect(b.locator("[data-testid^=chat-][data-kind=direct]").get_by_test_id("chat-preview")).to_have_text(
        "Alice Wang recalled a message"
    )
