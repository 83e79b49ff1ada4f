"""Me → Mini-program developer in the browser: a user registers as a developer, creates an app
and sees its secret once, uploads a bundle (a bundle with a `../` path is refused with a
readable message) and submits it; a moderator approves it from the console's review screen;
the developer releases it. A second version is rejected with a reason the developer reads."""

from __future__ import annotations

import base64
import io
import json
import re
import urllib.error
import urllib.request
import zipfile
from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import NewContext, sign_in_api
from tests.e2e.harness import Server
from tests.e2e.social import api, token
from tests.e2e.test_moderation import admin, make_moderator, open_console
from tests.helpers import png

__all__ = ["admin"]  # the module fixture that appoints moderators

MANIFEST = {"pages": ["pages/index.html"], "permissions": ["userInfo", "payment"]}
INDEX = b"<!doctype html><title>Dumplings</title><p>Menu</p>"


def bundle(files: dict[str, bytes], manifest: dict[str, Any] = MANIFEST) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", json.dumps(manifest))
        for name, data in files.items():
            z.writestr(name, data)
    return out.getvalue()


def backend_status(server: Server, appid: str, secret: str) -> int:
    """What the developer's backend gets when it calls the server API with appid:secret."""
    token = base64.b64encode(f"{appid}:{secret}".encode()).decode()
    url = f"{server.base_url}/miniapps/api/orders/none"
    assert url.startswith("http://127.0.0.1:")
    req = urllib.request.Request(url, headers={"Authorization": f"Basic {token}"})  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=10) as res:  # noqa: S310 (the test server)
            return int(res.status)
    except urllib.error.HTTPError as err:
        return int(err.code)


def upload(page: Page, name: str, data: bytes, version: str, note: str = "") -> None:
    form = page.get_by_test_id("upload-form")
    form.get_by_test_id("input-bundle").set_input_files(
        {"name": name, "mimeType": "application/zip", "buffer": data}
    )
    form.get_by_test_id("input-version").fill(version)
    form.get_by_test_id("input-note").fill(note)
    form.get_by_test_id("upload-submit").click()


def version_row(page: Page, version: str) -> Locator:
    return page.locator(f'.dev-version[data-version="{version}"]')


def review(page: Page, version_id: str) -> Locator:
    """The moderator opens Me → Moderation → Mini-programs; the card of `version_id`."""
    open_console(page)
    page.get_by_test_id("admin-miniapps").click()
    expect(page.get_by_test_id("screen-admin-miniapps")).to_be_visible()
    return page.get_by_test_id(f"review-{version_id}")


def test_a_developer_creates_uploads_submits_and_releases_after_review(
    new_context: NewContext, server: Server, admin: dict[str, Any]
) -> None:
    dev = server.create_user(display_name="Chef Zhang")
    mod = make_moderator(server, admin, "Moderator Han")
    d = new_context().new_page()
    sign_in_api(d.context, dev["handle"])
    m = new_context().new_page()
    sign_in_api(m.context, mod["handle"])

    # Me → Mini-program developer: register first.
    d.goto("/#/me")
    d.get_by_test_id("me-developer").click()
    expect(d.get_by_test_id("developer-intro")).to_be_visible()
    d.get_by_test_id("developer-register-form").get_by_test_id("input-name").fill("Zhang's Kitchen")
    d.get_by_test_id("developer-register").click()
    expect(d.get_by_test_id("developer-name")).to_have_text("Zhang's Kitchen")
    expect(d.get_by_test_id("dev-apps-empty")).to_be_visible()

    # A new app: the secret is shown once, with a warning, and it works for the backend.
    form = d.get_by_test_id("app-form")
    form.get_by_test_id("input-name").fill("Dumpling House")
    form.get_by_test_id("input-description").fill("Hand-made dumplings, delivered")
    form.get_by_test_id("input-category").select_option("food")
    # A URL is not a domain: the field says which entry and why.
    form.get_by_test_id("input-domains").fill("api.dumplings.example, https://pay.example/x")
    form.get_by_test_id("app-create").click()
    expect(form.get_by_test_id("error-domains")).to_contain_text("“https://pay.example/x”")
    expect(form.get_by_test_id("error-domains")).to_contain_text("no scheme, no path")
    form.get_by_test_id("input-domains").fill("api.dumplings.example, 127.0.0.1")
    form.get_by_test_id("app-create").click()
    expect(d.get_by_test_id("screen-developer-app")).to_be_visible()
    expect(d.get_by_test_id("app-name")).to_have_text("Dumpling House")
    expect(d.get_by_test_id("secret-warning")).to_contain_text("only time")
    secret = d.get_by_test_id("app-secret").inner_text()
    appid = d.get_by_test_id("app-appid").inner_text()
    assert re.fullmatch(r"ht[0-9a-f]{16}", appid)
    assert len(secret) >= 40
    assert backend_status(server, appid, secret) == 404  # authenticated; no such order
    assert backend_status(server, appid, secret + "x") == 401
    expect(d.get_by_test_id("stat-users")).to_have_text("0")
    # After a reload the secret is gone for good; the appid stays.
    d.reload()
    expect(d.get_by_test_id("app-appid")).to_have_text(appid)
    expect(d.get_by_test_id("versions-empty")).to_be_visible()
    expect(d.get_by_test_id("secret-card")).to_have_count(0)
    assert secret not in d.content()

    # The icon: a file that is not an image is refused in words; a picture becomes the icon.
    expect(d.get_by_test_id("icon-pick")).to_have_text("Add icon")
    fake = {"name": "icon.png", "mimeType": "image/png", "buffer": b"<svg onload=alert(1)>"}
    d.get_by_test_id("icon-input").set_input_files(fake)
    expect(d.get_by_test_id("icon-error")).to_contain_text("not a readable image")
    expect(d.get_by_test_id("app-icon")).not_to_have_attribute("data-icon", "image")
    d.get_by_test_id("icon-input").set_input_files(
        {"name": "icon.png", "mimeType": "image/png", "buffer": png(400, 300)}
    )
    icon = d.get_by_test_id("app-icon")
    expect(icon).to_have_attribute("data-icon", "image")
    expect(icon).to_have_attribute("src", re.compile(r"^/media/[0-9a-f]{64}$"))
    expect(d.get_by_test_id("icon-error")).to_be_hidden()
    expect(d.get_by_test_id("icon-pick")).to_have_text("Change icon")
    assert icon.evaluate("img => img.complete && img.naturalWidth") == 256
    icon_src = icon.get_attribute("src")

    # A bundle that climbs out of its folder is refused, in words.
    upload(d, "evil.zip", bundle({"pages/index.html": INDEX, "../evil.html": b"x"}), "1.0.0")
    problem = d.get_by_test_id("upload-error")
    expect(problem).to_be_visible()
    expect(problem).to_have_attribute("data-reason", "bad-path")
    expect(problem).to_contain_text('leaves the bundle ("../")')
    # So is one that expands a thousandfold (3 MB of zeros in a few kilobytes).
    bomb = bundle({"pages/index.html": INDEX, "pages/app.js": bytes(3 * 1024 * 1024)})
    assert len(bomb) < 10_000
    upload(d, "bomb.zip", bomb, "1.0.0")
    expect(problem).to_have_attribute("data-reason", "zip-bomb")
    expect(problem).to_contain_text("a zip bomb")
    expect(d.get_by_test_id("versions-empty")).to_be_visible()

    # A good one becomes v1.0.0 in "develop", with a preview link, and is submitted.
    upload(d, "app.zip", bundle({"pages/index.html": INDEX}), "1.0.0", "First menu")
    row = version_row(d, "1.0.0")
    expect(row.get_by_test_id("version-status")).to_have_text("Develop")
    expect(problem).to_be_hidden()
    vid = row.get_attribute("data-version-id")
    assert vid
    expect(row.get_by_test_id("version-preview")).to_have_attribute(
        "href", f"#/miniapps/open/{appid}?version_id={vid}"
    )
    # Preview opens the develop version in the host's runner (the developer only).
    row.get_by_test_id("version-preview").click()
    expect(d.get_by_test_id("screen-miniapp")).to_be_visible()
    expect(d.frame_locator('[data-testid="miniapp-frame"]').locator("p")).to_have_text("Menu")
    d.go_back()
    expect(d.get_by_test_id("screen-developer-app")).to_be_visible()
    row.get_by_test_id("version-submit").click()
    expect(row.get_by_test_id("version-status")).to_have_text("In review")
    expect(row.get_by_test_id("version-release")).to_have_count(0)

    # The moderator sees what they are approving, and approves.
    card = review(m, vid)
    expect(card.get_by_test_id("review-app")).to_contain_text("Dumpling House")
    expect(card.get_by_test_id("review-version")).to_have_text("v1.0.0")
    expect(card.get_by_test_id("review-developer")).to_contain_text("Zhang's Kitchen")
    expect(card.get_by_test_id("review-note")).to_have_text("First menu")
    expect(card.get_by_test_id("review-permission")).to_have_text(["payment", "userInfo"])
    expect(card.get_by_test_id("review-icon")).to_have_attribute("src", icon_src or "")
    card.get_by_test_id("review-approve").click()
    expect(card).to_have_count(0)

    # The developer releases it; it is what everyone opens now.
    d.get_by_test_id("app-refresh").click()
    expect(row.get_by_test_id("version-status")).to_have_text("Approved")
    row.get_by_test_id("version-release").click()
    expect(row.get_by_test_id("version-status")).to_have_text("Released")
    expect(d.get_by_test_id("app-released")).to_have_text("Released: v1.0.0")
    d.get_by_test_id("back").click()
    expect(d.get_by_test_id(f"dev-app-{appid}")).to_contain_text("v1.0.0")
    expect(d.get_by_test_id(f"dev-app-{appid}").locator("img.app-icon")).to_have_attribute(
        "src", icon_src or ""
    )
    # Everyone finds it in Discover → Mini Programs under its icon.
    m.goto("/#/miniapps")
    listed = m.locator(f'[data-testid="miniapp-row"][data-appid="{appid}"] img.app-icon')
    expect(listed).to_have_attribute("src", icon_src or "")
    expect(listed).to_have_js_property("complete", True)
    assert listed.evaluate("img => img.naturalWidth") > 0

    # Version 1.1.0 is rejected; a reason is required, and the developer reads it.
    d.get_by_test_id(f"dev-app-{appid}").click()
    upload(d, "app.zip", bundle({"pages/index.html": INDEX + b"<p>new</p>"}), "1.1.0")
    second = version_row(d, "1.1.0")
    second.get_by_test_id("version-submit").click()
    expect(second.get_by_test_id("version-status")).to_have_text("In review")
    vid2 = second.get_attribute("data-version-id")
    assert vid2
    card = review(m, vid2)
    card.get_by_test_id("review-reject").click()
    expect(card.get_by_test_id("review-error")).to_contain_text("reason")
    card.get_by_test_id("review-reason").fill("The menu page shows no prices.")
    card.get_by_test_id("review-reject").click()
    expect(card).to_have_count(0)
    d.get_by_test_id("app-refresh").click()
    expect(second.get_by_test_id("version-status")).to_have_text("Rejected")
    expect(second.get_by_test_id("version-reject-reason")).to_have_text(
        "Rejected by a moderator: The menu page shows no prices."
    )
    expect(second.get_by_test_id("version-submit")).to_have_text("Submit Again")
    expect(version_row(d, "1.0.0").get_by_test_id("version-status")).to_have_text("Released")


def upload_api(server: Server, user: dict[str, Any], appid: str, version: str) -> int:
    """Upload a good bundle as `user` outside the browser; the new version's id."""
    url = f"{server.base_url}/miniapps/console/apps/{appid}/versions?version={version}"
    assert url.startswith("http://127.0.0.1:")
    req = urllib.request.Request(  # noqa: S310 (the test server)
        url,
        data=bundle({"pages/index.html": INDEX + version.encode()}),
        headers={
            "Authorization": f"Bearer {token(server, user)}",
            "Content-Type": "application/zip",
        },
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=30) as res:  # noqa: S310
        return int(json.loads(res.read())["id"])


def release_api(
    server: Server, dev: dict[str, Any], mod: dict[str, Any], appid: str, v: str
) -> None:
    vid = upload_api(server, dev, appid, v)
    base = f"/miniapps/console/apps/{appid}/versions/{vid}"
    api(server, dev, "POST", f"{base}/submit", {})
    api(server, mod, "POST", f"/miniapps/review/{vid}/approve", {})
    api(server, dev, "POST", f"{base}/release", {})


def test_testers_rollback_secret_reset_and_figures(
    new_context: NewContext, server: Server, admin: dict[str, Any]
) -> None:
    dev = server.create_user(display_name="Clerk Liu")
    mod = make_moderator(server, admin, "Moderator Bai")
    tester = server.create_user(display_name="Tester Gao")
    api(server, dev, "POST", "/miniapps/developer", {"name": "City Utilities Co"})
    app = api(server, dev, "POST", "/miniapps/console/apps", {"name": "City Utilities"})
    appid, old_secret = app["appid"], app["secret"]
    release_api(server, dev, mod, appid, "1.0.0")
    release_api(server, dev, mod, appid, "1.1.0")
    api(server, tester, "POST", f"/miniapps/apps/{appid}/launch", {})  # opens the app

    d = new_context().new_page()
    sign_in_api(d.context, dev["handle"])
    d.goto(f"/#/developer/apps/{appid}")
    expect(d.get_by_test_id("app-released")).to_have_text("Released: v1.1.0")
    expect(d.get_by_test_id("secret-card")).to_have_count(0)  # never shown again
    expect(d.get_by_test_id("stat-users")).to_have_text("1")
    expect(d.get_by_test_id("stat-orders")).to_have_text("0")

    # Testers by Hutong ID; an unknown one is named as such; removing takes them off.
    form = d.get_by_test_id("tester-form")
    form.get_by_test_id("input-who").fill("nobody_" + tester["handle"][:10])
    form.get_by_test_id("tester-add").click()
    expect(form.get_by_test_id("error-who")).to_have_text("No one has that Hutong ID")
    form.get_by_test_id("input-who").fill(tester["handle"])
    form.get_by_test_id("tester-add").click()
    row = d.get_by_test_id(f"tester-{tester['id']}")
    expect(row).to_contain_text("Tester Gao")
    assert api(server, dev, "GET", f"/miniapps/console/apps/{appid}", None)["testers"] == [
        tester["id"]
    ]
    row.get_by_test_id("tester-remove").click()
    expect(row).to_have_count(0)

    # Roll back: 1.1.0 is taken back and 1.0.0 is live again.
    newest = version_row(d, "1.1.0")
    expect(newest.get_by_test_id("version-status")).to_have_text("Released")
    expect(version_row(d, "1.0.0").get_by_test_id("version-status")).to_have_text("Superseded")
    newest.get_by_test_id("version-rollback").click()
    d.get_by_test_id("confirm-ok").click()
    expect(newest.get_by_test_id("version-status")).to_have_text("Rolled back")
    expect(version_row(d, "1.0.0").get_by_test_id("version-status")).to_have_text("Released")
    expect(d.get_by_test_id("app-released")).to_have_text("Released: v1.0.0")
    assert api(server, tester, "GET", f"/miniapps/apps/{appid}", None)["released_version"] == (
        "1.0.0"
    )

    # Resetting the secret shows the new one once; the old one stops working at once.
    d.get_by_test_id("secret-reset").click()
    d.get_by_test_id("confirm-ok").click()
    expect(d.get_by_test_id("secret-card")).to_be_visible()
    new_secret = d.get_by_test_id("app-secret").inner_text()
    assert new_secret != old_secret
    assert backend_status(server, appid, new_secret) == 404
    assert backend_status(server, appid, old_secret) == 401
    d.get_by_test_id("secret-done").click()
    expect(d.get_by_test_id("secret-card")).to_have_count(0)


def test_a_gradual_release_then_to_everyone(
    new_context: NewContext, server: Server, admin: dict[str, Any]
) -> None:
    dev = server.create_user(display_name="Baker Sun")
    mod = make_moderator(server, admin, "Moderator Tang")
    api(server, dev, "POST", "/miniapps/developer", {"name": "Bakery"})
    appid = api(server, dev, "POST", "/miniapps/console/apps", {"name": "Bakery"})["appid"]
    release_api(server, dev, mod, appid, "1.0.0")
    vid = upload_api(server, dev, appid, "1.1.0")
    api(server, dev, "POST", f"/miniapps/console/apps/{appid}/versions/{vid}/submit", {})
    api(server, mod, "POST", f"/miniapps/review/{vid}/approve", {})

    d = new_context().new_page()
    sign_in_api(d.context, dev["handle"])
    d.goto(f"/#/developer/apps/{appid}")
    version_row(d, "1.1.0").get_by_test_id("version-release").click()
    d.get_by_test_id("release-10").click()
    expect(d.get_by_test_id("app-released")).to_have_text("Released: v1.1.0 to 10% of users")
    assert api(server, dev, "GET", f"/miniapps/console/apps/{appid}", None)["rollout_percent"] == 10
    version_row(d, "1.1.0").get_by_test_id("version-widen").click()
    expect(d.get_by_test_id("app-released")).to_have_text("Released: v1.1.0")
    expect(version_row(d, "1.1.0").get_by_test_id("version-widen")).to_have_count(0)
