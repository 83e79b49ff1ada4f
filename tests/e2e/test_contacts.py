"""Contacts tab: adding a friend by scanning a screenshot of their QR code, accepting live, and
the friend list, profile, remark/tags, search, delete and block."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.conftest import NewContext, sign_in_api, wait_online
from tests.e2e.harness import Server
from tests.e2e.social import make_friends


def go(page: Page, hash_path: str) -> None:
    """Change screens in the same document (no reload), as a tap on a link would."""
    page.evaluate("h => { location.hash = h }", hash_path)


def test_add_friend_by_scanning_a_qr_screenshot(
    new_context: NewContext, server: Server, tmp_path: Path
) -> None:
    alice = server.create_user(display_name="Alice Wang")
    bob = server.create_user(display_name="Bob Li")

    a = new_context().new_page()
    sign_in_api(a.context, alice["handle"])
    a.goto("/#/contacts/qr")
    qr = a.get_by_test_id("my-qr-image")
    expect(qr).to_be_visible()
    a.wait_for_function("el => el.complete && el.naturalWidth > 0", arg=qr.element_handle())
    wait_online(a)
    shot = tmp_path / "alice-qr.png"
    qr.screenshot(path=str(shot))

    # Alice goes to her Contacts tab and waits there.
    go(a, "#/contacts")
    expect(a.get_by_test_id("screen-contacts")).to_be_visible()
    expect(a.get_by_test_id("empty-contacts")).to_be_visible()

    # Bob scans the screenshot: Contacts › Add › Scan › choose a photo.
    b = new_context().new_page()
    sign_in_api(b.context, bob["handle"])
    b.goto("/#/contacts")
    wait_online(b)
    b.get_by_test_id("contacts-add").click()
    b.get_by_test_id("add-scan").click()
    expect(b.get_by_test_id("screen-scan")).to_be_visible()
    b.get_by_test_id("scan-file").set_input_files(str(shot))
    person = b.get_by_test_id("scan-person")
    expect(person).to_be_visible()
    expect(person.get_by_test_id("scan-name")).to_have_text("Alice Wang")
    expect(person).to_have_attribute("data-action", "add_friend")
    person.get_by_test_id("scan-add").click()

    form = b.get_by_test_id("request-form")
    form.get_by_test_id("input-greeting").fill("Hi Alice, it's Bob from the tea house")
    form.get_by_test_id("input-remark").fill("Alice (tea)")
    form.get_by_test_id("request-send").click()
    expect(b.get_by_test_id("screen-person")).to_be_visible()
    expect(b.get_by_test_id("person-pending")).to_be_visible()

    # Alice sees the request arrive without reloading: badges, then the request itself.
    expect(a.get_by_test_id("new-friends-badge")).to_have_text("1")
    expect(a.get_by_test_id("tab-badge-contacts")).to_have_text("1")
    a.get_by_test_id("contacts-new").click()
    row = a.get_by_test_id(f"request-{bob['handle']}")
    expect(row).to_contain_text("Hi Alice, it's Bob from the tea house")
    row.get_by_test_id("request-accept").click()
    expect(row.get_by_test_id("request-status")).to_have_text("Added")
    expect(a.get_by_test_id("tab-badge-contacts")).to_be_hidden()

    # Both see each other in their lists, Bob live (his profile screen turns into a friend's).
    expect(b.get_by_test_id("person-message")).to_be_visible()
    expect(b.get_by_test_id("person-name")).to_have_text("Alice (tea)")
    go(b, "#/contacts")
    expect(
        b.get_by_test_id(f"friend-{alice['handle']}").get_by_test_id("friend-name")
    ).to_have_text("Alice (tea)")
    go(a, "#/contacts")
    expect(a.get_by_test_id(f"friend-{bob['handle']}").get_by_test_id("friend-name")).to_have_text(
        "Bob Li"
    )
    expect(a.get_by_test_id("friend-count")).to_have_text("1 friend")


def test_search_by_handle_remark_tags_filter_delete_and_block(
    new_context: NewContext, server: Server
) -> None:
    me = server.create_user(display_name="Chen Jing")
    zed = server.create_user(display_name="Zed Zhou")
    amy = server.create_user(display_name="Amy Ma")
    make_friends(server, me, zed)

    page = new_context().new_page()
    sign_in_api(page.context, me["handle"])
    page.goto("/#/contacts")
    wait_online(page)
    expect(page.get_by_test_id(f"friend-{zed['handle']}")).to_be_visible()

    # Find Amy by her handle and send a request from her profile.
    page.get_by_test_id("contacts-add").click()
    page.get_by_test_id("add-search").fill(amy["handle"])
    page.get_by_test_id("add-search").press("Enter")
    expect(page.get_by_test_id("person-name")).to_have_text("Amy Ma")
    page.get_by_test_id("person-add").click()
    page.get_by_test_id("request-send").click()
    expect(page.get_by_test_id("person-pending")).to_be_visible()

    # An unknown handle is explained.
    go(page, "#/contacts/add")
    page.get_by_test_id("add-search").fill("nobody_here_at_all")
    page.get_by_test_id("add-search-go").click()
    expect(page.get_by_test_id("search-error")).to_contain_text("No one")

    # Remark and tags for Zed; the list and the A–Z index follow the remark.
    go(page, f"#/contacts/u/{zed['handle']}")
    page.get_by_test_id("person-remark").click()
    form = page.get_by_test_id("remark-form")
    form.get_by_test_id("input-remark").fill("Brother Zed")
    form.get_by_test_id("input-tags").fill("Family, Cycling")
    form.get_by_test_id("remark-save").click()
    expect(page.get_by_test_id("person-name")).to_have_text("Brother Zed")
    expect(page.get_by_test_id("person-tags")).to_contain_text("Family")
    go(page, "#/contacts")
    zed_row = page.get_by_test_id(f"friend-{zed['handle']}")
    expect(zed_row.get_by_test_id("friend-name")).to_have_text("Brother Zed")
    expect(page.get_by_test_id("az-B")).to_be_visible()

    # The search box filters by remark, name, handle or tag.
    page.get_by_test_id("contacts-search").fill("cycling")
    expect(page.get_by_test_id(f"friend-{zed['handle']}")).to_be_visible()
    page.get_by_test_id("contacts-search").fill("no such friend")
    expect(page.get_by_test_id("no-match")).to_be_visible()
    page.get_by_test_id("contacts-search").fill("")

    # Block, then unblock; then delete.
    page.get_by_test_id(f"friend-{zed['handle']}").click()
    page.get_by_test_id("person-more").click()
    page.get_by_test_id("action-block").click()
    page.get_by_test_id("confirm-ok").click()
    expect(page.get_by_test_id("person-blocked")).to_be_visible()
    page.get_by_test_id("person-unblock").click()
    expect(page.get_by_test_id("person-blocked")).to_be_hidden()
    page.get_by_test_id("person-more").click()
    page.get_by_test_id("action-delete").click()
    page.get_by_test_id("confirm-ok").click()
    expect(page.get_by_test_id("screen-contacts")).to_be_visible()
    expect(page.get_by_test_id(f"friend-{zed['handle']}")).to_have_count(0)
