"""Topics, hot search, hot posts, search (Chinese included), profiles with badges."""

from __future__ import annotations

import pytest

from hutong.app import Container
from hutong.core.clock import ManualClock
from tests.helpers import PASSWORD, Api, User
from tests.microblog.util import follow, post, problem_type

pytestmark = pytest.mark.settings(microblog_hot_min_users=2)


async def _admin(api: Api, container: Container) -> User:
    admin = await api.register()
    await container.accounts.set_password(admin.handle, PASSWORD, role="admin")
    return admin


async def _hot(api: Api, user: User, container: Container) -> list[str]:
    await container.microblog.hot.refresh()
    r = await api.client.get("/microblog/hot", headers=user.headers)
    return [e["term"] for e in r.json()["entries"]]


async def test_topic_pages_and_suggestions(api: Api) -> None:
    a, b = await api.register(), await api.register()
    p1 = (await post(api, a, "#春节# 快乐"))["id"]
    p2 = (await post(api, b, "也过 #春节#，还有 #春天#"))["id"]
    hidden = (await post(api, a, "#春节# 私密", visibility="only_me"))["id"]
    page = (await api.client.get("/microblog/topics/春节", headers=b.headers)).json()
    assert page["topic"] == {"name": "春节", "posts_count": 3}
    assert [p["id"] for p in page["posts"]["items"]] == [p2, p1]  # not a's only-me post
    mine = (await api.client.get("/microblog/topics/春节", headers=a.headers)).json()
    assert hidden in [p["id"] for p in mine["posts"]["items"]]
    r = await api.client.get("/microblog/topics", headers=a.headers, params={"q": "春"})
    assert [t["name"] for t in r.json()] == ["春节", "春天"]
    r = await api.client.get("/microblog/topics/没有的话题", headers=a.headers)
    assert r.status_code == 404


async def test_hot_search_counts_people_not_posts(
    api: Api, container: Container, clock: ManualClock
) -> None:
    users = [await api.register() for _ in range(4)]
    spammer = users[0]
    for _ in range(20):
        await post(api, spammer, "#刷屏#")
    for u in users[:3]:
        await post(api, u, "#元宵节#")
    await post(api, users[3], "#只有一人#")
    await api.client.get("/microblog/search/posts", headers=users[1].headers, params={"q": "刷屏"})
    terms = await _hot(api, users[0], container)
    # 元宵节: three people; 刷屏: two (the spammer once, one searcher); 只有一人: below two.
    assert terms == ["元宵节", "刷屏"]
    r = await api.client.get("/microblog/hot", headers=users[0].headers)
    first = r.json()["entries"][0]
    assert (first["rank"], first["is_topic"], first["pinned"]) == (1, True, False)
    # Activity decays: a day later newer activity wins.
    clock.advance(hours=20)
    for u in users[1:4]:
        await post(api, u, "#新鲜事#")
    assert (await _hot(api, users[0], container))[0] == "新鲜事"


async def test_admins_pin_and_remove_hot_entries(api: Api, container: Container) -> None:
    users = [await api.register() for _ in range(3)]
    for u in users:
        await post(api, u, "#热点一#")
    for u in users[:2]:
        await post(api, u, "#热点二#")
    r = await api.client.post(
        "/microblog/admin/hot", headers=users[0].headers, json={"term": "置顶", "action": "pin"}
    )
    assert r.status_code == 403
    admin = await _admin(api, container)
    r = await api.client.post(
        "/microblog/admin/hot",
        headers=admin.headers,
        json={"term": "官方通知", "action": "pin", "position": 1},
    )
    assert r.status_code == 200, r.text
    r = await api.client.post(
        "/microblog/admin/hot", headers=admin.headers, json={"term": "热点一", "action": "remove"}
    )
    assert [e["term"] for e in r.json()["entries"]] == ["官方通知", "热点二"]
    assert r.json()["entries"][0]["pinned"] is True
    r = await api.client.delete("/microblog/admin/hot/热点一", headers=admin.headers)
    assert [e["term"] for e in r.json()["entries"]] == ["官方通知", "热点一", "热点二"]
    r = await api.client.delete("/microblog/admin/hot/热点一", headers=admin.headers)
    assert r.status_code == 404


async def test_hot_posts_rank_engagement_and_hide_what_the_viewer_cannot_see(
    api: Api, container: Container
) -> None:
    a, b, c = [await api.register() for _ in range(3)]
    quiet = (await post(api, a, "没人理"))["id"]
    loved = (await post(api, a, "大家都喜欢"))["id"]
    liked = (await post(api, b, "有人喜欢"))["id"]
    private = (await post(api, b, "粉丝才能看", visibility="followers"))["id"]
    for u in (b, c):
        await api.client.put(f"/microblog/posts/{loved}/like", headers=u.headers)
    await api.client.post(
        f"/microblog/posts/{loved}/comments", headers=c.headers, json={"text": "好"}
    )
    await api.client.put(f"/microblog/posts/{liked}/like", headers=c.headers)
    await follow(api, a, b)
    await api.client.put(f"/microblog/posts/{private}/like", headers=a.headers)
    await container.microblog.hot.refresh()
    r = await api.client.get("/microblog/hot/posts", headers=c.headers)
    assert [p["id"] for p in r.json()] == [loved, liked]
    assert quiet not in [p["id"] for p in r.json()]


async def test_search_posts_in_chinese_and_english(api: Api) -> None:
    a, b = await api.register(), await api.register()
    p1 = (await post(api, a, "今天北京下雪了，好冷"))["id"]
    p2 = (await post(api, b, "北京的冬天 Hutong life"))["id"]
    p3 = (await post(api, a, "京北是个地方"))["id"]  # bigrams of 北京 out of order: no match
    hidden = (await post(api, a, "北京秘密", visibility="only_me"))["id"]

    async def search(user: User, q: str) -> list[int]:
        r = await api.client.get("/microblog/search/posts", headers=user.headers, params={"q": q})
        assert r.status_code == 200, r.text
        return [p["id"] for p in r.json()["items"]]

    assert await search(b, "北京") == [p2, p1]
    assert await search(a, "北京") == [hidden, p2, p1]
    assert await search(b, "北京 下雪") == [p1]
    assert await search(b, "hut") == [p2]  # word prefixes
    assert await search(b, "HUTONG") == [p2]
    assert await search(b, "京") == [p3, p2, p1]  # one character: recent posts scanned
    assert await search(b, "上海") == []


async def test_search_users_and_profiles_show_badges(api: Api, container: Container) -> None:
    admin = await _admin(api, container)
    star = await api.register("tea_house")
    fan = await api.register("tea_fan")
    await api.client.patch("/me", headers=star.headers, json={"display_name": "胡同茶馆"})
    r = await api.client.post(
        f"/admin/users/{star.id}/verification",
        headers=admin.headers,
        json={"kind": "organisation", "reason": "Tea house"},
    )
    assert r.status_code == 200
    await follow(api, fan, star)
    r = await api.client.get("/microblog/search/users", headers=fan.headers, params={"q": "tea"})
    found = r.json()
    assert [u["user"]["handle"] for u in found] == ["tea_house", "tea_fan"]
    assert found[0]["user"]["verified"] == "organisation"
    assert found[0]["following"] is True
    r = await api.client.get("/microblog/search/users", headers=fan.headers, params={"q": "茶馆"})
    assert [u["user"]["handle"] for u in r.json()] == ["tea_house"]
    pid = (await post(api, star, "新茶上市"))["id"]
    got = (await api.client.get(f"/microblog/posts/{pid}", headers=fan.headers)).json()
    assert got["author"]["verified"] == "organisation"
    assert got["author"]["verified_reason"] == "Tea house"
    profile = (await api.client.get("/microblog/users/tea_house", headers=fan.headers)).json()
    assert profile["user"]["verified"] == "organisation"
    assert (profile["followers_count"], profile["posts_count"], profile["following"]) == (
        1,
        1,
        True,
    )
    r = await api.client.get("/microblog/users/no_such_user", headers=fan.headers)
    assert r.status_code == 404
    assert problem_type(r.json()) == "not-found"
