"""Group chats in the browser: create one from friends, @mention someone, rename it, and send a
photo and a voice note recorded with the (fake) microphone."""

from __future__ import annotations

import io
import re
from pathlib import Path

from PIL import Image, ImageDraw
from playwright.sync_api import expect

from tests.e2e.conftest import NewContext, sign_in_api, wait_online
from tests.e2e.harness import Server
from tests.e2e.social import make_friends


def photo(path: Path) -> Path:
    img = Image.new("RGB", (800, 600), (120, 180, 230))
    draw = ImageDraw.Draw(img)
    draw.ellipse((520, 80, 680, 240), fill=(255, 200, 60))
    draw.rectangle((0, 430, 800, 600), fill=(60, 160, 90))
    buf = io.BytesIO()
    img.save(buf, format="JPEG")
    path.write_bytes(buf.getvalue())
    return path


def test_group_chat_mentions_rename_photo_and_voice(
    new_context: NewContext, server: Server, tmp_path: Path
) -> None:
    alice = server.create_user(display_name="Alice Wang")
    bob = server.create_user(display_name="Bob Li")
    carol = server.create_user(display_name="Carol Xu")
    make_friends(server, alice, bob)
    make_friends(server, alice, carol)

    a = new_context().new_page()
    sign_in_api(a.context, alice["handle"])
    b = new_context().new_page()
    sign_in_api(b.context, bob["handle"])
    for p in (a, b):
        p.goto("/#/chats")
        wait_online(p)

    # Alice starts a group with Bob and Carol from the + menu.
    a.get_by_test_id("chats-add").click()
    a.get_by_test_id("menu-new-group").click()
    a.get_by_test_id("group-name").fill("Hiking club")
    a.get_by_test_id(f"pick-{bob['handle']}").check()
    a.get_by_test_id(f"pick-{carol['handle']}").check()
    expect(a.get_by_test_id("picker-done")).to_have_text("Done (2)")
    a.get_by_test_id("picker-done").click()
    expect(a.get_by_test_id("screen-title")).to_have_text("Hiking club (3)")
    expect(a.get_by_test_id("msg-system").first).to_contain_text("created the group")

    # It shows up in Bob's list at once.
    row = b.locator("[data-testid^=chat-][data-kind=group]")
    expect(row.get_by_test_id("chat-name")).to_have_text("Hiking club")

    # Alice mentions Bob through the picker.
    box = a.get_by_test_id("composer-input")
    box.press_sequentially("See you Saturday @")
    expect(a.get_by_test_id("mention-picker")).to_be_visible()
    expect(a.get_by_test_id("mention-all")).to_be_visible()  # she owns the group
    a.get_by_test_id(f"mention-{bob['handle']}").click()
    expect(box).to_have_value("See you Saturday @Bob Li ")
    box.press("Enter")
    expect(row.get_by_test_id("chat-preview")).to_contain_text("[@You]")
    row.click()
    mention = b.get_by_test_id("msg").filter(has_text="See you Saturday")
    expect(mention).to_have_class(re.compile(r"\bis-mention\b"))
    expect(mention.get_by_test_id("msg-sender")).to_have_text("Alice Wang")

    # Alice renames the group in its info page; Bob's title follows.
    a.get_by_test_id("chat-info").click()
    expect(a.get_by_test_id(f"member-{carol['handle']}")).to_be_visible()
    a.get_by_test_id("info-rename").click()
    a.get_by_test_id("input-name").fill("Weekend hikers")
    a.get_by_test_id("group-name-save").click()
    expect(a.get_by_test_id("info-name")).to_have_text("Weekend hikers")
    expect(b.get_by_test_id("screen-title")).to_have_text("Weekend hikers (3)")
    expect(b.get_by_test_id("msg-system").last).to_contain_text(
        'changed the group name to "Weekend hikers"'
    )

    # A photo: the thumbnail shows on both sides; Bob opens it full screen.
    a.get_by_test_id("back").click()
    a.get_by_test_id("pick-image").set_input_files(str(photo(tmp_path / "hill.jpg")))
    image = b.get_by_test_id("msg-image").last
    expect(image).to_have_attribute("src", re.compile(r"/chats/\d+/media/[0-9a-f]{64}\?thumb=1$"))
    b.wait_for_function("el => el.complete && el.naturalWidth > 0", arg=image.element_handle())
    image.click()
    expect(b.get_by_test_id("lightbox")).to_be_visible()
    b.get_by_test_id("lightbox").click()
    expect(b.get_by_test_id("lightbox")).to_have_count(0)

    # A voice note: hold to talk for a moment, release to send.
    a.get_by_test_id("composer-voice").click()
    hold = a.get_by_test_id("composer-hold")
    hold.hover()
    a.mouse.down()
    expect(a.get_by_test_id("record-hud")).to_be_visible()
    a.wait_for_timeout(1600)
    a.mouse.up()
    voice = b.get_by_test_id("msg-voice").last
    expect(voice).to_be_visible(timeout=15_000)
    assert float(voice.get_attribute("data-duration") or 0) >= 1
    expect(a.get_by_test_id("msg-retry")).to_have_count(0)
