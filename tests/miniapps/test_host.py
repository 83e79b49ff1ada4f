"""What the host does for a running app: profile consent (remembered, revocable), app cards
shared into chats, and QR codes that open an app at a page."""

from __future__ import annotations

import asyncio
import io

import pytest
from PIL import Image

from hutong.app import Container
from tests.chat.util import befriend, direct, group
from tests.helpers import Api, User, png
from tests.miniapps.util import INDEX, MANIFEST, Dev, bundle, developer, ptype, released, upload
from tests.moderation.conftest import make_staff


@pytest.fixture
async def moderator(api: Api, container: Container) -> User:
    return await make_staff(api, container)


@pytest.fixture
async def shop(api: Api, moderator: User) -> Dev:
    dev = await developer(api)
    await released(api, dev, moderator)
    return dev


async def test_profile_needs_consent_once_and_a_revoke_asks_again(api: Api, shop: Dev) -> None:
    user = await api.register()
    url = f"/miniapps/apps/{shop.appid}/profile"
    r = await api.client.get(url, headers=user.headers)
    assert r.status_code == 403
    assert ptype(r) == "miniapp-consent-required"
    r = await api.client.post(url, headers=user.headers)
    assert r.status_code == 200, r.text
    assert r.json()["nickname"]
    assert (await api.client.get(url, headers=user.headers)).status_code == 200  # remembered
    grants = (await api.client.get("/miniapps/grants", headers=user.headers)).json()
    assert [(g["app"]["appid"], g["scope"]) for g in grants] == [(shop.appid, "userInfo")]
    other = await api.register()  # one user's consent is not another's
    assert (await api.client.get(url, headers=other.headers)).status_code == 403
    assert (await api.client.get("/miniapps/grants", headers=other.headers)).json() == []
    r = await api.client.delete(f"/miniapps/grants/{shop.appid}", headers=user.headers)
    assert r.status_code == 204
    r = await api.client.get(url, headers=user.headers)
    assert r.status_code == 403
    assert ptype(r) == "miniapp-consent-required"


async def test_concurrent_consents_remember_one_grant(api: Api, shop: Dev) -> None:
    user = await api.register()
    url = f"/miniapps/apps/{shop.appid}/profile"
    rs = await asyncio.gather(*(api.client.post(url, headers=user.headers) for _ in range(6)))
    assert [r.status_code for r in rs] == [200] * 6, [r.text for r in rs]
    grants = (await api.client.get("/miniapps/grants", headers=user.headers)).json()
    assert len(grants) == 1


async def test_an_app_that_did_not_ask_for_the_profile_cannot_get_it(
    api: Api, moderator: User
) -> None:
    dev = await developer(api, name="Quiet App")
    manifest = {"pages": ["pages/index.html"], "permissions": ["payment"]}
    r = await upload(api, dev, bundle(manifest=manifest))
    vid = r.json()["id"]
    base = f"/miniapps/console/apps/{dev.appid}/versions/{vid}"
    await api.client.post(f"{base}/submit", headers=dev.user.headers)
    await api.client.post(f"/miniapps/review/{vid}/approve", headers=moderator.headers)
    await api.client.post(f"{base}/release", headers=dev.user.headers)
    user = await api.register()
    r = await api.client.post(f"/miniapps/apps/{dev.appid}/profile", headers=user.headers)
    assert r.status_code == 403
    assert ptype(r) == "miniapp-permission-not-declared"
    assert (await api.client.get("/miniapps/grants", headers=user.headers)).json() == []


async def test_an_app_card_is_shared_into_a_chat_and_only_by_its_members(
    api: Api, shop: Dev
) -> None:
    a, b, stranger = [await api.register() for _ in range(3)]
    await befriend(api, a, b)
    chat_id = await direct(api, a, b)
    card = {
        "chat_id": chat_id,
        "title": "Pork & chive, 12 for ¥18",
        "path": "pages/index.html?dish=3",
    }
    r = await api.client.post(f"/miniapps/apps/{shop.appid}/share", headers=a.headers, json=card)
    assert r.status_code == 200, r.text
    msgs = (await api.client.get(f"/chats/{chat_id}/messages", headers=b.headers)).json()
    last = msgs[-1]
    assert last["kind"] == "miniapp_card"
    assert last["sender_id"] == a.id
    assert last["body"] == {
        "appid": shop.appid,
        "app_name": "Dumpling House",
        "category": "food",
        "icon_url": None,
        "title": card["title"],
        "path": card["path"],
        "image_url": None,
    }
    r = await api.client.post(
        f"/miniapps/apps/{shop.appid}/share", headers=stranger.headers, json=card
    )
    assert r.status_code in {403, 404}
    for bad in ("../secret", "pages/missing.html", "javascript:alert(1)", "/pages/index.html"):
        r = await api.client.post(
            f"/miniapps/apps/{shop.appid}/share", headers=a.headers, json={**card, "path": bad}
        )
        assert r.status_code == 422, bad
    after = (await api.client.get(f"/chats/{chat_id}/messages", headers=b.headers)).json()
    assert len(after) == len(msgs)  # nothing was posted by the refused shares


async def test_a_cards_picture_is_a_picture_of_the_released_bundle(
    api: Api, moderator: User
) -> None:
    dev = await developer(api)
    files = {
        "pages/index.html": INDEX,
        "images/card.png": png(1000, 500, (200, 16, 46)),
        "images/logo.svg": b"<svg xmlns='http://www.w3.org/2000/svg'><script>1</script></svg>",
        "images/fake.png": b"not a picture at all",
    }
    await released(api, dev, moderator, data=bundle(files, {**MANIFEST, "permissions": []}))
    a, b = await api.register(), await api.register()
    await befriend(api, a, b)
    chat_id = await direct(api, a, b)
    card = {"chat_id": chat_id, "title": "Look", "path": "pages/index.html"}
    share = f"/miniapps/apps/{dev.appid}/share"
    r = await api.client.post(
        share, headers=a.headers, json={**card, "image_url": "images/card.png"}
    )
    assert r.status_code == 200, r.text
    body = (await api.client.get(f"/chats/{chat_id}/messages", headers=b.headers)).json()[-1][
        "body"
    ]
    assert body["image_url"].startswith("/media/")
    pic = await api.client.get(body["image_url"])
    assert pic.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(pic.content)).size == (480, 240)

    # Only a PNG, JPEG, GIF or WebP file the bundle holds; never a URL, a script, a way out.
    for bad, reason in (
        ("images/logo.svg", "not-an-image"),
        ("images/fake.png", "not-an-image"),
        ("pages/index.html", "not-an-image"),
        ("images/missing.png", "unknown-file"),
        ("../../secret.png", None),
        ("images/../../../secret.png", "unknown-file"),
        ("https://evil.example/x.png", None),
        ("/etc/passwd", None),
    ):
        r = await api.client.post(share, headers=a.headers, json={**card, "image_url": bad})
        assert r.status_code == 422, (bad, r.text)
        if reason:
            assert r.json()["errors"] == [{"field": "image_url", "message": reason}], r.text
    msgs = (await api.client.get(f"/chats/{chat_id}/messages", headers=b.headers)).json()
    assert len(msgs) == 1  # the refused shares posted nothing


async def test_a_card_into_a_group_reaches_every_member(api: Api, shop: Dev) -> None:
    owner = await api.register()
    members = [await api.register() for _ in range(3)]
    for m in members:
        await befriend(api, owner, m)
    chat_id = await group(api, owner, members)
    card = {"chat_id": chat_id, "title": "Lunch?", "path": "pages/index.html"}
    r = await api.client.post(
        f"/miniapps/apps/{shop.appid}/share", headers=members[1].headers, json=card
    )
    assert r.status_code == 200, r.text
    for m in [owner, *members]:
        msgs = (await api.client.get(f"/chats/{chat_id}/messages", headers=m.headers)).json()
        assert msgs[-1]["kind"] == "miniapp_card"


async def test_a_qr_code_opens_the_app_at_its_page(api: Api, shop: Dev) -> None:
    user = await api.register()
    r = await api.client.get(
        f"/miniapps/apps/{shop.appid}/qr",
        params={"path": "pages/index.html?table=7"},
        headers=user.headers,
    )
    assert r.status_code == 200, r.text
    token = r.json()["token"]
    assert r.json()["url"].endswith(f"/qr/{token}")
    r = await api.client.get(f"/api/qr/{token}", headers=user.headers)
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["kind"] == "app"
    assert got["action"] == "open_app"
    assert got["app"]["appid"] == shop.appid
    assert got["path"] == "pages/index.html?table=7"
    r = await api.client.get(
        f"/miniapps/apps/{shop.appid}/qr", params={"path": "pages/nope.html"}, headers=user.headers
    )
    assert r.status_code == 422
    r = await api.client.get(f"/api/qr/{token[:-3]}abc", headers=user.headers)
    assert r.status_code == 404


async def test_a_moderator_previews_a_submitted_version_but_not_a_draft(
    api: Api, moderator: User
) -> None:
    dev = await developer(api, name="Under Review")
    draft = (await upload(api, dev, bundle(), "1.0.0")).json()["id"]
    sent = (await upload(api, dev, bundle(), "1.1.0")).json()["id"]
    r = await api.client.post(
        f"/miniapps/console/apps/{dev.appid}/versions/{sent}/submit", headers=dev.user.headers
    )
    assert r.status_code == 200, r.text
    launch = f"/miniapps/apps/{dev.appid}/launch?version_id="
    r = await api.client.post(launch + str(sent), headers=moderator.headers)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "submitted"
    assert (
        await api.client.post(launch + str(draft), headers=moderator.headers)
    ).status_code == 404
    user = await api.register()  # a user is not a reviewer
    assert (await api.client.post(launch + str(sent), headers=user.headers)).status_code == 404


async def test_a_gradual_release_reaches_its_share_of_users_and_widens(
    api: Api, moderator: User
) -> None:
    from hutong.miniapps.versions import rollout_bucket

    dev = await developer(api, name="Slow Rollout")
    v1 = await released(api, dev, moderator, "1.0.0")
    r = await upload(api, dev, bundle(), "1.1.0")
    v2 = r.json()["id"]
    base = f"/miniapps/console/apps/{dev.appid}"
    await api.client.post(f"{base}/versions/{v2}/submit", headers=dev.user.headers)
    await api.client.post(f"/miniapps/review/{v2}/approve", headers=moderator.headers)
    r = await api.client.post(
        f"{base}/versions/{v2}/release", params={"percent": 30}, headers=dev.user.headers
    )
    assert r.status_code == 200, r.text
    app = (await api.client.get(base, headers=dev.user.headers)).json()
    assert app["rollout_percent"] == 30
    assert app["released_version"] == "1.1.0"

    users = [await api.register() for _ in range(8)]

    async def opened(u: User) -> int:
        r = await api.client.post(f"/miniapps/apps/{dev.appid}/launch", headers=u.headers)
        assert r.status_code == 200, r.text
        return int(r.json()["version_id"])

    got = {u.id: await opened(u) for u in users}
    for u in users:  # each user's share is fixed: the bucket decides, every time
        want = v2 if rollout_bucket(dev.appid, u.id) < 30 else v1
        assert got[u.id] == want
        assert await opened(u) == want
    wanted = {v2 if rollout_bucket(dev.appid, u.id) < 30 else v1 for u in users}
    assert set(got.values()) == wanted
    r = await api.client.post(f"{base}/rollout", json={"percent": 0}, headers=dev.user.headers)
    assert r.status_code == 422
    r = await api.client.post(f"{base}/rollout", json={"percent": 100}, headers=dev.user.headers)
    assert r.status_code == 200, r.text
    assert {await opened(u) for u in users} == {v2}
    stranger = await api.register()
    r = await api.client.post(f"{base}/rollout", json={"percent": 50}, headers=stranger.headers)
    assert r.status_code == 404
