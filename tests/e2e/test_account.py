"""Register, log out, log in, edit the profile and upload an avatar — all through the UI."""

from __future__ import annotations

import io
import re
from pathlib import Path

from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from tests.e2e.conftest import NewContext, log_in_ui, wait_online
from tests.e2e.harness import PASSWORD, Server, unique_handle


def starts_with(prefix: str) -> re.Pattern[str]:
    return re.compile("^" + re.escape(prefix))


def make_png(path: Path) -> Path:
    img = Image.new("RGB", (320, 320), (7, 193, 96))
    draw = ImageDraw.Draw(img)
    draw.ellipse((80, 80, 240, 240), fill=(255, 255, 255))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    path.write_bytes(buf.getvalue())
    return path


def test_register_logout_login_and_edit_profile(page: Page, tmp_path: Path) -> None:
    handle = unique_handle("reg")
    page.goto("/")
    expect(page.get_by_test_id("screen-login")).to_be_visible()

    # Register
    page.get_by_test_id("to-register").click()
    form = page.get_by_test_id("register-form")
    form.get_by_test_id("input-handle").fill(handle)
    form.get_by_test_id("input-display_name").fill("Ming")
    form.get_by_test_id("input-password").fill(PASSWORD)
    form.get_by_test_id("register-submit").click()
    expect(page.get_by_test_id("screen-chats")).to_be_visible()
    expect(page.get_by_test_id("empty-chats")).to_contain_text("No chats yet")
    for tab in ("chats", "contacts", "discover", "me"):
        expect(page.get_by_test_id(f"tab-{tab}")).to_be_visible()
    wait_online(page)

    page.get_by_test_id("tab-me").click()
    expect(page.get_by_test_id("me-name")).to_have_text("Ming")
    expect(page.get_by_test_id("me-handle")).to_have_text(handle)

    # Log out
    page.get_by_test_id("logout").click()
    page.get_by_test_id("confirm-ok").click()
    expect(page.get_by_test_id("screen-login")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("data-realtime", "stopped")

    # A wrong password shows the problem's detail; the right one signs in
    log_in_ui(page, handle, "not the password")
    expect(page.get_by_test_id("form-error")).to_contain_text("Wrong handle or password")
    log_in_ui(page, handle, PASSWORD)
    expect(page.get_by_test_id("screen-chats")).to_be_visible()

    # Edit profile: a bad phone number is reported at its field and nothing is saved
    page.get_by_test_id("tab-me").click()
    page.get_by_test_id("me-edit").click()
    edit = page.get_by_test_id("profile-form")
    edit.get_by_test_id("input-phone").fill("12345")
    edit.get_by_test_id("profile-save").click()
    expect(edit.get_by_test_id("error-phone")).to_contain_text("phone number")
    expect(page.get_by_test_id("screen-edit-profile")).to_be_visible()

    # ...then a valid edit with a new avatar
    edit.get_by_test_id("input-phone").fill("")
    edit.get_by_test_id("input-display_name").fill("Li Ming 李明")
    edit.get_by_test_id("input-bio").fill("Tea, bikes and old alleys.")
    edit.get_by_test_id("input-region").fill("Beijing")
    page.get_by_test_id("avatar-input").set_input_files(make_png(tmp_path / "avatar.png"))
    expect(page.get_by_test_id("avatar-preview-img")).to_have_attribute("src", starts_with("blob:"))
    edit.get_by_test_id("profile-save").click()

    expect(page.get_by_test_id("screen-me")).to_be_visible()
    expect(page.get_by_test_id("me-name")).to_have_text("Li Ming 李明")
    expect(page.get_by_test_id("me-bio")).to_have_text("Tea, bikes and old alleys.")
    expect(page.get_by_test_id("me-region")).to_have_text("Beijing")
    avatar = page.get_by_test_id("me-avatar")
    expect(avatar).to_have_attribute("src", starts_with("/media/"))
    page.wait_for_function("el => el.complete && el.naturalWidth > 0", arg=avatar.element_handle())

    # The session survives a reload, and the saved profile is what the server has
    page.reload()
    expect(page.get_by_test_id("me-name")).to_have_text("Li Ming 李明")
    expect(page.get_by_test_id("me-avatar")).to_have_attribute("src", starts_with("/media/"))


def test_form_errors_come_from_problem_json(page: Page, server: Server) -> None:
    taken = server.create_user()["handle"]
    page.goto("/#/register")
    form = page.get_by_test_id("register-form")

    # Checked in the browser first
    form.get_by_test_id("input-handle").fill("No Spaces!")
    form.get_by_test_id("input-password").fill("short")
    form.get_by_test_id("register-submit").click()
    expect(form.get_by_test_id("error-handle")).to_be_visible()
    expect(form.get_by_test_id("error-password")).to_contain_text("8 characters")

    # A conflict from the server lands on the handle field
    form.get_by_test_id("input-handle").fill(taken)
    form.get_by_test_id("input-password").fill(PASSWORD)
    form.get_by_test_id("register-submit").click()
    expect(form.get_by_test_id("error-handle")).to_contain_text("taken")
    expect(page.get_by_test_id("screen-register")).to_be_visible()


def test_profile_changes_reach_other_devices_live(new_context: NewContext, server: Server) -> None:
    user = server.create_user(display_name="Before")
    pages = []
    for _ in range(2):
        p = new_context().new_page()
        p.goto("/#/login?mode=password")
        log_in_ui(p, user["handle"])
        expect(p.get_by_test_id("screen-chats")).to_be_visible()
        wait_online(p)
        p.get_by_test_id("tab-me").click()
        expect(p.get_by_test_id("me-name")).to_have_text("Before")
        pages.append(p)
    one, two = pages

    one.get_by_test_id("me-edit").click()
    one.get_by_test_id("input-display_name").fill("After")
    one.get_by_test_id("profile-save").click()
    expect(one.get_by_test_id("me-name")).to_have_text("After")
    expect(two.get_by_test_id("me-name")).to_have_text("After")  # via profile.updated


def test_too_many_wrong_passwords_are_throttled(page: Page, server: Server) -> None:
    handle = server.create_user()["handle"]
    page.goto("/#/login")
    submit = page.get_by_test_id("login-submit")
    for _ in range(5):
        with page.expect_response("**/auth/login") as res:
            log_in_ui(page, handle, "guess guess")
        assert res.value.status == 401
    expect(page.get_by_test_id("form-error")).to_contain_text("Wrong handle or password")

    with page.expect_response("**/auth/login") as res:
        log_in_ui(page, handle, PASSWORD)  # even the right password waits now
    assert res.value.status == 429
    expect(page.get_by_test_id("form-error")).to_contain_text("Try again in")
    expect(submit).to_be_disabled()
    expect(submit).to_contain_text("Try again in")
    expect(page.get_by_test_id("screen-login")).to_be_visible()
