"""Notifications kept on the server: each action notifies the right person once, the list pages
newest first and filters by kind, the unread count follows the read mark, nobody reads anyone
else's, blocked people are left out and deleted posts come back gone."""

from __future__ import annotations

from typing import Any

from tests.helpers import Api, User
from tests.microblog.util import all_pages, events, follow, post, problem_type

PATH = "/microblog/notifications"


async def notes(api: Api, user: User, **params: Any) -> list[dict[str, Any]]:
    r = await api.client.get(PATH, headers=user.headers, params=params)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def unread(api: Api, user: User) -> dict[str, Any]:
    r = await api.client.get(f"{PATH}/unread", headers=user.headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def mark_read(api: Api, user: User, up_to: Any) -> Any:
    return await api.client.post(f"{PATH}/read", headers=user.headers, json={"up_to": up_to})


async def like(api: Api, user: User, post_id: int) -> None:
    r = await api.client.put(f"/microblog/posts/{post_id}/like", headers=user.headers)
    assert r.status_code == 200, r.text


async def comment(api: Api, user: User, post_id: int, text: str, **extra: Any) -> dict[str, Any]:
    r = await api.client.post(
        f"/microblog/posts/{post_id}/comments", headers=user.headers, json={"text": text, **extra}
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def summary(items: list[dict[str, Any]]) -> list[tuple[str, str, int | None]]:
    return [(n["kind"], n["by"]["handle"], n["post_id"]) for n in items]


async def test_each_kind_notifies_the_right_user_once(api: Api) -> None:
    a, b, c, d = [await api.register() for _ in range(4)]
    await follow(api, b, a)
    p = await post(api, a, f"新年好 @{c.handle}")
    cb = await comment(api, b, p["id"], "恭喜")
    r = await api.client.post(
        f"/microblog/posts/{p['id']}/reposts", headers=b.headers, json={"text": "转发一下"}
    )
    assert r.status_code == 201, r.text
    repost = r.json()
    await like(api, b, p["id"])
    await like(api, b, p["id"])  # liking again changes nothing and tells nobody

    mine = await notes(api, a)
    assert summary(mine) == [
        ("like", b.handle, p["id"]),
        ("repost", b.handle, repost["id"]),
        ("comment", b.handle, p["id"]),
        ("follow", b.handle, None),
    ]
    like_note, repost_note, comment_note, follow_note = mine
    assert [n["id"] for n in mine] == sorted((n["id"] for n in mine), reverse=True)
    assert all(n["unread"] and not n["gone"] for n in mine)
    assert comment_note["comment_id"] == cb["id"]
    assert comment_note["text"] == "恭喜"
    assert comment_note["post_text"] == f"新年好 @{c.handle}"
    assert repost_note["repost_of_id"] == p["id"]
    assert repost_note["root_id"] == p["id"]
    assert repost_note["text"] == "转发一下"
    assert repost_note["post_text"] == f"新年好 @{c.handle}"
    assert like_note["comment_id"] is None
    assert (follow_note["post_id"], follow_note["text"]) == (None, "")

    [mention] = await notes(api, c)
    assert (mention["kind"], mention["by"]["handle"], mention["post_id"]) == (
        "mention",
        a.handle,
        p["id"],
    )
    assert mention["comment_id"] is None
    assert await notes(api, b) == []
    assert await notes(api, d) == []

    # A reply tells the post's author and the comment's author, each once.
    reply = await comment(api, c, p["id"], "同乐", reply_to=cb["id"])
    [to_b] = await notes(api, b)
    assert (to_b["kind"], to_b["by"]["handle"], to_b["comment_id"]) == (
        "comment",
        c.handle,
        reply["id"],
    )
    assert to_b["reply_to_comment_id"] == cb["id"]
    assert (await notes(api, a))[0]["comment_id"] == reply["id"]
    # Liking a comment tells its author.
    r = await api.client.put(f"/microblog/comments/{cb['id']}/like", headers=c.headers)
    assert r.status_code == 200
    liked = (await notes(api, b))[0]
    assert (liked["kind"], liked["comment_id"], liked["post_id"]) == ("like", cb["id"], p["id"])

    # Every notification event in the log has its stored notification, and the other way round.
    for user in (a, b, c, d):
        logged = [
            e
            for kind in ("follow", "mention", "comment", "repost", "like")
            for e in await events(api, user, f"microblog.{kind}")
        ]
        assert len(logged) == len(await notes(api, user, limit=50))

    # The filter: one kind at a time, named as the screen's tabs are.
    assert summary(await notes(api, a, kind="follows")) == [("follow", b.handle, None)]
    assert [n["kind"] for n in await notes(api, a, kind="likes")] == ["like"]
    assert [n["kind"] for n in await notes(api, a, kind="comments")] == ["comment", "comment"]
    assert await notes(api, a, kind="mentions") == []
    assert [n["kind"] for n in await notes(api, c, kind="mentions")] == ["mention"]
    assert (await unread(api, a))["kinds"] == {"follow": 1, "comment": 2, "repost": 1, "like": 1}


async def test_pages_unread_count_and_read_mark(api: Api) -> None:
    author, fan = await api.register(), await api.register()
    posts = [await post(api, author, f"第{i}条") for i in range(7)]
    for p in posts:
        await like(api, fan, p["id"])
    items = await all_pages(api, author, PATH, limit=3)
    assert [n["post_id"] for n in items] == [p["id"] for p in reversed(posts)]
    ids = [n["id"] for n in items]
    assert ids == sorted(ids, reverse=True)
    first = await api.client.get(PATH, headers=author.headers, params={"limit": 7})
    assert first.json()["next_cursor"] is None

    got = await unread(api, author)
    assert (got["count"], got["kinds"], got["read_up_to"]) == (7, {"like": 7}, 0)
    # Read up to the third newest: the two newer stay unread.
    r = await mark_read(api, author, ids[2])
    assert r.status_code == 200, r.text
    assert r.json()["count"] == 2
    assert [n["unread"] for n in await notes(api, author)] == [True, True] + [False] * 5
    # The mark never moves back.
    assert (await mark_read(api, author, ids[6])).json()["count"] == 2
    # Nor past the newest notification: what comes later is unread.
    done = (await mark_read(api, author, 2**62)).json()
    assert (done["count"], done["read_up_to"]) == (0, ids[0])
    late = await post(api, author, "后来")
    await like(api, fan, late["id"])
    assert (await unread(api, author))["count"] == 1
    assert [n["unread"] for n in await notes(api, author, limit=2)] == [True, False]


async def test_bad_cursors_kinds_and_marks_are_typed_and_change_nothing(api: Api) -> None:
    author, fan = await api.register(), await api.register()
    await follow(api, fan, author)
    for cursor in ("abc", "-1", "0", "9" * 30, "1.5"):
        r = await api.client.get(PATH, headers=author.headers, params={"cursor": cursor})
        assert r.status_code == 422, (cursor, r.text)
        assert problem_type(r.json()) == "bad-cursor"
    for kind in ("like", "all", "LIKES", "x" * 16, "likes\x00"):
        r = await api.client.get(PATH, headers=author.headers, params={"kind": kind})
        assert r.status_code == 422, (kind, r.text)
        assert problem_type(r.json()) == "bad-notification-kind"
        assert r.json()["kinds"] == ["mentions", "comments", "reposts", "likes", "follows"]
    r = await api.client.get(PATH, headers=author.headers, params={"limit": 0})
    assert r.status_code == 422
    for body in (
        {},
        {"up_to": 0},
        {"up_to": -3},
        {"up_to": "x"},
        {"up_to": 2**63},
        {"up_to": 1, "x": 1},
    ):
        r = await api.client.post(f"{PATH}/read", headers=author.headers, json=body)
        assert r.status_code == 422, (body, r.text)
        assert problem_type(r.json()) == "invalid-input"
    assert (await unread(api, author))["count"] == 1


async def test_nobody_reads_or_marks_anothers_notifications(api: Api) -> None:
    alice, bob, eve = [await api.register() for _ in range(3)]
    await follow(api, bob, alice)
    [note] = await notes(api, alice)
    # Eve sees only her own (none), and marking Alice's notification id read touches only Eve.
    assert await notes(api, eve) == []
    r = await mark_read(api, eve, note["id"])
    assert r.status_code == 200
    assert r.json() == {"count": 0, "kinds": {}, "read_up_to": 0}
    assert (await unread(api, alice))["count"] == 1
    assert (await notes(api, alice))[0]["unread"] is True
    # Without signing in there is nothing at all.
    for method, path in (("GET", PATH), ("GET", f"{PATH}/unread"), ("POST", f"{PATH}/read")):
        r = await api.client.request(method, path, json={"up_to": note["id"]})
        assert r.status_code == 401


async def test_blocked_people_are_left_out(api: Api) -> None:
    me, pest, friend = [await api.register() for _ in range(3)]
    p = await post(api, me, "大家好")
    await like(api, pest, p["id"])
    await follow(api, pest, me)
    await like(api, friend, p["id"])
    assert (await unread(api, me))["count"] == 3
    r = await api.client.put(f"/contacts/blocks/{pest.id}", headers=me.headers)
    assert r.status_code == 200
    assert summary(await notes(api, me)) == [("like", friend.handle, p["id"])]
    assert (await unread(api, me))["count"] == 1
    # Blocked the other way round too: the pest blocking me hides them from my list as well.
    r = await api.client.delete(f"/contacts/blocks/{pest.id}", headers=me.headers)
    assert r.status_code == 204
    assert len(await notes(api, me)) == 3
    r = await api.client.put(f"/contacts/blocks/{me.id}", headers=pest.headers)
    assert r.status_code == 200
    assert [n["by"]["handle"] for n in await notes(api, me)] == [friend.handle]
    assert (await unread(api, me))["kinds"] == {"like": 1}


async def test_notifications_about_deleted_or_hidden_posts_come_back_gone(api: Api) -> None:
    me, fan, other = [await api.register() for _ in range(3)]
    await follow(api, me, fan)
    mine = await post(api, me, "我的微博")
    c = await comment(api, fan, mine["id"], "第一")
    await like(api, other, mine["id"])
    theirs = await post(api, other, f"提到 @{me.handle}")
    secret = await post(api, fan, f"只给粉丝 @{me.handle}", visibility="followers")

    before = {n["kind"] + str(n["post_id"]): n for n in await notes(api, me)}
    assert not any(n["gone"] for n in before.values())
    assert before[f"mention{secret['id']}"]["text"] == f"只给粉丝 @{me.handle}"

    # The mentioning post is deleted; I stop following the author of the followers-only one.
    r = await api.client.delete(f"/microblog/posts/{theirs['id']}", headers=other.headers)
    assert r.status_code == 204
    r = await api.client.delete(f"/microblog/users/{fan.handle}/follow", headers=me.headers)
    assert r.status_code == 200
    after = {n["kind"] + str(n["post_id"]): n for n in await notes(api, me)}
    for key in (f"mention{theirs['id']}", f"mention{secret['id']}"):
        assert after[key]["gone"] is True
        assert (after[key]["text"], after[key]["post_text"]) == ("", None)
    assert after[f"comment{mine['id']}"]["gone"] is False

    # The comment is deleted: its notification is gone; then my post, and with it the like.
    r = await api.client.delete(f"/microblog/comments/{c['id']}", headers=fan.headers)
    assert r.status_code == 204
    after = {n["kind"] + str(n["post_id"]): n for n in await notes(api, me)}
    assert after[f"comment{mine['id']}"]["gone"] is True
    assert after[f"like{mine['id']}"]["gone"] is False
    r = await api.client.delete(f"/microblog/posts/{mine['id']}", headers=me.headers)
    assert r.status_code == 204
    after = {n["kind"] + str(n["post_id"]): n for n in await notes(api, me)}
    assert after[f"like{mine['id']}"]["gone"] is True
    # They still count while unread (they happened), and are listed once each.
    assert (await unread(api, me))["count"] == len(after) == 4


async def test_a_repost_kept_to_oneself_tells_the_author_nothing(api: Api) -> None:
    a, b = [await api.register() for _ in range(2)]
    p = await post(api, a, "a public post")
    r = await api.client.post(
        f"/microblog/posts/{p['id']}/reposts",
        headers=b.headers,
        json={"text": "my private note about it", "visibility": "only_me"},
    )
    assert r.status_code == 201, r.text
    assert await notes(api, a, kind="reposts") == []
    assert await events(api, a, "microblog.repost") == []
    # Friends-only, and the author is not a friend: nothing either; public: told.
    r = await api.client.post(
        f"/microblog/posts/{p['id']}/reposts",
        headers=b.headers,
        json={"text": "for my friends", "visibility": "friends"},
    )
    assert r.status_code == 201, r.text
    assert await notes(api, a, kind="reposts") == []
    r = await api.client.post(
        f"/microblog/posts/{p['id']}/reposts", headers=b.headers, json={"text": "for all"}
    )
    assert [n["by"]["handle"] for n in await notes(api, a, kind="reposts")] == [b.handle]
