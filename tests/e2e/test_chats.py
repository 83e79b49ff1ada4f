"""Chats tab: two people chat in realtime; one goes offline and finds what was sent meanwhile in
order and once; a recalled message disappears on both sides."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import NewContext, sign_in_api, wait_online
from tests.e2e.harness import Server
from tests.e2e.social import api, make_friends


def send(page: Page, text: str) -> None:
    box = page.get_by_test_id("composer-input")
    box.fill(text)
    box.press("Enter")
    expect(box).to_have_value("")


def texts(page: Page) -> list[str]:
    return page.get_by_test_id("msg-text").all_inner_texts()


def seqs(page: Page) -> list[int]:
    found: list[int] = page.locator("[data-testid=messages] [data-seq]").evaluate_all(
        "els => els.map(e => Number(e.dataset.seq)).filter(Boolean)"
    )
    return found


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
    expect(b.locator("[data-testid^=chat-][data-kind=direct]")).to_have_attribute(
        "data-unread", "0"
    )
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
    expect(
        b.locator("[data-testid^=chat-][data-kind=direct]").get_by_test_id("chat-preview")
    ).to_have_text("Alice Wang recalled a message")


def test_chat_list_pin_mute_delete_and_search(new_context: NewContext, server: Server) -> None:
    me = server.create_user(display_name="Chen Jing")
    friends = [server.create_user(display_name=n) for n in ("Amy Ma", "Zed Zhou")]
    chat_ids = []
    for f in friends:
        make_friends(server, me, f)
        chat = api(server, f, "POST", "/chats/direct", {"user_id": me["id"]})
        api(
            server,
            f,
            "POST",
            f"/chats/{chat['id']}/messages",
            {
                "client_id": f"c{chat['id']}",
                "kind": "text",
                "text": f"jianbing from {f['display_name']}",
            },
        )
        chat_ids.append(chat["id"])
    amy, zed = chat_ids

    page = new_context().new_page()
    sign_in_api(page.context, me["handle"])
    page.goto("/#/chats")
    wait_online(page)
    rows = page.locator("[data-testid=chat-list] > [data-chat-id]")
    expect(rows).to_have_count(2)
    expect(rows.first).to_have_attribute("data-chat-id", str(zed))  # newest first
    expect(page.get_by_test_id("tab-badge-chats")).to_have_text("2")

    # Pin Amy's chat: it moves to the top.
    page.get_by_test_id(f"chat-{amy}").click(button="right")
    page.get_by_test_id("chat-action-pin").click()
    expect(rows.first).to_have_attribute("data-chat-id", str(amy))
    expect(page.get_by_test_id(f"chat-{amy}")).to_have_attribute("data-pinned", "true")

    # Mute Zed's: a dot instead of a count, and it no longer counts on the tab.
    page.get_by_test_id(f"chat-{zed}").click(button="right")
    page.get_by_test_id("chat-action-mute").click()
    expect(page.get_by_test_id(f"chat-{zed}").get_by_test_id("chat-muted")).to_be_visible()
    expect(page.get_by_test_id("tab-badge-chats")).to_have_text("1")

    # Search my messages.
    page.get_by_test_id("search").fill("jianbing")
    page.get_by_test_id("search-messages").click()
    expect(page.get_by_test_id("search-hit")).to_have_count(2)
    page.get_by_test_id("back").click()

    # Delete Zed's chat; a new message from him brings it back.
    page.get_by_test_id(f"chat-{zed}").click(button="right")
    page.get_by_test_id("chat-action-delete").click()
    page.get_by_test_id("confirm-ok").click()
    expect(page.get_by_test_id(f"chat-{zed}")).to_have_count(0)
    api(
        server,
        friends[1],
        "POST",
        f"/chats/{zed}/messages",
        {"client_id": "again", "kind": "text", "text": "still there?"},
    )
    expect(page.get_by_test_id(f"chat-{zed}").get_by_test_id("chat-preview")).to_have_text(
        "still there?"
    )


def test_a_link_in_a_message_opens_in_the_in_app_browser(
    new_context: NewContext, server: Server
) -> None:
    alice = server.create_user(display_name="Alice Wang")
    bob = server.create_user(display_name="Bob Li")
    make_friends(server, alice, bob)
    page_url = f"{server.base_url}/healthz"
    chat = api(server, alice, "POST", "/chats/direct", {"user_id": bob["id"]})
    api(
        server,
        alice,
        "POST",
        f"/chats/{chat['id']}/messages",
        {"client_id": "link-1", "kind": "text", "text": f"Look at this {page_url} !"},
    )

    b = new_context().new_page()
    sign_in_api(b.context, bob["handle"])
    b.goto(f"/#/chats/{chat['id']}")
    wait_online(b)
    b.get_by_test_id("msg-link").click()
    view = b.get_by_test_id("in-app-browser")
    expect(view).to_be_visible()
    host = page_url.split("/")[2]
    expect(view.get_by_test_id("browser-host")).to_have_text(host)
    frame = view.get_by_test_id("browser-frame")
    expect(frame).to_have_attribute("src", page_url)
    # Sandboxed: the page runs, but never as Hutong's origin.
    sandbox = frame.get_attribute("sandbox") or ""
    assert "allow-scripts" in sandbox
    assert "allow-same-origin" not in sandbox
    expect(b.frame_locator("[data-testid=browser-frame]").locator("body")).to_contain_text("ok")
    expect(view.get_by_test_id("browser-external")).to_have_attribute("href", page_url)
    # Still in the chat underneath; closing returns to it.
    view.get_by_test_id("browser-close").click()
    expect(view).to_have_count(0)
    expect(b.get_by_test_id("screen-chat")).to_be_visible()
