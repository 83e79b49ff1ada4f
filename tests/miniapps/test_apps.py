"""Developers, apps and their secrets, testers, the version lifecycle with review, release and
rollback, and who may open what."""

from __future__ import annotations

import asyncio
import io

import httpx
import pytest
from PIL import Image
from sqlalchemy import select

from hutong.app import Container
from hutong.miniapps.models import MiniApp
from hutong.moderation.schemas import TermIn
from tests.chat.util import befriend, direct
from tests.helpers import Api, User, png
from tests.miniapps.util import basic, bundle, developer, ptype, released, upload
from tests.moderation.conftest import make_staff


@pytest.fixture
async def moderator(api: Api, container: Container) -> User:
    return await make_staff(api, container)


async def test_secret_is_shown_once_stored_hashed_and_rotatable(
    api: Api, container: Container
) -> None:
    dev = await developer(api)
    async with container.db.read() as s:
        row = await s.scalar(select(MiniApp).where(MiniApp.appid == dev.appid))
    assert row is not None
    assert dev.secret not in (row.secret_hash, row.webhook_key)
    r = await api.client.get(f"/miniapps/console/apps/{dev.appid}", headers=dev.user.headers)
    assert r.status_code == 200
    assert "secret" not in r.json()
    # The backend authenticates with it; a wrong secret or appid is 401.
    ok = await api.client.get("/miniapps/api/orders/none", headers=dev.auth)
    assert ok.status_code == 404
    for headers in (
        basic(dev.appid, dev.secret + "x"),
        basic("ht0000000000000000", dev.secret),
        {"Authorization": "Basic !!!"},
        {},
    ):
        r = await api.client.get("/miniapps/api/orders/none", headers=headers)
        assert r.status_code == 401, r.text
        assert ptype(r) == "miniapp-bad-credentials", r.text
    r = await api.client.post(
        f"/miniapps/console/apps/{dev.appid}/secret", headers=dev.user.headers
    )
    assert r.status_code == 200
    new = r.json()["secret"]
    assert (await api.client.get("/miniapps/api/orders/x", headers=dev.auth)).status_code == 401
    assert (
        await api.client.get("/miniapps/api/orders/x", headers=basic(dev.appid, new))
    ).status_code == 404


async def test_only_developers_create_apps_and_only_the_owner_sees_them(api: Api) -> None:
    user = await api.register()
    r = await api.client.post("/miniapps/console/apps", headers=user.headers, json={"name": "Mine"})
    assert r.status_code == 403
    assert ptype(r) == "miniapp-not-a-developer"
    dev = await developer(api)
    r = await api.client.post(
        "/miniapps/developer", headers=dev.user.headers, json={"name": "Again"}
    )
    assert r.status_code == 409
    for method, path in (
        ("GET", f"/miniapps/console/apps/{dev.appid}"),
        ("POST", f"/miniapps/console/apps/{dev.appid}/secret"),
        ("GET", f"/miniapps/console/apps/{dev.appid}/versions"),
    ):
        r = await api.client.request(method, path, headers=user.headers)
        assert r.status_code == 404, (path, r.text)
    r = await upload(api, type(dev)(user, dev.appid, "", 0), bundle())
    assert r.status_code == 404


async def test_names_and_descriptions_pass_the_content_policy(
    api: Api, container: Container
) -> None:
    await container.moderation.terms.add_term(
        0, TermIn(term="scam", category="fraud", action="block")
    )
    dev = await developer(api)
    r = await api.client.post(
        "/miniapps/console/apps",
        headers=dev.user.headers,
        json={"name": "Best SCAM shop", "description": "x"},
    )
    assert r.status_code == 422, r.text
    assert ptype(r) == "content-blocked", r.text
    r = await api.client.patch(
        f"/miniapps/console/apps/{dev.appid}",
        headers=dev.user.headers,
        json={"description": "totally a scam"},
    )
    assert r.status_code == 422
    assert ptype(r) == "content-blocked"
    r = await api.client.get(f"/miniapps/console/apps/{dev.appid}", headers=dev.user.headers)
    assert r.json()["description"] == "Hand-made dumplings"
    r = await api.client.post(
        "/miniapps/developer", headers=(await api.register()).headers, json={"name": "SCAM inc"}
    )
    assert r.status_code == 422


async def test_declared_domains_are_host_names(api: Api) -> None:
    dev = await developer(api)
    for bad in ("https://shop.example", "shop.example/path", "", "a b", "x" * 300):
        r = await api.client.patch(
            f"/miniapps/console/apps/{dev.appid}", headers=dev.user.headers, json={"domains": [bad]}
        )
        assert r.status_code == 422, bad
    r = await api.client.patch(
        f"/miniapps/console/apps/{dev.appid}",
        headers=dev.user.headers,
        json={"domains": ["Shop.Example", "api.shop.example:8443"]},
    )
    assert r.json()["domains"] == ["api.shop.example:8443", "shop.example"]


async def test_lifecycle_review_release_and_rollback(api: Api, moderator: User) -> None:
    dev = await developer(api)
    tester, stranger = await api.register(), await api.register()
    h = dev.user.headers
    base = f"/miniapps/console/apps/{dev.appid}"
    r = await upload(api, dev, bundle(), "1.0.0")
    v1 = r.json()["id"]
    assert (await upload(api, dev, bundle(), "1.0.0")).status_code == 409  # same version
    # develop: the developer opens it; testers and others do not.
    r = await api.client.put(f"{base}/testers/{tester.id}", headers=h)
    assert r.json()["testers"] == [tester.id]
    assert (
        await api.client.post(f"/miniapps/apps/{dev.appid}/launch?version_id={v1}", headers=h)
    ).status_code == 200
    for who in (tester, stranger):
        r = await api.client.post(
            f"/miniapps/apps/{dev.appid}/launch?version_id={v1}", headers=who.headers
        )
        assert r.status_code == 404
    # trial: testers too.
    assert (await api.client.post(f"{base}/versions/{v1}/trial", headers=h)).json()[
        "status"
    ] == "trial"
    r = await api.client.post(
        f"/miniapps/apps/{dev.appid}/launch?version_id={v1}", headers=tester.headers
    )
    assert r.status_code == 200
    assert r.json()["status"] == "trial"
    r = await api.client.post(
        f"/miniapps/apps/{dev.appid}/launch?version_id={v1}", headers=stranger.headers
    )
    assert r.status_code == 404
    # Releasing before approval is refused; only moderators review.
    r = await api.client.post(f"{base}/versions/{v1}/release", headers=h)
    assert r.status_code == 409
    assert ptype(r) == "miniapp-wrong-status"
    await api.client.post(f"{base}/versions/{v1}/submit", headers=h)
    r = await api.client.post(f"/miniapps/review/{v1}/approve", headers=h)
    assert r.status_code == 403
    queue = (await api.client.get("/miniapps/review", headers=moderator.headers)).json()
    assert [v["id"] for v in queue] == [v1]
    r = await api.client.post(
        f"/miniapps/review/{v1}/reject",
        headers=moderator.headers,
        json={"reason": "No privacy note"},
    )
    assert r.json()["status"] == "rejected"
    assert r.json()["reject_reason"] == "No privacy note"
    r = await api.client.post(f"/miniapps/review/{v1}/approve", headers=moderator.headers)
    assert r.status_code == 409  # a decision is made once
    await api.client.post(f"{base}/versions/{v1}/submit", headers=h)
    await api.client.post(f"/miniapps/review/{v1}/approve", headers=moderator.headers)
    r = await api.client.post(f"{base}/versions/{v1}/release", headers=h)
    assert r.json()["status"] == "released"
    # Anyone opens the released version; it is in the directory and on the app's page.
    r = await api.client.post(f"/miniapps/apps/{dev.appid}/launch", headers=stranger.headers)
    assert r.status_code == 200
    assert r.json()["version"] == "1.0.0"
    assert r.json()["url"].startswith(r.json()["origin"] + "/app/")
    r = await api.client.get("/miniapps?q=dumpling", headers=stranger.headers)
    assert [a["appid"] for a in r.json()] == [dev.appid]
    assert r.json()[0]["permissions"] == ["payment", "userInfo"]
    r = await api.client.get("/miniapps?category=utilities", headers=stranger.headers)
    assert r.json() == []
    r = await api.client.get("/miniapps/recent", headers=stranger.headers)
    assert [a["appid"] for a in r.json()] == [dev.appid]
    # A second release supersedes the first; rollback brings the first back.
    v2 = await released(api, dev, moderator, "1.1.0")
    page = (await api.client.get(f"/miniapps/apps/{dev.appid}", headers=stranger.headers)).json()
    assert page["released_version"] == "1.1.0"
    r = await api.client.post(f"{base}/rollback", headers=h)
    assert r.status_code == 200
    assert r.json()["id"] == v1
    assert r.json()["status"] == "released"
    versions = {
        v["id"]: v["status"] for v in (await api.client.get(f"{base}/versions", headers=h)).json()
    }
    assert versions == {v1: "released", v2: "rolled_back"}
    r = await api.client.post(f"{base}/rollback", headers=h)
    assert r.status_code == 409  # nothing earlier than 1.0.0


async def test_unreleased_apps_are_not_listed_or_openable(api: Api) -> None:
    dev = await developer(api)
    user = await api.register()
    assert (await api.client.get("/miniapps", headers=user.headers)).json() == []
    r = await api.client.get(f"/miniapps/apps/{dev.appid}", headers=user.headers)
    assert r.status_code == 404
    r = await api.client.post(f"/miniapps/apps/{dev.appid}/launch", headers=user.headers)
    assert r.status_code == 404
    r = await api.client.post(f"/miniapps/apps/{dev.appid}/login", headers=user.headers)
    assert r.status_code == 404


async def test_an_icon_is_an_uploaded_image_shown_wherever_the_app_is(
    api: Api, moderator: User
) -> None:
    dev = await developer(api)
    stranger = await api.register()
    console = f"/miniapps/console/apps/{dev.appid}"

    async def put_icon(user: User, data: bytes, name: str = "icon.png") -> httpx.Response:
        return await api.client.put(
            f"{console}/icon", headers=user.headers, files={"file": (name, data, "image/png")}
        )

    assert (await api.client.get(console, headers=dev.user.headers)).json()["icon_url"] is None
    # Only the developer sets it; bad files are typed errors and change nothing.
    r = await put_icon(stranger, png(64, 64))
    assert r.status_code == 404
    r = await api.client.delete(f"{console}/icon", headers=stranger.headers)
    assert r.status_code == 404
    r = await put_icon(dev.user, b"<svg onload=alert(1)>", "icon.svg")
    assert r.status_code == 415, r.text
    assert ptype(r) == "unsupported-media"
    r = await put_icon(dev.user, b"\x89PNG" + b"0" * (6 * 1024 * 1024))
    assert r.status_code == 413
    assert (await api.client.get(console, headers=dev.user.headers)).json()["icon_url"] is None

    r = await put_icon(dev.user, png(600, 400))
    assert r.status_code == 200, r.text
    icon = r.json()["icon_url"]
    assert icon.startswith("/media/")
    img = await api.client.get(icon)
    assert img.headers["content-type"] == "image/jpeg"
    assert max(Image.open(io.BytesIO(img.content)).size) == 256

    # Everyone sees it once the app is out: directory, the app's page, recent apps, its QR
    # code, the review screen and the cards shared into chats.
    await released(api, dev, moderator)
    h = stranger.headers
    assert (await api.client.get("/miniapps", headers=h)).json()[0]["icon_url"] == icon
    assert (await api.client.get(f"/miniapps/apps/{dev.appid}", headers=h)).json()[
        "icon_url"
    ] == icon
    assert (await api.client.post(f"/miniapps/apps/{dev.appid}/launch", headers=h)).is_success
    assert (await api.client.get("/miniapps/recent", headers=h)).json()[0]["icon_url"] == icon
    token = (await api.client.get(f"/miniapps/apps/{dev.appid}/qr", headers=h)).json()["token"]
    assert (await api.client.get(f"/api/qr/{token}", headers=h)).json()["app"]["icon_url"] == icon
    friend = await api.register()
    await befriend(api, stranger, friend)
    chat_id = await direct(api, stranger, friend)
    r = await api.client.post(
        f"/miniapps/apps/{dev.appid}/share",
        headers=h,
        json={"chat_id": chat_id, "title": "Try these", "path": "pages/index.html"},
    )
    assert r.status_code == 200, r.text
    msgs = (await api.client.get(f"/chats/{chat_id}/messages", headers=friend.headers)).json()
    assert msgs[-1]["body"]["icon_url"] == icon
    v = (await upload(api, dev, bundle(), "1.0.1")).json()["id"]
    r = await api.client.post(f"{console}/versions/{v}/submit", headers=dev.user.headers)
    assert r.status_code == 200
    r = await api.client.get("/miniapps/review/apps", headers=moderator.headers)
    assert r.json()[0]["icon_url"] == icon

    # Two uploads at once: the app ends with one of them, whole.
    a, b = png(128, 128, (0, 0, 0)), png(128, 128, (255, 255, 255))
    got = await asyncio.gather(put_icon(dev.user, a), put_icon(dev.user, b))
    urls = {g.json()["icon_url"] for g in got}
    assert len(urls) == 2
    final = (await api.client.get(console, headers=dev.user.headers)).json()["icon_url"]
    assert final in urls

    # Removing it brings back the drawn icon everywhere.
    r = await api.client.delete(f"{console}/icon", headers=dev.user.headers)
    assert r.status_code == 200
    assert r.json()["icon_url"] is None
    assert (await api.client.get("/miniapps", headers=h)).json()[0]["icon_url"] is None
