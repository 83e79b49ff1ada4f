"""Follows: typed errors, lists with the mutual marker, exact counts, blocks, groups."""

from __future__ import annotations

import asyncio

from hutong.app import Container
from tests.helpers import Api
from tests.microblog.util import all_pages, events, follow, problem_type


async def test_follow_unfollow_counts_and_notification(api: Api) -> None:
    fan, star = await api.register(), await api.register()
    body = await follow(api, fan, star)
    assert body == {"following": True, "followed_by": False, "mutual": False, "followers_count": 1}
    assert (await follow(api, fan, star))["followers_count"] == 1  # again: no change
    back = await follow(api, star, fan)
    assert back["mutual"] is True
    [event] = await events(api, star, "microblog.follow")
    assert event["payload"]["by"]["handle"] == fan.handle
    profile = (await api.client.get(f"/microblog/users/{star.handle}", headers=fan.headers)).json()
    assert (profile["followers_count"], profile["following_count"]) == (1, 1)
    assert (profile["following"], profile["followed_by"], profile["mutual"]) == (True, True, True)
    r = await api.client.delete(f"/microblog/users/{star.handle}/follow", headers=fan.headers)
    assert r.json()["following"] is False
    assert r.json()["followers_count"] == 0
    r = await api.client.delete(f"/microblog/users/{star.handle}/follow", headers=fan.headers)
    assert r.json()["followers_count"] == 0  # never negative


async def test_following_oneself_is_a_typed_error(api: Api) -> None:
    me = await api.register()
    r = await api.client.put(f"/microblog/users/{me.handle}/follow", headers=me.headers)
    assert r.status_code == 422
    assert problem_type(r.json()) == "self-follow"
    profile = (await api.client.get(f"/microblog/users/{me.handle}", headers=me.headers)).json()
    assert (profile["followers_count"], profile["following_count"], profile["is_self"]) == (
        0,
        0,
        True,
    )
    r = await api.client.put("/microblog/users/nobody_here/follow", headers=me.headers)
    assert r.status_code == 404


async def test_lists_are_paged_newest_first_with_the_mutual_marker(api: Api, clock: object) -> None:
    star = await api.register()
    fans = [await api.register() for _ in range(7)]
    for fan in fans:
        await follow(api, fan, star)
    for fan in fans[:3]:
        await follow(api, star, fan)
    items = await all_pages(api, star, f"/microblog/users/{star.handle}/followers", limit=3)
    assert [i["user"]["id"] for i in items] == [f.id for f in reversed(fans)]
    assert {i["user"]["id"] for i in items if i["mutual"]} == {f.id for f in fans[:3]}
    assert {i["user"]["id"] for i in items if i["following"]} == {f.id for f in fans[:3]}
    following = await all_pages(api, fans[0], f"/microblog/users/{star.handle}/following")
    assert {i["user"]["id"] for i in following} == {f.id for f in fans[:3]}
    assert all(i["mutual"] for i in following)  # they all follow the star back
    # fans[0] follows none of them except... nobody; but fans[0] is in the list itself.
    assert {i["user"]["id"] for i in following if i["following"]} == set()


async def test_counts_stay_exact_under_concurrent_follow_and_unfollow(
    api: Api, container: Container
) -> None:
    star = await api.register()
    fans = [await api.register() for _ in range(12)]

    async def churn(fan_index: int) -> None:
        fan = fans[fan_index]
        for i in range(4):
            method = "PUT" if i % 2 == 0 else "DELETE"
            r = await api.client.request(
                method, f"/microblog/users/{star.handle}/follow", headers=fan.headers
            )
            assert r.status_code == 200, r.text
        await api.client.put(f"/microblog/users/{star.handle}/follow", headers=fan.headers)

    await asyncio.gather(*(churn(i) for i in range(len(fans))))
    profile = (await api.client.get(f"/microblog/users/{star.handle}", headers=star.headers)).json()
    assert profile["followers_count"] == len(fans)
    items = await all_pages(api, star, f"/microblog/users/{star.handle}/followers", limit=50)
    assert len(items) == len(fans)


async def test_blocks_stop_follows_both_ways(api: Api) -> None:
    alice, mallory = await api.register(), await api.register()
    r = await api.client.put(f"/contacts/blocks/{mallory.id}", headers=alice.headers)
    assert r.status_code in (200, 201, 204), r.text
    # Blocked: mallory cannot even find alice; alice gets the typed `blocked` problem.
    r = await api.client.put(f"/microblog/users/{alice.handle}/follow", headers=mallory.headers)
    assert r.status_code == 404
    r = await api.client.put(f"/microblog/users/{mallory.handle}/follow", headers=alice.headers)
    assert r.status_code == 403
    assert problem_type(r.json()) == "blocked"


async def test_groups_of_followees(api: Api) -> None:
    me = await api.register()
    a, b, stranger = [await api.register() for _ in range(3)]
    await follow(api, me, a)
    await follow(api, me, b)
    r = await api.client.post("/microblog/groups", headers=me.headers, json={"name": "同学"})
    assert r.status_code == 201
    gid = r.json()["id"]
    r = await api.client.post("/microblog/groups", headers=me.headers, json={"name": "同学"})
    assert r.status_code == 409
    r = await api.client.put(f"/microblog/groups/{gid}/members/{a.handle}", headers=me.headers)
    assert r.json()["members_count"] == 1
    r = await api.client.put(
        f"/microblog/groups/{gid}/members/{stranger.handle}", headers=me.headers
    )
    assert r.status_code == 409
    assert problem_type(r.json()) == "not-following"
    # Nobody else sees or changes my group.
    r = await api.client.get(f"/microblog/groups/{gid}/members", headers=a.headers)
    assert r.status_code == 404
    r = await api.client.put(f"/microblog/groups/{gid}/members/{b.handle}", headers=a.headers)
    assert r.status_code == 404
    members = (await api.client.get(f"/microblog/groups/{gid}/members", headers=me.headers)).json()
    assert [m["user"]["id"] for m in members] == [a.id]
    # Unfollowing takes them out of my groups.
    await api.client.delete(f"/microblog/users/{a.handle}/follow", headers=me.headers)
    groups = (await api.client.get("/microblog/groups", headers=me.headers)).json()
    assert groups == [{**groups[0], "name": "同学", "members_count": 0}]
    r = await api.client.patch(
        f"/microblog/groups/{gid}", headers=me.headers, json={"name": "室友"}
    )
    assert r.json()["name"] == "室友"
    assert (
        await api.client.delete(f"/microblog/groups/{gid}", headers=me.headers)
    ).status_code == 204
    assert (await api.client.get("/microblog/groups", headers=me.headers)).json() == []
