"""Mini-programs in the browser: the directory and an app's page, a running app talking to the
host only through the SDK's private channel, the consent sheet, and what a hostile app cannot
do — read the host's cookies or page, reach undeclared servers, or speak with a forged hello."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, FrameLocator, Page, expect

from tests.e2e.conftest import PHONE, NewContext, sign_in_api
from tests.e2e.harness import Server
from tests.e2e.miniapps_util import publish, zip_files
from tests.e2e.test_moderation import admin, make_moderator

__all__ = ["admin"]

PROBE = Path(__file__).with_name("probe_app")


def probe_bundle(host: str) -> bytes:
    html = (PROBE / "index.html").read_text()
    js = (PROBE / "probe.js").read_text()
    manifest = {
        "pages": ["pages/index.html", "pages/second.html"],
        "permissions": ["userInfo", "scanCode"],
    }
    return zip_files(
        {
            "manifest.json": json.dumps(manifest),
            "pages/index.html": html.replace("PAGE", "first"),
            "pages/second.html": html.replace("PAGE", "second"),
            "pages/probe.js": f"const HOST = {json.dumps(host)};\n" + js,
        }
    )


@pytest.fixture(scope="module")
def probe(server: Server, admin: dict[str, Any]) -> dict[str, Any]:
    mod = make_moderator(server, admin, "Reviewer Qian")
    dev = server.create_user(display_name="Probe Dev")
    return publish(
        server,
        dev,
        mod,
        name="Probe",
        bundle=probe_bundle(server.base_url),
        domains=["probe.example"],
        category="tools",
        description="Tries everything an app might",
    )


def said(app: FrameLocator, key: str) -> Any:
    return app.locator(f'li[data-key="{key}"]')


def test_open_from_discover_consent_and_navigate(
    new_context: NewContext, server: Server, probe: dict[str, Any]
) -> None:
    user = server.create_user(display_name="Lin Yue")
    page = new_context().new_page()
    sign_in_api(page.context, user["handle"])
    page.goto("/#/discover")
    page.get_by_test_id("discover-miniapps").click()
    expect(page.get_by_test_id("screen-miniapps")).to_be_visible()
    page.get_by_test_id("miniapp-search").fill("Probe")
    row = page.locator(f'[data-testid="miniapp-row"][data-appid="{probe["appid"]}"]')
    row.click()
    expect(page.get_by_test_id("miniapp-developer")).to_have_text("Probe Ltd")
    expect(page.get_by_test_id("miniapp-permission").filter(has_text="nickname")).to_be_visible()
    page.get_by_test_id("miniapp-open").click()
    expect(page.get_by_test_id("miniapp-title")).to_have_text("Probe")
    app = page.frame_locator('[data-testid="miniapp-frame"]')
    expect(said(app, "ready")).to_have_text("yes")
    expect(said(app, "path")).to_have_text("pages/index.html|{}")

    app.locator("#login").click()
    expect(said(app, "login")).to_have_text("code")

    # The profile needs the user's consent, once: Deny, then Allow; then it is remembered.
    app.locator("#profile").click()
    page.get_by_test_id("consent-deny").click()
    expect(said(app, "profile")).to_have_text("error:denied")
    app.locator("#profile").click()
    expect(page.get_by_test_id("consent-sheet")).to_contain_text("Probe would like")
    page.get_by_test_id("consent-allow").click()
    expect(said(app, "profile").nth(1)).to_have_text("Lin Yue")
    app.locator("#profile").click()
    expect(said(app, "profile").nth(2)).to_have_text("Lin Yue")
    expect(page.get_by_test_id("consent-sheet")).to_have_count(0)

    # navigateTo loads another page of the app under the same bar, channel re-opened.
    app.locator("#nav").click()
    expect(app.locator("#where")).to_have_text("second")
    expect(said(app, "path")).to_have_text('pages/second.html|{"from":"probe"}')
    expect(said(app, "ready")).to_have_text("yes")

    # Settings list the consent; revoking it makes the app ask again.
    page.get_by_test_id("miniapp-close").click()
    page.goto("/#/me")
    page.get_by_test_id("me-miniapps").click()
    grant = page.locator(f'[data-testid="grant-row"][data-appid="{probe["appid"]}"]')
    grant.get_by_test_id("grant-revoke").click()
    page.get_by_test_id("confirm-ok").click()
    expect(page.get_by_test_id("grants-empty")).to_be_visible()

    # Recently used: the app is on the directory's first row.
    page.goto("/#/miniapps")
    expect(
        page.locator(f'[data-testid="miniapp-recent"][data-appid="{probe["appid"]}"]')
    ).to_be_visible()


def test_a_hostile_app_is_contained(
    browser: Browser, server: Server, probe: dict[str, Any]
) -> None:
    # Its own context: the blocked fetch is reported as a CSP violation, which is the point.
    ctx = browser.new_context(base_url=server.base_url, viewport=PHONE)
    try:
        user = server.create_user()
        page: Page = ctx.new_page()
        sign_in_api(ctx, user["handle"])
        assert any(c["name"] for c in ctx.cookies())  # the host has a session cookie …
        page.goto(f"/#/miniapps/open/{probe['appid']}")
        app = page.frame_locator('[data-testid="miniapp-frame"]')
        expect(said(app, "ready")).to_have_text("yes")
        # … which the app cannot read, nor the host's page, nor any storage.
        expect(said(app, "cookie")).to_have_text("blocked")
        expect(said(app, "parent")).to_have_text("blocked")
        expect(said(app, "storage")).to_have_text("blocked")
        # Hutong's own API is not one of its declared domains.
        app.locator("#fetch").click()
        expect(said(app, "fetch")).to_have_text("blocked")
        # navigateTo stays inside the app's own pages.
        app.locator("#escape").click()
        expect(said(app, "escape")).to_have_text("error:failed")
        # A hello with the wrong token is ignored: no answer on the port it offered.
        app.locator("#forge").click()
        expect(said(app, "forged-done")).to_have_text("quiet")
        expect(said(app, "forged")).to_have_count(0)
        # A message from another window (here the host page itself, posing as the app with
        # the frame's own token) is ignored too.
        answered = page.evaluate(
            """() => new Promise((resolve) => {
                const frame = document.querySelector('[data-testid="miniapp-frame"]');
                const token = new URL(frame.src).hash.split("=")[1];
                const ch = new MessageChannel();
                ch.port1.onmessage = () => resolve(true);
                window.postMessage({ hutong: "hello", token }, "*", [ch.port2]);
                setTimeout(() => resolve(false), 800);
            })"""
        )
        assert answered is False
        # The frame is sandboxed without our origin.
        sandbox = page.get_by_test_id("miniapp-frame").get_attribute("sandbox") or ""
        assert "allow-same-origin" not in sandbox
        assert "allow-top-navigation" not in sandbox
    finally:
        ctx.close()


def test_an_apps_qr_code_is_scanned_by_an_app_and_opens_the_app(
    new_context: NewContext, server: Server, probe: dict[str, Any]
) -> None:
    user = server.create_user()
    page = new_context().new_page()
    sign_in_api(page.context, user["handle"])
    page.goto(f"/#/miniapps/apps/{probe['appid']}")
    page.get_by_test_id("miniapp-show-qr").click()
    box = page.get_by_test_id("miniapp-qr")
    expect(box.locator("img")).to_be_visible()
    link = box.get_attribute("data-qr-url") or ""
    assert link.startswith(server.base_url + "/qr/app."), link
    png = page.context.request.get(link + ".png")
    assert png.ok

    # The app asks the host to scan; the user picks the photo of the code on the host's sheet.
    page.get_by_test_id("miniapp-open").click()
    app = page.frame_locator('[data-testid="miniapp-frame"]')
    expect(said(app, "ready")).to_have_text("yes")
    app.locator("#scan").click()
    expect(page.get_by_test_id("scan-sheet")).to_be_visible()
    page.get_by_test_id("scan-file").set_input_files(
        files=[{"name": "code.png", "mimeType": "image/png", "buffer": png.body()}]
    )
    expect(said(app, "scan")).to_have_text(link)

    # Opening the code's link shows the app, and Open runs it at the code's page.
    page.goto(link)
    expect(page.get_by_test_id("scan-app-name")).to_have_text("Probe")
    page.get_by_test_id("scan-app-open").click()
    expect(said(page.frame_locator('[data-testid="miniapp-frame"]'), "path")).to_have_text(
        "pages/index.html|{}"
    )
