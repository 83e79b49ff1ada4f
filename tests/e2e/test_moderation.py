"""The moderation console and the users' side of moderation, in the browser.

A moderator lists a review term in the console, a post containing it is held until the
moderator approves it from the queue; a reported comment is removed from the console, its
author reads the notice (with the rule) and appeals, a second moderator decides the appeal;
a chat message is reported from its long-press menu.
"""

from __future__ import annotations

import secrets
import subprocess
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import NewContext, sign_in_api, wait_online
from tests.e2e.harness import PASSWORD, Server, hutong_bin, server_env, unique_handle
from tests.e2e.social import api, make_friends


@pytest.fixture(scope="module")
def admin(server: Server) -> dict[str, Any]:
    """An admin made the operator's way (`hutong create-admin`), to appoint moderators."""
    handle = unique_handle("adm")
    subprocess.run(
        [hutong_bin(), "create-admin", handle, "--password", PASSWORD],
        cwd=server.data_dir,
        env=server_env(server.data_dir),
        check=True,
        capture_output=True,
        timeout=120,
    )
    return {"handle": handle, "password": PASSWORD}


def make_moderator(server: Server, admin: dict[str, Any], name: str) -> dict[str, Any]:
    user = server.create_user(display_name=name)
    out = api(server, admin, "POST", f"/admin/users/{user['id']}/role", {"role": "moderator"})
    assert out["role"] == "moderator"
    return user


def open_console(page: Page) -> None:
    """Me → Moderation, the way a moderator gets there."""
    page.goto("/#/me")
    page.get_by_test_id("me-moderation").click()
    expect(page.get_by_test_id("screen-admin")).to_be_visible()


def decide_in_console(page: Page, case: Any, decision: str, reason: str) -> None:
    """Claim a case from the queue row `case`, choose `decision`, give the reason."""
    case.get_by_test_id("case-claim").click()
    expect(page.get_by_test_id("screen-admin-case")).to_be_visible()
    page.get_by_test_id(f"decision-{decision}").click()
    page.get_by_test_id("decision-reason").fill(reason)
    page.get_by_test_id("decision-submit").click()
    expect(page.get_by_test_id("screen-admin-queue")).to_be_visible()


def test_a_review_term_holds_a_post_until_a_moderator_approves_it(
    new_context: NewContext, server: Server, admin: dict[str, Any]
) -> None:
    mod = make_moderator(server, admin, "Moderator Zhou")
    author = server.create_user(display_name="Author Wu")
    reader = server.create_user(display_name="Reader Sun")
    term = f"核查{secrets.token_hex(3)}"  # unique: other tests share this server's lists

    m = new_context().new_page()
    sign_in_api(m.context, mod["handle"])
    open_console(m)
    m.get_by_test_id("admin-terms").click()
    expect(m.get_by_test_id("screen-admin-terms")).to_be_visible()
    m.get_by_test_id("term-new").fill(term)
    m.get_by_test_id("term-category").fill("fraud")
    m.get_by_test_id("term-action").select_option("review")
    m.get_by_test_id("term-add").click()
    row = m.locator(f'[data-term="{term}"]')
    expect(row).to_have_attribute("data-action", "review")
    # "Test this text" shows what the lists now make of a text (spacing and width ignored).
    m.get_by_test_id("test-text").fill(f"转账前请先 {' '.join(term)} 一下")
    m.get_by_test_id("test-run").click()
    expect(m.get_by_test_id("test-outcome")).to_have_text("review")
    expect(m.get_by_test_id("test-match")).to_contain_text(term)

    # The author posts (the feed screens are another area; the API is what they call).
    held = api(server, author, "POST", "/microblog/posts", {"text": f"小心{term}电话"})
    assert held["status"] == "held"
    with pytest.raises(Exception, match="404"):
        api(server, reader, "GET", f"/microblog/posts/{held['id']}", None)

    m.get_by_test_id("back").click()
    m.get_by_test_id("admin-held").click()
    expect(m.get_by_test_id("screen-admin-queue")).to_be_visible()
    case = m.locator(f'[data-kind="post"][data-ref="{held["id"]}"]')
    expect(case.get_by_test_id("case-text")).to_have_text(f"小心{term}电话")
    expect(case.get_by_test_id("case-category")).to_have_text("fraud")
    decide_in_console(m, case, "approve", "A warning about fraud, not fraud.")
    expect(case).to_have_count(0)  # off the open queue

    seen = api(server, reader, "GET", f"/microblog/posts/{held['id']}", None)
    assert (seen["status"], seen["text"]) == ("published", f"小心{term}电话")
    # The decided filter shows it approved, with the reason in the audit log.
    m.get_by_test_id("filter-status-decided").click()
    decided = m.locator(f'[data-kind="post"][data-ref="{held["id"]}"]')
    expect(decided.get_by_test_id("case-decision")).to_have_text("Approved")
    m.goto("/#/admin/audit")
    expect(m.get_by_test_id("audit-reason").first).to_have_text(
        "“A warning about fraud, not fraud.”"
    )


def test_a_removed_comment_is_noticed_and_appealed_to_a_second_moderator(
    new_context: NewContext, server: Server, admin: dict[str, Any]
) -> None:
    first = make_moderator(server, admin, "Moderator Qian")
    second = make_moderator(server, admin, "Moderator Li")
    poster, commenter, reporter = (server.create_user() for _ in range(3))
    post = api(server, poster, "POST", "/microblog/posts", {"text": "周末去哪儿玩"})
    comment = api(
        server, commenter, "POST", f"/microblog/posts/{post['id']}/comments", {"text": "加我赚钱"}
    )
    api(
        server,
        reporter,
        "POST",
        "/reports",
        {"kind": "comment", "ref": str(comment["id"]), "reason": "spam", "note": "an advert"},
    )

    # The commenter is in the app when the decision lands.
    c = new_context().new_page()
    sign_in_api(c.context, commenter["handle"])
    c.goto("/#/me")
    wait_online(c)

    m = new_context().new_page()
    sign_in_api(m.context, first["handle"])
    m.goto("/#/admin/queue?kind=comment")
    case = m.locator(f'[data-kind="comment"][data-ref="{comment["id"]}"]')
    expect(case.get_by_test_id("case-text")).to_have_text("加我赚钱")
    case.get_by_test_id("case-open").click()
    expect(m.get_by_test_id("case-content-text")).to_have_text("加我赚钱")
    expect(m.get_by_test_id("case-report-note")).to_have_text("an advert")
    m.get_by_test_id("back").click()
    decide_in_console(m, case, "remove", "Advertising in comments.")

    comments = api(server, poster, "GET", f"/microblog/posts/{post['id']}/comments", None)
    assert comments["items"] == []

    # The author is told at once, reads the rule and the reason, and appeals.
    expect(c.get_by_test_id("toast").first).to_contain_text("A moderator acted")
    c.get_by_test_id("me-notices").click()
    notice = c.locator('[data-kind="remove"]')
    expect(notice.get_by_test_id("notice-rule")).to_have_text("spam")
    expect(notice.get_by_test_id("notice-reason")).to_have_text("Advertising in comments.")
    expect(notice.get_by_test_id("notice-content")).to_contain_text("Your comment")
    expect(notice.get_by_test_id("notice-excerpt")).to_have_text("加我赚钱")
    notice.get_by_test_id("appeal-open").click()
    notice.get_by_test_id("appeal-text-input").fill("It was a joke between friends.")
    notice.get_by_test_id("appeal-submit").click()
    expect(notice.get_by_test_id("appeal-state")).to_contain_text("Appeal sent")

    # The moderator who decided may not judge the appeal; a second one does.
    m.goto("/#/admin/appeals")
    mine = m.locator('[data-testid^="appeal-"][data-status="open"]').filter(
        has_text="It was a joke between friends."
    )
    mine.get_by_test_id("appeal-reason").fill("Stands.")
    mine.get_by_test_id("appeal-grant").click()
    expect(mine.get_by_test_id("appeal-error")).to_contain_text("second moderator")

    s = new_context().new_page()
    sign_in_api(s.context, second["handle"])
    open_console(s)
    s.get_by_test_id("admin-appeals").click()
    theirs = s.locator('[data-testid^="appeal-"][data-status="open"]').filter(
        has_text="It was a joke between friends."
    )
    theirs.get_by_test_id("appeal-reason").fill("A joke, and no harm done.")
    theirs.get_by_test_id("appeal-grant").click()
    expect(theirs).to_have_count(0)

    # The author's notices follow live.
    expect(notice.get_by_test_id("appeal-state")).to_contain_text("granted")
    expect(notice.get_by_test_id("notice-lifted")).to_be_visible()


def test_a_chat_message_is_reported_from_its_menu(
    new_context: NewContext, server: Server, admin: dict[str, Any]
) -> None:
    mod = make_moderator(server, admin, "Moderator Feng")
    alice, bob = server.create_user(display_name="Alice"), server.create_user(display_name="Bob")
    make_friends(server, alice, bob)
    chat = api(server, bob, "POST", "/chats/direct", {"user_id": alice["id"]})
    sent = api(
        server,
        bob,
        "POST",
        f"/chats/{chat['id']}/messages",
        {"client_id": secrets.token_hex(8), "kind": "text", "text": "你是个骗子"},
    )

    a = new_context().new_page()
    sign_in_api(a.context, alice["handle"])
    a.goto(f"/#/chats/{chat['id']}")
    bubble = a.get_by_test_id("msg-text").filter(has_text="你是个骗子")
    bubble.click(button="right")
    a.get_by_test_id("msg-action-report").click()
    sheet = a.get_by_test_id("report-sheet")
    expect(sheet.get_by_test_id("report-quote")).to_have_text("你是个骗子")
    sheet.get_by_test_id("report-reason-abuse").click()
    sheet.get_by_test_id("report-note").fill("Every day the same.")
    sheet.get_by_test_id("report-submit").click()
    expect(sheet).to_have_count(0)
    expect(a.get_by_test_id("toast").first).to_contain_text("A moderator will look")

    m = new_context().new_page()
    sign_in_api(m.context, mod["handle"])
    m.goto("/#/admin/queue?kind=message")
    case = m.locator(f'[data-kind="message"][data-ref="{chat["id"]}:{sent["seq"]}"]')
    case.get_by_test_id("case-open").click()
    # The message itself, as Alice saw it, with the reporter's own note.
    expect(m.get_by_test_id("case-content-text")).to_have_text("你是个骗子")
    expect(m.get_by_test_id("case-report-note")).to_have_text("Every day the same.")
    expect(m.get_by_test_id("case-report").get_by_text("abuse")).to_be_visible()

    # Removed by the moderator: gone from the server, and both people see who took it away.
    m.get_by_test_id("back").click()
    decide_in_console(m, case, "remove", "Abuse in a direct chat.")
    expect(bubble).to_have_count(0)
    expect(a.get_by_test_id("msg-recalled")).to_have_text("A message was removed by moderation")
    history = api(server, bob, "GET", f"/chats/{chat['id']}/messages", None)
    removed = next(x for x in history if x["seq"] == sent["seq"])
    assert removed["recalled"] is True
    assert removed["body"] == {}
