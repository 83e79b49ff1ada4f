"""Desktop QR login: a signed-in phone opens the code's link and confirms; the desktop page is
signed in without a reload."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import DESKTOP, NewContext, log_in_ui, sign_in_api, wait_online
from tests.e2e.harness import Server

SVG_SRC = re.compile(r"^/qr/.+\.svg$")


def show_qr(desktop: Page) -> str:
    """Open the login page on a wide screen; the QR code's link once it is showing."""
    desktop.goto("/")
    expect(desktop.get_by_test_id("qr-status")).to_have_attribute("data-status", "waiting")
    image = desktop.get_by_test_id("qr-image")
    expect(image).to_have_attribute("src", SVG_SRC)
    url = image.get_attribute("data-qr-url")
    assert url
    assert "/qr/" in url
    expect(desktop.get_by_test_id("qr-countdown")).to_contain_text("Expires in")
    return url


def test_qr_login_confirmed_on_phone(new_context: NewContext, server: Server) -> None:
    owner = server.create_user(display_name="Wang Fang")
    phone = new_context().new_page()
    sign_in_api(phone.context, owner["handle"])

    desktop = new_context(viewport=DESKTOP).new_page()
    url = show_qr(desktop)
    desktop.evaluate("window.__sameDocument = true")

    # The phone opens the link: it sees which device asks, and the desktop shows "scanned".
    phone.goto(url)
    expect(phone.get_by_test_id("qr-approve-title")).to_contain_text("Log in on Chrome on Linux?")
    expect(desktop.get_by_test_id("qr-status")).to_have_attribute("data-status", "scanned")
    expect(desktop.get_by_test_id("qr-caption")).to_contain_text("Confirm the login on your phone")

    phone.get_by_test_id("qr-confirm").click()
    expect(phone.get_by_test_id("qr-result-title")).to_contain_text("Logged in on")

    # The desktop is signed in as the phone's user, in the same document (no reload).
    expect(desktop.get_by_test_id("screen-chats")).to_be_visible()
    assert desktop.evaluate("window.__sameDocument") is True
    wait_online(desktop)
    desktop.get_by_test_id("tab-me").click()
    expect(desktop.get_by_test_id("me-name")).to_have_text("Wang Fang")
    expect(desktop.get_by_test_id("me-handle")).to_have_text(owner["handle"])

    # The code is single-use: opening it again is a clear 410.
    phone.goto(url)
    expect(phone.get_by_test_id("qr-error")).to_be_visible()
    expect(phone.get_by_test_id("qr-error-detail")).to_contain_text("already")


def test_qr_link_on_signed_out_device_logs_in_first_then_deny(
    new_context: NewContext, server: Server
) -> None:
    owner = server.create_user()
    desktop = new_context(viewport=DESKTOP).new_page()
    url = show_qr(desktop)

    # A phone that is not signed in: the login page explains, and continues after sign-in.
    phone = new_context().new_page()
    phone.goto(url)
    expect(phone.get_by_test_id("screen-login")).to_be_visible()
    expect(phone.get_by_test_id("login-notice")).to_contain_text("code you scanned")
    log_in_ui(phone, owner["handle"])
    expect(phone.get_by_test_id("qr-approve")).to_be_visible()

    phone.get_by_test_id("qr-deny").click()
    expect(phone.get_by_test_id("qr-result-title")).to_have_text("Login cancelled")

    expect(desktop.get_by_test_id("qr-status")).to_have_attribute("data-status", "denied")
    expect(desktop.get_by_test_id("screen-login")).to_be_visible()

    # A fresh code can be fetched at once.
    desktop.get_by_test_id("qr-refresh").click()
    expect(desktop.get_by_test_id("qr-status")).to_have_attribute("data-status", "waiting")
    assert desktop.get_by_test_id("qr-image").get_attribute("data-qr-url") != url


def test_qr_code_expires_after_two_minutes(new_context: NewContext) -> None:
    desktop = new_context(viewport=DESKTOP).new_page()
    desktop.clock.install()
    show_qr(desktop)
    expect(desktop.get_by_test_id("qr-countdown")).to_contain_text("Expires in 1:5")

    desktop.clock.fast_forward("02:01")
    expect(desktop.get_by_test_id("qr-status")).to_have_attribute("data-status", "expired")
    expect(desktop.get_by_test_id("qr-caption")).to_contain_text("expired")

    desktop.get_by_test_id("qr-refresh").click()
    expect(desktop.get_by_test_id("qr-status")).to_have_attribute("data-status", "waiting")
    expect(desktop.get_by_test_id("qr-countdown")).to_contain_text("Expires in")


def test_expired_or_bogus_code_is_explained(new_context: NewContext, server: Server) -> None:
    owner = server.create_user()
    phone = new_context().new_page()
    sign_in_api(phone.context, owner["handle"])
    phone.goto("/qr/login.bm90LWEtcmVhbC1jb2RlOjE.AAAAAAAAAAAAAAAAAAAAAA")
    expect(phone.get_by_test_id("qr-error")).to_be_visible()
    expect(phone.get_by_test_id("qr-error-detail")).to_contain_text("not a valid")
    wait_online(phone)


def test_phone_login_page_shows_qr_code_on_request(new_context: NewContext) -> None:
    page = new_context().new_page()  # phone width: the password form first
    page.goto("/")
    expect(page.get_by_test_id("login-form")).to_be_visible()
    expect(page.get_by_test_id("qr-panel")).to_be_hidden()
    expect(page.get_by_test_id("qr-status")).to_have_attribute("data-status", "idle")

    page.get_by_test_id("login-mode-toggle").click()
    expect(page.get_by_test_id("qr-panel")).to_be_visible()
    expect(page.get_by_test_id("login-form")).to_be_hidden()
    expect(page.get_by_test_id("qr-status")).to_have_attribute("data-status", "waiting")

    page.get_by_test_id("login-mode-toggle").click()
    expect(page.get_by_test_id("login-form")).to_be_visible()
    expect(page.get_by_test_id("qr-status")).to_have_attribute("data-status", "idle")
