"""Registration, sign-in, sessions, profile and roles, through the HTTP API."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from hutong.app import Container
from tests.helpers import PASSWORD, Api, unique_handle


def problem_type(body: dict[str, object]) -> str:
    return str(body["type"]).rsplit("/", 1)[-1]


async def test_register_login_logout_cycle(api: Api) -> None:
    async with api.browser() as b:
        r = await b.post(
            "/auth/register",
            json={"handle": "Alice_W", "password": PASSWORD, "display_name": "Alice Wang"},
        )
        assert r.status_code == 201
        assert r.json()["user"]["handle"] == "alice_w"  # case-insensitive, stored lower-case
        assert "hutong_session" in b.cookies
        me = (await b.get("/me")).json()
        assert me["display_name"] == "Alice Wang"
        csrf = b.cookies["hutong_csrf"]
        assert (await b.post("/auth/logout", headers={"X-CSRF-Token": csrf})).status_code == 204
        assert (await b.get("/me")).status_code == 401
        r = await b.post("/auth/login", json={"handle": "ALICE_W", "password": PASSWORD})
        assert r.status_code == 200
        assert (await b.get("/me")).json()["handle"] == "alice_w"


async def test_duplicate_handle_is_409_and_case_insensitive(api: Api) -> None:
    await api.register("bob_1")
    r = await api.client.post("/auth/register", json={"handle": "BOB_1", "password": PASSWORD})
    assert r.status_code == 409
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"][0]["field"] == "handle"


@pytest.mark.parametrize(
    ("handle", "password"),
    [
        ("ab", PASSWORD),
        ("a" * 21, PASSWORD),
        ("bad-handle", PASSWORD),
        ("名字名字", PASSWORD),
        ("fine_handle", "short"),
        ("", ""),
    ],
)
async def test_invalid_registration_is_a_typed_422_and_creates_nothing(
    api: Api, container: Container, handle: str, password: str
) -> None:
    r = await api.client.post("/auth/register", json={"handle": handle, "password": password})
    assert r.status_code == 422
    body = r.json()
    assert problem_type(body) == "invalid-input"
    assert body["errors"]
    assert await container.accounts.count_users() == 0


async def test_reserved_handle_is_refused(api: Api) -> None:
    r = await api.client.post("/auth/register", json={"handle": "admin", "password": PASSWORD})
    assert r.status_code == 409


async def test_bad_password_and_unknown_user_get_the_same_401(api: Api) -> None:
    await api.register("carol")
    wrong = await api.client.post("/auth/login", json={"handle": "carol", "password": "nope1234"})
    ghost = await api.client.post("/auth/login", json={"handle": "ghost", "password": "nope1234"})
    assert wrong.status_code == ghost.status_code == 401
    assert wrong.json() == ghost.json()


async def test_login_is_throttled_per_account_with_retry_after(api: Api) -> None:
    await api.register("dave")
    for _ in range(5):
        r = await api.client.post("/auth/login", json={"handle": "dave", "password": "wrongpass"})
        assert r.status_code == 401
    # Locked now, even with the right password, and told when to come back.
    r = await api.client.post("/auth/login", json={"handle": "dave", "password": PASSWORD})
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) > 0
    assert r.json()["retry_after"] == int(r.headers["Retry-After"])


async def test_login_is_throttled_per_ip_across_accounts(api: Api) -> None:
    for i in range(30):
        r = await api.client.post("/auth/login", json={"handle": f"nobody{i}", "password": "x"})
        assert r.status_code == 401
    r = await api.client.post("/auth/login", json={"handle": "nobody99", "password": "x"})
    assert r.status_code == 429


async def test_bearer_token_and_cookie_are_not_interchangeable(api: Api) -> None:
    user = await api.register()
    assert (await api.client.get("/me", headers=user.headers)).status_code == 200
    # A bearer token presented as a cookie is refused (cookies need CSRF protection).
    async with api.browser() as b:
        b.cookies.set("hutong_session", user.token)
        assert (await b.get("/me")).status_code == 401
    bad = {"Authorization": "Bearer not-a-token"}
    assert (await api.client.get("/me", headers=bad)).status_code == 401


async def test_cookie_session_requires_csrf_header_on_writes(api: Api) -> None:
    async with api.browser() as b:
        await b.post("/auth/register", json={"handle": "erin", "password": PASSWORD})
        r = await b.patch("/me", json={"bio": "hi"})
        assert r.status_code == 403
        assert problem_type(r.json()) == "csrf-failed"
        r = await b.patch("/me", json={"bio": "hi"}, headers={"X-CSRF-Token": "wrong"})
        assert r.status_code == 403
        assert (await b.get("/me")).json()["bio"] == ""
        r = await b.patch(
            "/me", json={"bio": "hi"}, headers={"X-CSRF-Token": b.cookies["hutong_csrf"]}
        )
        assert r.status_code == 200


async def test_profile_edit_validates_phone_and_email(api: Api) -> None:
    user = await api.register()
    r = await api.client.patch(
        "/me",
        headers=user.headers,
        json={
            "display_name": "  Frank 王 ",
            "bio": "Tea.",
            "region": "Chengdu",
            "phone": "+86 138 0013 8000",
            "email": "Frank@Example.COM",
        },
    )
    assert r.status_code == 200, r.text
    me = r.json()
    assert (me["display_name"], me["phone"], me["email"]) == (
        "Frank 王",
        "+8613800138000",
        "Frank@example.com",
    )
    r = await api.client.patch("/me", headers=user.headers, json={"phone": "12345"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "phone"
    r = await api.client.patch("/me", headers=user.headers, json={"email": "not-an-email"})
    assert r.status_code == 422
    r = await api.client.patch("/me", headers=user.headers, json={"role": "admin"})
    assert r.status_code == 422  # unknown fields are refused, not ignored
    # Someone else cannot take the same phone number.
    other = await api.register()
    r = await api.client.patch("/me", headers=other.headers, json={"phone": "+8613800138000"})
    assert r.status_code == 409
    assert (await api.client.get("/me", headers=user.headers)).json()["role"] == "user"


def _png(size: tuple[int, int] = (300, 200)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


async def test_avatar_upload_makes_a_thumbnail_and_rejects_non_images(api: Api) -> None:
    user = await api.register()
    r = await api.client.put(
        "/me/avatar", headers=user.headers, files={"file": ("a.png", _png(), "image/png")}
    )
    assert r.status_code == 200, r.text
    me = r.json()
    original = await api.client.get(me["avatar_url"])
    thumb = await api.client.get(me["avatar_thumb_url"])
    assert original.headers["content-type"] == "image/png"
    assert thumb.headers["content-type"] == "image/jpeg"
    assert max(Image.open(io.BytesIO(thumb.content)).size) <= 256

    r = await api.client.put(
        "/me/avatar",
        headers=user.headers,
        files={"file": ("evil.png", b"<script>alert(1)</script>", "image/png")},
    )
    assert r.status_code == 415
    r = await api.client.put(
        "/me/avatar",
        headers=user.headers,
        files={"file": ("big.png", b"\x89PNG" + b"0" * (6 * 1024 * 1024), "image/png")},
    )
    assert r.status_code == 413
    assert (await api.client.get("/me", headers=user.headers)).json()["avatar_url"] == me[
        "avatar_url"
    ]


async def test_body_size_limit_is_413(api: Api) -> None:
    r = await api.client.post(
        "/auth/register",
        content=b"x" * (13 * 1024 * 1024),
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/problem+json"


async def test_devices_are_listed_and_revocation_takes_effect_at_once(api: Api) -> None:
    phone = await api.register("grace")
    laptop = await api.token("grace")
    sessions = (await api.client.get("/me/sessions", headers=phone.headers)).json()
    assert len(sessions) == 3  # registration cookie session + two API sessions
    assert [s["current"] for s in sessions].count(True) == 1
    assert (await api.client.get("/me", headers=laptop.headers)).status_code == 200  # cached
    r = await api.client.delete(f"/me/sessions/{laptop.session_id}", headers=phone.headers)
    assert r.status_code == 204
    assert (await api.client.get("/me", headers=laptop.headers)).status_code == 401
    assert (await api.client.get("/me", headers=phone.headers)).status_code == 200
    # Another user's session cannot be revoked, nor one already revoked.
    mallory = await api.register()
    r = await api.client.delete(f"/me/sessions/{phone.session_id}", headers=mallory.headers)
    assert r.status_code == 404
    assert (await api.client.get("/me", headers=phone.headers)).status_code == 200


async def test_change_password_signs_out_other_devices(api: Api) -> None:
    a = await api.register("heidi")
    b = await api.token("heidi")
    r = await api.client.post(
        "/me/password",
        headers=a.headers,
        json={"old_password": "wrong-one", "new_password": "n3w-password"},
    )
    assert r.status_code == 401
    r = await api.client.post(
        "/me/password",
        headers=a.headers,
        json={"old_password": PASSWORD, "new_password": "n3w-password"},
    )
    assert r.status_code == 204
    assert (await api.client.get("/me", headers=a.headers)).status_code == 200
    assert (await api.client.get("/me", headers=b.headers)).status_code == 401
    r = await api.client.post("/auth/token", json={"handle": "heidi", "password": PASSWORD})
    assert r.status_code == 401
    await api.token("heidi", "n3w-password")


async def test_roles_and_verification_badges_are_admin_only(api: Api, container: Container) -> None:
    user = await api.register()
    target = await api.register()
    r = await api.client.post(
        f"/admin/users/{target.id}/role", headers=user.headers, json={"role": "moderator"}
    )
    assert r.status_code == 403
    await container.accounts.set_password(user.handle, PASSWORD, role="admin")
    r = await api.client.post(
        f"/admin/users/{target.id}/role", headers=user.headers, json={"role": "moderator"}
    )
    assert r.status_code == 200
    assert r.json()["role"] == "moderator"
    r = await api.client.post(
        f"/admin/users/{target.id}/verification",
        headers=user.headers,
        json={"kind": "organisation", "reason": "Hutong Tea House"},
    )
    assert r.json()["verified"] == "organisation"
    # The target's own cached view changes at once.
    me = (await api.client.get("/me", headers=target.headers)).json()
    assert (me["role"], me["verified"]) == ("moderator", "organisation")
    profile = (await api.client.get(f"/users/{target.handle}", headers=user.headers)).json()
    assert profile["verified_reason"] == "Hutong Tea House"
    assert "phone" not in profile


async def test_strangers_see_public_profile_only_when_signed_in(api: Api) -> None:
    user = await api.register()
    assert (await api.client.get(f"/users/{user.handle}")).status_code == 401
    assert (await api.client.get("/users/nobody_here", headers=user.headers)).status_code == 404


async def test_no_input_produces_a_500(api: Api) -> None:
    user = await api.register(unique_handle())
    junk = [
        b"",
        b"{",
        b"[]",
        b"null",
        b'{"handle": 5}',
        b'{"handle": {"$gt": ""}}',
        '{"handle": "\u0000"}'.encode(),
        b"\xff\xfe",
        b'{"password": []}',
    ]
    paths = [
        ("POST", "/auth/register"),
        ("POST", "/auth/login"),
        ("POST", "/auth/token"),
        ("PATCH", "/me"),
        ("POST", "/me/password"),
        ("POST", "/auth/qr/complete"),
        ("DELETE", "/me/sessions/abc"),
        ("GET", "/sync?since=-1"),
        ("GET", "/sync?since=x"),
        ("GET", "/media/..%2f..%2fetc%2fpasswd"),
        ("GET", "/api/qr/garbage"),
        ("GET", "/qr/x.y.z.svg"),
        ("POST", "/admin/users/999999/role"),
    ]
    for method, path in paths:
        for body in junk:
            r = await api.client.request(
                method,
                path,
                content=body,
                headers={**user.headers, "content-type": "application/json"},
            )
            assert r.status_code < 500, (method, path, body, r.text)
            assert r.headers["content-type"].startswith("application/problem+json"), (
                method,
                path,
                r.status_code,
            )


async def test_impossible_handles_are_404_not_500(api: Api) -> None:
    user = await api.register()
    for handle in ("a%00b", "%E4%BD%A0%E5%A5%BD", "x" * 60, "bad-handle"):
        r = await api.client.get(f"/users/{handle}", headers=user.headers)
        assert r.status_code == 404, (handle, r.text)
