"""Reposts keep their root, comments and replies, likes with exact counts, notifications."""

from __future__ import annotations

import asyncio
from typing import Any

from hutong.app import Container
from tests.helpers import Api, User
from tests.microblog.util import events, follow, post, problem_type


async def _repost(api: Api, user: User, pid: int, text: str = "") -> dict[str, Any]:
    r = await api.client.post(
        f"/microblog/posts/{pid}/reposts", headers=user.headers, json={"text": text}
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_a_repost_chain_keeps_its_root(api: Api) -> None:
    a, b, c, d = [await api.register() for _ in range(4)]
    root = await post(api, a, "原文 #转发#")
    rb = await _repost(api, b, root["id"], "说得好")
    rc = await _repost(api, c, rb["id"], "同意")
    rd = await _repost(api, d, rc["id"])
    assert rd["root"]["id"] == root["id"]
    assert rd["repost_of_id"] == rc["id"]
    assert [(h["post_id"], h["author"]["handle"], h["text"]) for h in rd["chain"]] == [
        (rc["id"], c.handle, "同意"),
        (rb["id"], b.handle, "说得好"),
    ]
    original = (await api.client.get(f"/microblog/posts/{root['id']}", headers=d.headers)).json()
    assert original["reposts_count"] == 3
    middle = (await api.client.get(f"/microblog/posts/{rb['id']}", headers=d.headers)).json()
    assert middle["reposts_count"] == 1
    r = await api.client.get(f"/microblog/posts/{root['id']}/reposts", headers=a.headers)
    assert [p["id"] for p in r.json()["items"]] == [rd["id"], rc["id"], rb["id"]]
    # The root's and the reposted repost's authors are told; the reposter is not.
    got = await events(api, a, "microblog.repost")
    assert [e["payload"]["post_id"] for e in got] == [rb["id"], rc["id"], rd["id"]]
    assert [e["payload"]["post_id"] for e in await events(api, c, "microblog.repost")] == [rd["id"]]
    assert await events(api, d, "microblog.repost") == []
    # Deleting the root leaves reposts saying so.
    await api.client.delete(f"/microblog/posts/{root['id']}", headers=a.headers)
    again = (await api.client.get(f"/microblog/posts/{rd['id']}", headers=d.headers)).json()
    assert again["root"] is None
    assert again["root_unavailable"] is True
    r = await api.client.post(
        f"/microblog/posts/{rd['id']}/reposts", headers=b.headers, json={"text": ""}
    )
    assert r.status_code == 410


async def test_reposting_what_one_cannot_see_or_may_not_share(
    api: Api, container: Container
) -> None:
    author, fan, stranger = [await api.register() for _ in range(3)]
    await follow(api, fan, author)
    hidden = await post(api, author, "只给粉丝", visibility="followers")
    r = await api.client.post(
        f"/microblog/posts/{hidden['id']}/reposts", headers=stranger.headers, json={"text": "x"}
    )
    assert r.status_code == 404
    r = await api.client.post(
        f"/microblog/posts/{hidden['id']}/reposts", headers=fan.headers, json={"text": "x"}
    )
    assert r.status_code == 403
    assert problem_type(r.json()) == "not-repostable"
    r = await api.client.post(
        "/microblog/posts/424242/reposts", headers=fan.headers, json={"text": "x"}
    )
    assert r.status_code == 404
    r = await api.client.post(
        f"/microblog/posts/{hidden['id']}/reposts", headers=fan.headers, json={"text": "春" * 141}
    )
    assert r.status_code == 422
    hid = (await api.client.get(f"/microblog/posts/{hidden['id']}", headers=author.headers)).json()
    assert hid["reposts_count"] == 0
    profile = (await api.client.get(f"/microblog/users/{fan.handle}", headers=fan.headers)).json()
    assert profile["posts_count"] == 0


async def test_comments_replies_and_their_notifications(api: Api) -> None:
    author, b, c = [await api.register() for _ in range(3)]
    pid = (await post(api, author, "说点什么"))["id"]
    r = await api.client.post(
        f"/microblog/posts/{pid}/comments", headers=b.headers, json={"text": "第一 @" + c.handle}
    )
    assert r.status_code == 201, r.text
    first = r.json()
    r = await api.client.post(
        f"/microblog/posts/{pid}/comments",
        headers=c.headers,
        json={"text": "回复你", "reply_to": first["id"]},
    )
    reply = r.json()
    assert reply["root_comment_id"] == first["id"]
    assert reply["reply_to"]["user"]["handle"] == b.handle
    r = await api.client.post(
        f"/microblog/posts/{pid}/comments",
        headers=author.headers,
        json={"text": "楼中楼", "reply_to": reply["id"]},
    )
    nested = r.json()
    assert nested["root_comment_id"] == first["id"]  # threads stay one level deep
    page = (await api.client.get(f"/microblog/posts/{pid}/comments", headers=c.headers)).json()
    [top] = page["items"]
    assert top["replies_count"] == 2
    assert [x["id"] for x in top["replies"]] == [reply["id"], nested["id"]]
    got = (await api.client.get(f"/microblog/posts/{pid}", headers=c.headers)).json()
    assert got["comments_count"] == 3
    assert len(await events(api, author, "microblog.comment")) == 2
    assert [e["payload"]["comment_id"] for e in await events(api, b, "microblog.comment")] == [
        reply["id"]
    ]
    [mention] = await events(api, c, "microblog.mention")
    assert mention["payload"]["comment_id"] == first["id"]
    # Deleting the top comment takes its thread; counts follow exactly.
    r = await api.client.delete(f"/microblog/comments/{first['id']}", headers=c.headers)
    assert r.status_code == 403
    r = await api.client.delete(f"/microblog/comments/{first['id']}", headers=author.headers)
    assert r.status_code == 204
    got = (await api.client.get(f"/microblog/posts/{pid}", headers=c.headers)).json()
    assert got["comments_count"] == 0
    page = (await api.client.get(f"/microblog/posts/{pid}/comments", headers=c.headers)).json()
    assert page["items"] == []


async def test_commenting_on_a_deleted_or_hidden_post(api: Api) -> None:
    author, stranger = await api.register(), await api.register()
    gone = (await post(api, author, "马上删"))["id"]
    hidden = (await post(api, author, "只有我", visibility="only_me"))["id"]
    await api.client.delete(f"/microblog/posts/{gone}", headers=author.headers)
    r = await api.client.post(
        f"/microblog/posts/{gone}/comments", headers=stranger.headers, json={"text": "还在吗"}
    )
    assert r.status_code == 410
    assert problem_type(r.json()) == "post-deleted"
    r = await api.client.post(
        f"/microblog/posts/{hidden}/comments", headers=stranger.headers, json={"text": "看看"}
    )
    assert r.status_code == 404
    r = await api.client.get(f"/microblog/posts/{hidden}/comments", headers=stranger.headers)
    assert r.status_code == 404
    pid = (await post(api, author, "可以评论"))["id"]
    for body in ({"text": ""}, {"text": "春" * 141}, {"text": "hi", "reply_to": 999999}):
        r = await api.client.post(
            f"/microblog/posts/{pid}/comments", headers=stranger.headers, json=body
        )
        assert r.status_code in (404, 422), r.text
    got = (await api.client.get(f"/microblog/posts/{pid}", headers=author.headers)).json()
    assert got["comments_count"] == 0


async def test_likes_stay_exact_and_never_negative_under_concurrency(api: Api) -> None:
    author = await api.register()
    fans = [await api.register() for _ in range(8)]
    pid = (await post(api, author, "点赞"))["id"]

    async def flip(i: int, n: int) -> None:
        fan = fans[i]
        for k in range(n):
            method = "PUT" if (k + i) % 2 == 0 else "DELETE"
            r = await api.client.request(
                method, f"/microblog/posts/{pid}/like", headers=fan.headers
            )
            assert r.status_code == 200, r.text
            assert r.json()["likes_count"] >= 0

    # Every fan likes and unlikes concurrently; even fans end liking, odd fans end unliked.
    await asyncio.gather(*(flip(i, 5 if i % 2 == 0 else 6) for i in range(len(fans))))
    # Plus one user hammering like/unlike at once.
    await asyncio.gather(
        *(
            api.client.request(
                "PUT" if k % 2 else "DELETE",
                f"/microblog/posts/{pid}/like",
                headers=fans[1].headers,
            )
            for k in range(10)
        )
    )
    got = (await api.client.get(f"/microblog/posts/{pid}", headers=author.headers)).json()
    liked = 0
    for fan in fans:
        view = (await api.client.get(f"/microblog/posts/{pid}", headers=fan.headers)).json()
        liked += view["liked"]
    assert got["likes_count"] == liked >= 4
    # Unliking what one never liked changes nothing.
    stranger = await api.register()
    r = await api.client.delete(f"/microblog/posts/{pid}/like", headers=stranger.headers)
    assert r.json()["likes_count"] == liked


async def test_comment_likes_and_like_notifications(api: Api) -> None:
    author, fan = await api.register(), await api.register()
    pid = (await post(api, author, "赞我"))["id"]
    cid = (
        await api.client.post(
            f"/microblog/posts/{pid}/comments", headers=author.headers, json={"text": "自评"}
        )
    ).json()["id"]
    r = await api.client.put(f"/microblog/comments/{cid}/like", headers=fan.headers)
    assert r.json() == {"liked": True, "likes_count": 1}
    r = await api.client.put(f"/microblog/comments/{cid}/like", headers=fan.headers)
    assert r.json() == {"liked": True, "likes_count": 1}
    await api.client.put(f"/microblog/posts/{pid}/like", headers=fan.headers)
    await api.client.put(f"/microblog/posts/{pid}/like", headers=author.headers)  # own: silent
    likes = await events(api, author, "microblog.like")
    assert [(e["payload"]["post_id"], e["payload"]["comment_id"]) for e in likes] == [
        (pid, cid),
        (pid, None),
    ]
    r = await api.client.delete(f"/microblog/comments/{cid}/like", headers=fan.headers)
    assert r.json() == {"liked": False, "likes_count": 0}


async def test_mentions_notify_only_people_who_may_see_the_post(api: Api) -> None:
    author, fan, outsider = [await api.register() for _ in range(3)]
    await follow(api, fan, author)
    await post(api, author, f"粉丝可见 @{fan.handle} @{outsider.handle}", visibility="followers")
    assert len(await events(api, fan, "microblog.mention")) == 1
    assert await events(api, outsider, "microblog.mention") == []
    await post(api, author, f"公开 @{outsider.handle} @nobody_at_all")
    [event] = await events(api, outsider, "microblog.mention")
    assert event["payload"]["by"]["handle"] == author.handle
