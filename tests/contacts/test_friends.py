"""Friend requests, friendships, remarks and tags, the A–Z index, deleting and blocking."""

from __future__ import annotations

import asyncio

import pytest

from hutong.app import Container
from hutong.contacts import Blocked
from hutong.contacts.index import index_letter
from tests.contacts.util import MANY_REQUESTS, befriend, friend_ids, ptype, request, set_profile
from tests.helpers import Api

pytestmark = MANY_REQUESTS


async def test_request_accept_makes_mutual_friends_with_own_remarks(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    r = await request(api, alice, bob, greeting="Hi, it's Alice from the tea house", remark="Bob")
    assert r.status_code == 201, r.text
    req = r.json()
    assert (req["status"], req["from_user"]["id"], req["to_user"]["id"]) == (
        "pending",
        alice.id,
        bob.id,
    )
    incoming = (await api.client.get("/contacts/requests", headers=bob.headers)).json()
    assert [(x["id"], x["greeting"]) for x in incoming] == [
        (req["id"], "Hi, it's Alice from the tea house")
    ]
    outgoing = await api.client.get("/contacts/requests?direction=outgoing", headers=alice.headers)
    assert [x["id"] for x in outgoing.json()] == [req["id"]]
    assert await friend_ids(api, alice) == []

    r = await api.client.post(
        f"/contacts/requests/{req['id']}/accept",
        headers=bob.headers,
        json={"remark": "Alice (tea)", "tags": ["tea", "neighbours"]},
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "accepted"
    assert await friend_ids(api, alice) == [bob.id]
    assert await friend_ids(api, bob) == [alice.id]
    mine = (await api.client.get(f"/contacts/friends/{bob.id}", headers=alice.headers)).json()
    theirs = (await api.client.get(f"/contacts/friends/{alice.id}", headers=bob.headers)).json()
    assert (mine["remark"], mine["tags"]) == ("Bob", [])
    assert (theirs["remark"], theirs["tags"]) == ("Alice (tea)", ["tea", "neighbours"])
    assert theirs["letter"] == "A"


async def test_remark_tags_and_the_a_to_z_index_with_pinyin(api: Api) -> None:
    me = await api.register()
    names = ["王伟", "Anna Li", "张三", "阿强", "émile", "123 Shop", "bob"]
    friends = []
    for name in names:
        other = await api.register()
        await set_profile(api, other, display_name=name)
        await befriend(api, me, other)
        friends.append(other)
    body = (await api.client.get("/contacts/friends", headers=me.headers)).json()
    shown = [(f["user"]["display_name"], f["letter"]) for f in body["friends"]]
    assert shown == [
        ("Anna Li", "A"),
        ("阿强", "A"),
        ("bob", "B"),
        ("émile", "E"),
        ("王伟", "W"),
        ("张三", "Z"),
        ("123 Shop", "#"),
    ]
    assert body["index"] == ["A", "B", "E", "W", "Z", "#"]
    # A remark replaces the name in the index; tags are per friend and counted.
    wang = friends[0]
    r = await api.client.patch(
        f"/contacts/friends/{wang.id}",
        headers=me.headers,
        json={"remark": "老王", "tags": ["work", "work ", "badminton"]},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["letter"], r.json()["tags"]) == ("L", ["work", "badminton"])
    await api.client.patch(
        f"/contacts/friends/{friends[1].id}", headers=me.headers, json={"tags": ["work"]}
    )
    tags = (await api.client.get("/contacts/tags", headers=me.headers)).json()
    assert {t["tag"]: t["count"] for t in tags} == {"work": 2, "badminton": 1}
    # Search by remark, pinyin initials and tag.
    for q, expected in (
        ("老王", "王伟"),
        ("zs", "张三"),
        ("badminton", "王伟"),
        ("ANNA", "Anna Li"),
    ):
        found = (await api.client.get(f"/contacts/friends?q={q}", headers=me.headers)).json()
        assert [f["user"]["display_name"] for f in found["friends"]] == [expected], q
    bad = await api.client.patch(
        f"/contacts/friends/{wang.id}", headers=me.headers, json={"tags": ["x" * 21]}
    )
    assert bad.status_code == 422
    stranger = await api.register()
    r = await api.client.patch(
        f"/contacts/friends/{stranger.id}", headers=me.headers, json={"remark": "x"}
    )
    assert r.status_code == 404


def test_index_letters() -> None:
    assert [index_letter(n) for n in ("李雷", "Lucy", "  韩梅梅", "Ωmega", "😀", "", "9")] == [
        "L",
        "L",
        "H",
        "#",
        "#",
        "#",
        "#",
    ]


async def test_decline_withdraw_and_rerequest_limit(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    first = (await request(api, alice, bob)).json()
    # Withdrawn requests disappear from the recipient's list and cannot be accepted.
    r = await api.client.post(f"/contacts/requests/{first['id']}/withdraw", headers=alice.headers)
    assert (r.status_code, r.json()["status"]) == (200, "withdrawn")
    assert (await api.client.get("/contacts/requests", headers=bob.headers)).json() == []
    r = await api.client.post(f"/contacts/requests/{first['id']}/accept", headers=bob.headers)
    assert (r.status_code, ptype(r)) == (409, "conflict")
    # Declines: asking again is allowed, but only twice a day.
    for _ in range(2):
        req = (await request(api, alice, bob)).json()
        r = await api.client.post(f"/contacts/requests/{req['id']}/decline", headers=bob.headers)
        assert r.json()["status"] == "declined"
    req = (await request(api, alice, bob)).json()
    await api.client.post(f"/contacts/requests/{req['id']}/decline", headers=bob.headers)
    r = await request(api, alice, bob)
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) > 0
    # Only alice is limited towards bob; bob may still ask alice.
    r = await request(api, bob, alice)
    assert r.status_code == 201


@pytest.mark.settings  # the platform defaults
async def test_friend_requests_obey_the_anti_spam_limits(api: Api) -> None:
    spammer = await api.register()
    targets = [await api.register() for _ in range(4)]
    for target in targets[:3]:
        assert (await request(api, spammer, target)).status_code == 201
    r = await request(api, spammer, targets[3])
    assert (r.status_code, ptype(r)) == (429, "too-many-requests")
    assert int(r.headers["Retry-After"]) > 0
    assert (await api.client.get("/contacts/requests", headers=targets[3].headers)).json() == []


async def test_bad_requests_get_typed_problems_and_change_nothing(
    api: Api, container: Container
) -> None:
    alice, bob, carol = await api.register(), await api.register(), await api.register()
    r = await request(api, alice, alice)
    assert (r.status_code, ptype(r)) == (422, "self-request")
    r = await api.client.post(
        "/contacts/requests", headers=alice.headers, json={"to_user_id": 999999, "source": "handle"}
    )
    assert (r.status_code, ptype(r)) == (404, "not-found")
    for body in (
        {"to_user_id": bob.id},
        {"to_user_id": bob.id, "source": "telepathy"},
        {"to_user_id": "x", "source": "handle"},
        {"to_user_id": bob.id, "source": "handle", "greeting": "x" * 101},
        {"to_user_id": bob.id, "source": "handle", "admin": True},
    ):
        r = await api.client.post("/contacts/requests", headers=alice.headers, json=body)
        assert (r.status_code, ptype(r)) == (422, "invalid-input"), body
    first = await request(api, alice, bob)
    assert first.status_code == 201
    dup = await request(api, alice, bob)
    assert (dup.status_code, ptype(dup)) == (409, "duplicate-request")
    assert dup.json()["request_id"] == first.json()["id"]
    # Blocked: carol blocked alice, so alice cannot ask; carol must unblock before asking.
    assert (
        await api.client.put(f"/contacts/blocks/{alice.id}", headers=carol.headers)
    ).status_code == 200
    r = await request(api, alice, carol)
    assert (r.status_code, ptype(r)) == (403, "blocked")
    r = await request(api, carol, alice)
    assert (r.status_code, ptype(r)) == (403, "blocked")
    assert "Unblock" in r.json()["detail"]
    await befriend(api, bob, carol)
    r = await request(api, bob, carol)
    assert (r.status_code, ptype(r)) == (409, "already-friends")
    # Someone else's request cannot be accepted, declined or read.
    rid = first.json()["id"]
    for action in ("accept", "decline", "withdraw"):
        r = await api.client.post(f"/contacts/requests/{rid}/{action}", headers=carol.headers)
        assert (r.status_code, ptype(r)) == (404, "not-found")
    assert (
        await api.client.get(f"/contacts/requests/{rid}", headers=carol.headers)
    ).status_code == 404
    # Nothing above created a friendship or a second request.
    assert await friend_ids(api, alice) == []
    incoming = (await api.client.get("/contacts/requests", headers=bob.headers)).json()
    assert [x["id"] for x in incoming if x["status"] == "pending"] == [rid]
    assert await container.contacts.are_friends(bob.id, carol.id)
    assert not await container.contacts.are_friends(alice.id, bob.id)


async def test_blocking_is_checked_in_one_place_and_hides_the_profile(
    api: Api, container: Container
) -> None:
    alice, bob = await api.register(), await api.register()
    await befriend(api, alice, bob)
    pending = await request(api, bob, await api.register())
    assert pending.status_code == 201
    r = await api.client.put(f"/contacts/blocks/{bob.id}", headers=alice.headers)
    assert r.status_code == 200
    assert r.json()["user"]["id"] == bob.id
    # Idempotent; listed; both directions refuse interaction.
    assert (
        await api.client.put(f"/contacts/blocks/{bob.id}", headers=alice.headers)
    ).status_code == 200
    blocks = (await api.client.get("/contacts/blocks", headers=alice.headers)).json()
    assert [b["user"]["id"] for b in blocks] == [bob.id]
    assert await container.contacts.is_blocked_either_way(bob.id, alice.id)
    for actor, other in ((alice.id, bob.id), (bob.id, alice.id)):
        with pytest.raises(Blocked):
            await container.contacts.check_can_interact(actor, other)
    # Bob no longer sees Alice's profile (here or in accounts); Alice still sees Bob's.
    alice_handle = (await api.client.get("/me", headers=alice.headers)).json()["handle"]
    bob_handle = (await api.client.get("/me", headers=bob.headers)).json()["handle"]
    assert (await api.client.get(f"/users/{alice_handle}", headers=bob.headers)).status_code == 404
    assert (
        await api.client.get(f"/contacts/users/{alice_handle}", headers=bob.headers)
    ).status_code == 404
    view = (await api.client.get(f"/contacts/users/{bob_handle}", headers=alice.headers)).json()
    assert view["relationship"]["blocked_by_me"] is True
    assert view["relationship"]["is_friend"] is True  # blocking does not delete the friend
    self_block = await api.client.put(f"/contacts/blocks/{alice.id}", headers=alice.headers)
    assert (self_block.status_code, ptype(self_block)) == (422, "self-request")
    # Unblock restores visibility; unblocking twice is a 404.
    assert (
        await api.client.delete(f"/contacts/blocks/{bob.id}", headers=alice.headers)
    ).status_code == 204
    assert (
        await api.client.delete(f"/contacts/blocks/{bob.id}", headers=alice.headers)
    ).status_code == 404
    assert (await api.client.get(f"/users/{alice_handle}", headers=bob.headers)).status_code == 200
    await container.contacts.check_can_interact(bob.id, alice.id)


async def test_blocking_closes_pending_requests_both_ways(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    req = (await request(api, bob, alice)).json()
    await api.client.put(f"/contacts/blocks/{bob.id}", headers=alice.headers)
    assert (await api.client.get("/contacts/requests", headers=alice.headers)).json() == []
    r = await api.client.post(f"/contacts/requests/{req['id']}/accept", headers=alice.headers)
    assert (r.status_code, ptype(r)) == (409, "conflict")


async def test_delete_friend_ends_it_for_both(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    await befriend(api, alice, bob)
    assert (
        await api.client.delete(f"/contacts/friends/{bob.id}", headers=alice.headers)
    ).status_code == 204
    assert await friend_ids(api, alice) == []
    assert await friend_ids(api, bob) == []
    r = await api.client.delete(f"/contacts/friends/{bob.id}", headers=alice.headers)
    assert (r.status_code, ptype(r)) == (404, "not-found")
    # They can become friends again.
    await befriend(api, bob, alice)
    assert await friend_ids(api, alice) == [bob.id]


async def test_no_approval_needed_makes_friends_at_once(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    r = await api.client.patch(
        "/contacts/privacy", headers=bob.headers, json={"require_approval": False}
    )
    assert r.json()["require_approval"] is False
    r = await request(api, alice, bob)
    assert (r.status_code, r.json()["status"]) == (201, "accepted")
    assert await friend_ids(api, bob) == [alice.id]


async def test_asking_someone_who_asked_you_is_accepting(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    await request(api, alice, bob, remark="Bobby")
    r = await request(api, bob, alice, remark="Ali")
    assert (r.status_code, r.json()["status"]) == (201, "accepted")
    assert r.json()["from_user"]["id"] == alice.id
    a = (await api.client.get(f"/contacts/friends/{bob.id}", headers=alice.headers)).json()
    b = (await api.client.get(f"/contacts/friends/{alice.id}", headers=bob.headers)).json()
    assert (a["remark"], b["remark"]) == ("Bobby", "Ali")


async def test_requesting_each_other_at_once_makes_exactly_one_friendship(
    api: Api, container: Container
) -> None:
    svc = container.contacts.requests
    for _ in range(5):
        alice, bob = await api.register(), await api.register()
        results = await asyncio.gather(
            svc.send(alice.id, bob.id, source="handle"),
            svc.send(bob.id, alice.id, source="handle"),
        )
        assert sorted(r.status for r in results) == ["accepted", "pending"]
        assert await friend_ids(api, alice) == [bob.id]
        assert await friend_ids(api, bob) == [alice.id]
        both = await api.client.get("/contacts/requests?direction=all", headers=bob.headers)
        assert [x["status"] for x in both.json()] == ["accepted"]


async def test_accepting_twice_at_once_accepts_once(api: Api, container: Container) -> None:
    svc = container.contacts.requests
    alice, bob = await api.register(), await api.register()
    req = await svc.send(alice.id, bob.id, source="handle")
    results = await asyncio.gather(
        *(svc.accept(bob.id, req.id) for _ in range(4)), return_exceptions=True
    )
    assert [type(r).__name__ for r in results].count("RequestOut") == 1
    assert {type(r).__name__ for r in results} == {"RequestOut", "Conflict"}
    assert await friend_ids(api, alice) == [bob.id]
    # And accepting while the sender withdraws: exactly one of them wins.
    carol = await api.register()
    req = await svc.send(carol.id, bob.id, source="handle")
    outcome = await asyncio.gather(
        svc.accept(bob.id, req.id), svc.withdraw(carol.id, req.id), return_exceptions=True
    )
    assert sorted(type(r).__name__ for r in outcome) == ["Conflict", "RequestOut"]
    assert (carol.id in await friend_ids(api, bob)) == (type(outcome[0]).__name__ == "RequestOut")


async def test_strangers_cannot_read_anyones_contacts(api: Api) -> None:
    alice, bob, eve = await api.register(), await api.register(), await api.register()
    await befriend(api, alice, bob)
    await api.client.patch(
        f"/contacts/friends/{bob.id}", headers=alice.headers, json={"remark": "secret"}
    )
    # Every list is the caller's own; there is no parameter naming another user.
    empty: dict[str, object] = {
        "/contacts/friends": {"friends": [], "index": []},
        "/contacts/requests?direction=all": [],
        "/contacts/blocks": [],
        "/contacts/tags": [],
        "/contacts/suggestions": [],
        "/contacts/invites": [],
    }
    for path, expected in empty.items():
        r = await api.client.get(path, headers=eve.headers)
        assert (r.status_code, r.json()) == (200, expected), path
        assert (await api.client.get(path)).status_code == 401
    assert (
        await api.client.get(f"/contacts/friends/{bob.id}", headers=eve.headers)
    ).status_code == 404
    bob_handle = (await api.client.get("/me", headers=bob.headers)).json()["handle"]
    view = (await api.client.get(f"/contacts/users/{bob_handle}", headers=eve.headers)).json()
    assert view["relationship"] == {
        "is_self": False,
        "is_friend": False,
        "remark": "",
        "tags": [],
        "incoming_request_id": None,
        "outgoing_request_id": None,
        "blocked_by_me": False,
    }
