"""Posts and comments go through the content policy and the anti-spam limits."""

from __future__ import annotations

from typing import Any

import pytest

from hutong.app import Container
from hutong.microblog.models import Comment
from hutong.moderation.schemas import TermIn
from tests.helpers import PASSWORD, Api, User
from tests.microblog.util import follow, home, home_ids, post, problem_type, settle


async def _terms(container: Container) -> None:
    for term, category, action in [
        ("casino", "gambling", "block"),
        ("idiot", "abuse", "mask"),
        ("诈骗", "fraud", "review"),
    ]:
        await container.moderation.terms.add_term(
            0,
            TermIn(term=term, category=category, action=action),  # type: ignore[arg-type]
        )


async def _staff(api: Api, container: Container) -> User:
    staff = await api.register()
    await container.accounts.set_password(staff.handle, PASSWORD, role="moderator")
    return staff


async def _my_posts(api: Api, viewer: Any, author: Any) -> list[dict[str, Any]]:
    r = await api.client.get(f"/microblog/users/{author.handle}/posts", headers=viewer.headers)
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def test_blocked_masked_and_held_posts(api: Api, container: Container) -> None:
    await _terms(container)
    author, fan = await api.register(), await api.register()
    await home(api, fan)
    await follow(api, fan, author)
    r = await api.client.post(
        "/microblog/posts", headers=author.headers, json={"text": "来玩 C.A.S.I.N.O #赌#"}
    )
    assert r.status_code == 422
    assert (problem_type(r.json()), r.json()["reason"]) == ("content-blocked", "gambling")
    assert await _my_posts(api, author, author) == []
    masked = await post(api, author, "you idiot")
    assert masked["text"] == "you *****"
    held = await post(api, author, "小心诈骗 #提醒#")
    assert held["status"] == "held"
    await settle(container)
    # The author sees the held post; nobody else does, anywhere.
    assert [p["id"] for p in await _my_posts(api, author, author)] == [held["id"], masked["id"]]
    assert [p["id"] for p in await _my_posts(api, fan, author)] == [masked["id"]]
    assert await home_ids(api, fan) == [masked["id"]]
    r = await api.client.get(f"/microblog/posts/{held['id']}", headers=fan.headers)
    assert r.status_code == 404
    r = await api.client.get("/microblog/topics/提醒", headers=fan.headers)
    assert r.status_code == 404  # not even the topic exists yet


async def test_comments_are_checked_too(api: Api, container: Container) -> None:
    await _terms(container)
    author, fan = await api.register(), await api.register()
    pid = (await post(api, author, "评论区"))["id"]
    for text, kind in [("casino!", "content-blocked"), ("诈骗电话", "content-needs-review")]:
        r = await api.client.post(
            f"/microblog/posts/{pid}/comments", headers=fan.headers, json={"text": text}
        )
        assert r.status_code == 422
        assert problem_type(r.json()) == kind
    r = await api.client.post(
        f"/microblog/posts/{pid}/comments", headers=fan.headers, json={"text": "idiot"}
    )
    assert r.json()["text"] == "*****"
    got = (await api.client.get(f"/microblog/posts/{pid}", headers=fan.headers)).json()
    assert got["comments_count"] == 1


@pytest.mark.settings(microblog_hot_min_users=1)
async def test_blocked_terms_never_trend(api: Api, container: Container) -> None:
    users = [await api.register() for _ in range(3)]
    for u in users:
        await post(api, u, "#赌场# 好玩")
        await post(api, u, "#喝茶#")
    await container.microblog.hot.refresh()
    r = await api.client.get("/microblog/hot", headers=users[0].headers)
    assert {e["term"] for e in r.json()["entries"]} == {"赌场", "喝茶"}
    await container.moderation.terms.add_term(
        0,
        TermIn(term="赌场", category="gambling", action="block"),  # type: ignore[arg-type]
    )
    await container.microblog.hot.refresh()
    r = await api.client.get("/microblog/hot", headers=users[0].headers)
    assert [e["term"] for e in r.json()["entries"]] == ["喝茶"]


@pytest.mark.settings(action_limits_new={"post": "3/60", "comment": "2/60"})
async def test_new_accounts_are_throttled(api: Api) -> None:
    user = await api.register()
    for i in range(3):
        await post(api, user, f"第{i}条")
    r = await api.client.post("/microblog/posts", headers=user.headers, json={"text": "太多了"})
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) > 0
    assert len(await _my_posts(api, user, user)) == 3


async def _decide(api: Api, staff: User, case_id: int, decision: str) -> None:
    await api.client.post(f"/moderation/cases/{case_id}/claim", headers=staff.headers)
    r = await api.client.post(
        f"/moderation/cases/{case_id}/decide",
        headers=staff.headers,
        json={"decision": decision, "reason": "Checked by a moderator."},
    )
    assert r.status_code == 200, r.text


async def test_a_held_post_waits_in_the_queue_until_a_moderator_approves_it(
    api: Api, container: Container
) -> None:
    await _terms(container)
    staff = await _staff(api, container)
    author, fan = await api.register(), await api.register()
    await home(api, fan)
    await follow(api, fan, author)
    held = await post(api, author, f"警惕诈骗 #提醒# @{fan.handle}")
    r = await api.client.get("/moderation/queue?source=held", headers=staff.headers)
    [case] = r.json()["cases"]
    assert (case["kind"], case["ref"], case["category"]) == ("post", str(held["id"]), "fraud")
    await _decide(api, staff, case["id"], "approve")
    await container.microblog.posts.release(held["id"])  # again: no change
    await settle(container)
    assert await home_ids(api, fan) == [held["id"]]
    r = await api.client.get("/microblog/topics/提醒", headers=fan.headers)
    assert [p["id"] for p in r.json()["posts"]["items"]] == [held["id"]]
    events = (await api.client.get("/sync", headers=fan.headers)).json()["events"]
    assert [e["kind"] for e in events].count("microblog.mention") == 1


async def test_reported_posts_and_comments_come_down_on_a_moderators_decision(
    api: Api, container: Container
) -> None:
    staff = await _staff(api, container)
    author, fan, stranger = [await api.register() for _ in range(3)]
    await home(api, fan)
    await follow(api, fan, author)
    pid = (await post(api, author, "买粉丝找我"))["id"]
    hidden = (await post(api, author, "粉丝才能看", visibility="followers"))["id"]
    cid = (
        await api.client.post(
            f"/microblog/posts/{pid}/comments", headers=fan.headers, json={"text": "骗子"}
        )
    ).json()["id"]
    await settle(container)
    # A stranger cannot report what they cannot see.
    r = await api.client.post(
        "/reports",
        headers=stranger.headers,
        json={"kind": "post", "ref": str(hidden), "reason": "spam"},
    )
    assert r.status_code == 404
    r = await api.client.post(
        "/reports",
        headers=author.headers,
        json={"kind": "comment", "ref": str(cid), "reason": "abuse"},
    )
    assert r.status_code == 201, r.text
    await _decide(api, staff, r.json()["case_id"], "remove")
    async with container.db.read() as s:
        comment = await s.get(Comment, cid)
        assert comment is not None
        assert comment.deleted_at is not None
    got = (await api.client.get(f"/microblog/posts/{pid}", headers=fan.headers)).json()
    assert got["comments_count"] == 0
    r = await api.client.post(
        "/reports", headers=fan.headers, json={"kind": "post", "ref": str(pid), "reason": "spam"}
    )
    assert r.status_code == 201, r.text
    await _decide(api, staff, r.json()["case_id"], "remove")
    assert await home_ids(api, fan) == [hidden]
    r = await api.client.get(f"/microblog/posts/{pid}", headers=author.headers)
    assert r.status_code == 410
