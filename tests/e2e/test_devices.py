"""Devices: the list shows each session, and logging one out signs that browser out live."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, NewContext, log_in_ui, sign_in_api, wait_online
from tests.e2e.harness import Server


def test_revoking_a_device_signs_it_out_in_realtime(
    new_context: NewContext, server: Server
) -> None:
    user = server.create_user(display_name="Two Devices")

    phone = new_context().new_page()
    sign_in_api(phone.context, user["handle"])
    phone.goto("/#/me/devices")
    sessions = phone.get_by_test_id("sessions")
    current = sessions.locator("[data-current=true]")
    expect(current).to_have_count(1)
    expect(current.get_by_test_id("session-current")).to_have_text("This device")
    wait_online(phone)
    before = sessions.locator(".device").count()  # the API session from registering, too

    # A second device logs in through the UI; the list on the first updates by itself.
    laptop = new_context(viewport=DESKTOP).new_page()
    laptop.goto("/")
    log_in_ui(laptop, user["handle"])
    expect(laptop.get_by_test_id("screen-chats")).to_be_visible()
    wait_online(laptop)
    expect(sessions.locator(".device")).to_have_count(before + 1)

    # Which row is the laptop? The newest non-current session.
    other_ids = sessions.locator("[data-current=false]").evaluate_all(
        "rows => rows.map(r => Number(r.dataset.sessionId))"
    )
    laptop_id = max(other_ids)
    phone.get_by_test_id(f"revoke-{laptop_id}").click()
    expect(phone.get_by_test_id("confirm-sheet")).to_contain_text("Log out")
    phone.get_by_test_id("confirm-ok").click()
    expect(phone.get_by_test_id(f"session-{laptop_id}")).to_have_count(0)

    # The laptop, untouched, lands on the login page and says why.
    expect(laptop.get_by_test_id("screen-login")).to_be_visible()
    expect(laptop.get_by_test_id("login-notice")).to_contain_text("signed out")
    # ...and really is signed out: the app is not reachable after a reload.
    laptop.goto("/#/me")
    expect(laptop.get_by_test_id("screen-login")).to_be_visible()

    # The phone is unaffected.
    expect(phone.get_by_test_id("screen-devices")).to_be_visible()
    expect(current).to_have_count(1)


def test_change_password_signs_out_other_devices(new_context: NewContext, server: Server) -> None:
    user = server.create_user()
    pages = []
    for _ in range(2):
        p = new_context().new_page()
        sign_in_api(p.context, user["handle"])
        p.goto("/#/chats")
        wait_online(p)
        pages.append(p)
    main, other = pages

    main.goto("/#/me/password")
    form = main.get_by_test_id("password-form")
    form.get_by_test_id("input-old_password").fill("wrong password")
    form.get_by_test_id("input-new_password").fill("a brand new secret")
    form.get_by_test_id("input-confirm").fill("a brand new secret")
    form.get_by_test_id("password-save").click()
    expect(form.get_by_test_id("error-old_password")).to_contain_text("wrong")

    form.get_by_test_id("input-old_password").fill(user["password"])
    form.get_by_test_id("password-save").click()
    expect(main.get_by_test_id("screen-me")).to_be_visible()

    expect(other.get_by_test_id("screen-login")).to_be_visible()
    expect(other.get_by_test_id("login-notice")).to_contain_text("signed out")
    log_in_ui(other, user["handle"], "a brand new secret")
    expect(other.get_by_test_id("screen-chats")).to_be_visible()
