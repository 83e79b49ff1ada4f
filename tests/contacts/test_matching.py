"""Finding people by handle or phone, and contact-book matching, each honouring privacy."""

from __future__ import annotations

from hutong.app import Container
from tests.contacts.util import MANY_REQUESTS, befriend, ptype, request, set_profile, sha
from tests.helpers import Api

PHONES = ["+8613800138000", "+8613900139000", "+8615000150000", "+14155550123"]

pytestmark = MANY_REQUESTS


async def test_find_by_handle_and_phone_only_if_allowed(api: Api) -> None:
    me, wang = await api.register(), await api.register("wang_wei")
    await set_profile(api, wang, phone=PHONES[0])
    r = await api.client.get("/contacts/search?q=Wang_Wei", headers=me.headers)
    assert r.status_code == 200, r.text
    assert (r.json()["user"]["id"], r.json()["source"]) == (wang.id, "handle")
    for q in ("+86 138 0013 8000", "13800138000", "138-0013-8000"):
        r = await api.client.get("/contacts/search", params={"q": q}, headers=me.headers)
        assert (r.status_code, r.json()["source"]) == (200, "phone"), q
        assert "phone" not in r.json()["user"]
    # Wang switches both off: the same 404 as for nobody at all.
    await api.client.patch(
        "/contacts/privacy",
        headers=wang.headers,
        json={"findable_by_handle": False, "findable_by_phone": False, "findable_by_email": False},
    )
    hidden = [
        await api.client.get("/contacts/search", params={"q": q}, headers=me.headers)
        for q in ("wang_wei", "13800138000", "nobody_at_all", "13700137000")
    ]
    assert {r.status_code for r in hidden} == {404}
    assert len({r.json()["detail"] for r in hidden}) == 1
    # And requests claiming to have found him that way are refused.
    for source in ("handle", "phone", "contacts"):
        r = await request(api, me, wang, source=source)
        assert (r.status_code, ptype(r)) == (403, "not-findable"), source
    # Bad queries are typed 422s.
    r = await api.client.get("/contacts/search", params={"q": "+12"}, headers=me.headers)
    assert (r.status_code, ptype(r)) == (422, "invalid-input")
    r = await api.client.get("/contacts/search", params={"q": "+86 999 999"}, headers=me.headers)
    assert (r.status_code, ptype(r)) == (422, "not-a-phone-number")
    r = await api.client.get("/contacts/search", params={"q": "a b!"}, headers=me.headers)
    assert r.status_code == 422
    # Digits that are no phone number are read as a handle.
    digits = await api.register("20240101")
    r = await api.client.get("/contacts/search", params={"q": "20240101"}, headers=me.headers)
    assert (r.json()["user"]["id"], r.json()["source"]) == (digits.id, "handle")


async def test_match_answers_which_hashed_numbers_are_users(api: Api) -> None:
    me = await api.register()
    users = [await api.register() for _ in PHONES]
    for user, phone in zip(users, PHONES, strict=True):
        await set_profile(api, user, phone=phone)
    await befriend(api, me, users[1])
    await api.client.patch(
        "/contacts/privacy", headers=users[2].headers, json={"findable_by_phone": False}
    )
    await api.client.put(f"/contacts/blocks/{me.id}", headers=users[3].headers)
    upload = [sha(p) for p in PHONES] + [sha("+8618600186000"), "13800138000"]
    r = await api.client.post("/contacts/match", headers=me.headers, json={"numbers": upload})
    assert r.status_code == 200, r.text
    body = r.json()
    got = [(m["entry"], m["user"]["id"], m["is_friend"]) for m in body["matches"]]
    # users[2] hides from phone matching, users[3] blocked me; the raw number is a duplicate.
    assert got == [(sha(PHONES[0]), users[0].id, False), (sha(PHONES[1]), users[1].id, True)]
    assert body["checked"] == 6
    assert body["numbers_left_today"] == 50_000 - 6


async def test_directory_follows_phone_changes(api: Api) -> None:
    me, other = await api.register(), await api.register()
    await set_profile(api, other, phone=PHONES[0])
    await set_profile(api, other, phone=PHONES[1])
    body = {"numbers": [sha(PHONES[0]), sha(PHONES[1])]}
    r = await api.client.post("/contacts/match", headers=me.headers, json=body)
    assert [m["entry"] for m in r.json()["matches"]] == [sha(PHONES[1])]
    await set_profile(api, other, phone="")
    r = await api.client.post("/contacts/match", headers=me.headers, json=body)
    assert r.json()["matches"] == []
    # A failed change (number taken) leaves the directory as it was.
    third = await api.register()
    await set_profile(api, third, phone=PHONES[2])
    r = await api.client.patch("/me", headers=other.headers, json={"phone": PHONES[2]})
    assert r.status_code == 409
    r = await api.client.post(
        "/contacts/match", headers=me.headers, json={"numbers": [sha(PHONES[2])]}
    )
    assert [m["user"]["id"] for m in r.json()["matches"]] == [third.id]


async def test_bad_numbers_are_named_and_nothing_is_counted(api: Api) -> None:
    me = await api.register()
    r = await api.client.post(
        "/contacts/match",
        headers=me.headers,
        json={"numbers": [sha(PHONES[0]), "13800138000", "call me", "12", "abc"]},
    )
    assert (r.status_code, ptype(r)) == (422, "not-a-phone-number")
    body = r.json()
    assert body["entry"] == 2
    assert "'call me'" in body["detail"]
    assert [e["field"] for e in body["errors"]] == ["numbers.2", "numbers.3", "numbers.4"]
    for bad in ({"numbers": []}, {"numbers": "13800138000"}, {"numbers": ["1" * 65]}, {}):
        r = await api.client.post("/contacts/match", headers=me.headers, json=bad)
        assert (r.status_code, ptype(r)) == (422, "invalid-input"), bad
    too_many = {"numbers": [sha(str(i)) for i in range(10_001)]}
    r = await api.client.post("/contacts/match", headers=me.headers, json=too_many)
    assert (r.status_code, ptype(r)) == (422, "invalid-input")
    ok = await api.client.post(
        "/contacts/match", headers=me.headers, json={"numbers": [sha(PHONES[0])]}
    )
    assert ok.json()["numbers_left_today"] == 50_000 - 1


async def test_matching_quota_stops_enumeration(api: Api, container: Container) -> None:
    me = await api.register()
    numbers = [sha(f"+86138{i:08d}") for i in range(10_000)]
    for _ in range(5):
        r = await api.client.post("/contacts/match", headers=me.headers, json={"numbers": numbers})
        assert r.status_code == 200, r.text
    assert r.json()["numbers_left_today"] == 0
    r = await api.client.post("/contacts/match", headers=me.headers, json={"numbers": numbers[:1]})
    assert (r.status_code, ptype(r)) == (429, "too-many-requests")
    assert 0 < int(r.headers["Retry-After"]) <= 86_400
    # A new (UTC) day gives a new quota.
    container.clock.advance(days=1)  # type: ignore[attr-defined]
    r = await api.client.post("/contacts/match", headers=me.headers, json={"numbers": numbers[:1]})
    assert r.status_code == 200


async def test_upload_count_is_limited_too(api: Api) -> None:
    me = await api.register()
    for _ in range(20):
        r = await api.client.post(
            "/contacts/match", headers=me.headers, json={"numbers": [sha(PHONES[0])]}
        )
        assert r.status_code == 200
    r = await api.client.post(
        "/contacts/match", headers=me.headers, json={"numbers": [sha(PHONES[0])]}
    )
    assert r.status_code == 429
