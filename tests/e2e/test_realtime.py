"""Realtime: a device that was offline catches up on what it missed, from its stored sequence."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import NewContext, sign_in_api, wait_online
from tests.e2e.harness import Server


def test_missed_events_arrive_after_reconnect(new_context: NewContext, server: Server) -> None:
    user = server.create_user(display_name="Old Name")
    page = new_context().new_page()
    sign_in_api(page.context, user["handle"])
    page.goto("/#/me")
    wait_online(page)
    seq_key = f"hutong:seq:{user['id']}"
    seq_before = page.evaluate("k => Number(localStorage.getItem(k))", seq_key)
    assert seq_before > 0

    page.context.set_offline(True)
    expect(page.locator("html")).to_have_attribute(
        "data-realtime", re.compile("offline|connecting")
    )
    expect(page.get_by_test_id("conn-strip")).to_be_visible()

    # Meanwhile another device renames the account.
    other = new_context()
    csrf = sign_in_api(other, user["handle"])["csrf_token"]
    res = other.request.patch(
        "/me", data={"display_name": "New Name"}, headers={"X-CSRF-Token": csrf}
    )
    assert res.ok, res.text()
    page.wait_for_timeout(300)
    expect(page.get_by_test_id("me-name")).to_have_text("Old Name")

    page.context.set_offline(False)
    wait_online(page)
    expect(page.get_by_test_id("me-name")).to_have_text("New Name")
    expect(page.get_by_test_id("conn-strip")).to_be_hidden()
    seq_after = page.evaluate("k => Number(localStorage.getItem(k))", seq_key)
    assert seq_after > seq_before
