"""Posts: the Weibo length rule, images, visibility, deletion; bad input changes nothing."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from hutong.app import Container
from tests.helpers import Api
from tests.microblog.util import follow, home_ids, post, problem_type, settle


def _png(color: tuple[int, int, int] = (10, 120, 200)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buf, "PNG")
    return buf.getvalue()


async def _count_posts(container: Container, author_id: int) -> int:
    from sqlalchemy import func, select

    from hutong.microblog.models import Post

    async with container.db.read() as s:
        return int(await s.scalar(select(func.count()).where(Post.author_id == author_id)) or 0)


async def test_a_cjk_post_with_topic_mention_and_link(api: Api) -> None:
    alice = await api.register()
    bob = await api.register("li_lei")
    body = await post(
        api, alice, "春节快乐！🧧 https://hutong.dev/p/1 #春节# @Li_Lei", visibility="public"
    )
    assert body["topics"] == ["春节"]
    assert body["mentions"] == [{"handle": "li_lei", "user_id": bob.id}]
    assert body["urls"] == ["https://hutong.dev/p/1"]
    assert body["author"]["handle"] == alice.handle
    assert body["author"]["verified"] == ""
    assert (body["likes_count"], body["comments_count"], body["reposts_count"]) == (0, 0, 0)
    r = await api.client.get(f"/microblog/posts/{body['id']}", headers=bob.headers)
    assert r.status_code == 200
    assert r.json()["text"].startswith("春节快乐")


@pytest.mark.parametrize(
    "text",
    [
        "a" * 281,  # 140.5 → 141
        "春" * 141,
        "😀" * 70 + "a",
        "春" * 130 + " https://example.com",  # the URL counts 10, the space ½
        "春" * 121 + "https://example.com/" + "a" * 200,  # a URL > 140 bytes costs more
    ],
)
async def test_over_long_posts_are_a_typed_422_and_store_nothing(
    api: Api, container: Container, text: str
) -> None:
    user = await api.register()
    r = await api.client.post("/microblog/posts", headers=user.headers, json={"text": text})
    assert r.status_code == 422, r.text
    body = r.json()
    assert problem_type(body) == "text-too-long"
    assert body["length"] > body["max_length"] == 140
    assert body["errors"][0]["field"] == "text"
    assert await _count_posts(container, user.id) == 0


@pytest.mark.parametrize("text", ["a" * 280, "春" * 140, "😀" * 70, "春" * 130 + "https://a.cn"])
async def test_exactly_140_is_accepted(api: Api, text: str) -> None:
    user = await api.register()
    await post(api, user, text)


async def test_counter_endpoint_matches_the_rule(api: Api) -> None:
    user = await api.register()
    r = await api.client.post(
        "/microblog/count", headers=user.headers, json={"text": "春" * 139 + "abc"}
    )
    assert r.json()["length"] == 141
    assert r.json()["remaining"] == -1


@pytest.mark.parametrize(
    "body",
    [
        {"text": ""},
        {"text": "   \n "},
        {"text": "bad\u0000byte"},
        {"text": "hi", "visibility": "secret"},
        {"text": "hi", "images": ["f" * 64]},
        {"text": 5},
        {"text": "hi", "extra": 1},
    ],
)
async def test_bad_posts_are_typed_and_store_nothing(
    api: Api, container: Container, body: dict[str, object]
) -> None:
    user = await api.register()
    r = await api.client.post("/microblog/posts", headers=user.headers, json=body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert await _count_posts(container, user.id) == 0


async def test_images_up_to_nine_of_ones_own_uploads(api: Api, container: Container) -> None:
    user = await api.register()
    other = await api.register()
    ids = []
    for i in range(10):
        r = await api.client.post(
            "/microblog/images",
            headers=user.headers,
            files={"file": (f"{i}.png", _png((i * 20, 0, 0)), "image/png")},
        )
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    r = await api.client.post(
        "/microblog/posts", headers=user.headers, json={"text": "十张", "images": ids}
    )
    assert r.status_code == 422
    assert problem_type(r.json()) == "too-many-images"
    # Someone else's upload cannot be borrowed.
    r = await api.client.post(
        "/microblog/posts", headers=other.headers, json={"text": "mine?", "images": ids[:1]}
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "images.0"
    assert await _count_posts(container, user.id) == await _count_posts(container, other.id) == 0
    body = await post(api, user, "", images=ids[:9])  # images alone make a post
    assert [i["id"] for i in body["images"]] == ids[:9]
    thumb = await api.client.get(body["images"][0]["thumb_url"])
    assert thumb.status_code == 200
    assert thumb.headers["content-type"] == "image/jpeg"
    r = await api.client.post(
        "/microblog/images",
        headers=user.headers,
        files={"file": ("x.png", b"not an image", "image/png")},
    )
    assert r.status_code == 415


async def test_visibility_rules_for_strangers_followers_friends_and_self(
    api: Api, container: Container
) -> None:
    author, fan, friend, stranger = [await api.register() for _ in range(4)]
    await follow(api, fan, author)
    await follow(api, friend, author)
    await follow(api, author, friend)  # mutual follow: friends
    posts = {
        vis: (await post(api, author, f"{vis} post", visibility=vis))["id"]
        for vis in ("public", "followers", "friends", "only_me")
    }
    can = {
        "author": {"public", "followers", "friends", "only_me"},
        "fan": {"public", "followers"},
        "friend": {"public", "followers", "friends"},
        "stranger": {"public"},
    }
    users = {"author": author, "fan": fan, "friend": friend, "stranger": stranger}
    for who, allowed in can.items():
        for vis, pid in posts.items():
            r = await api.client.get(f"/microblog/posts/{pid}", headers=users[who].headers)
            assert (r.status_code == 200) == (vis in allowed), (who, vis, r.status_code)
            if r.status_code != 200:
                assert r.status_code == 404  # no hint that the post exists
        r = await api.client.get(
            f"/microblog/users/{author.handle}/posts", headers=users[who].headers
        )
        seen = {p["text"].split()[0] for p in r.json()["items"]}
        assert seen == allowed, who
    await settle(container)
    for who in ("fan", "friend", "stranger", "author"):
        await home_ids(api, users[who])  # become active readers
    await settle(container)
    got = set(await home_ids(api, fan))
    assert got == {posts["public"], posts["followers"]}
    got = set(await home_ids(api, friend))
    assert {posts["public"], posts["followers"], posts["friends"]} <= got
    assert posts["only_me"] not in got
    assert set(await home_ids(api, author)) >= set(posts.values())


async def test_delete_removes_the_post_everywhere(api: Api, container: Container) -> None:
    author, fan = await api.register(), await api.register()
    await home_ids(api, fan)
    await follow(api, fan, author)
    body = await post(api, author, "要删的 #删除测试#")
    keep = await post(api, author, "留下的")
    await settle(container)
    assert body["id"] in await home_ids(api, fan)
    r = await api.client.delete(f"/microblog/posts/{body['id']}", headers=fan.headers)
    assert r.status_code == 403  # not the author
    r = await api.client.delete(f"/microblog/posts/{body['id']}", headers=author.headers)
    assert r.status_code == 204
    assert body["id"] not in await home_ids(api, fan)  # at once, before the worker runs
    await settle(container)
    assert await home_ids(api, fan) == [keep["id"]]
    assert body["id"] not in await home_ids(api, author)
    r = await api.client.get(f"/microblog/posts/{body['id']}", headers=fan.headers)
    assert r.status_code == 410
    assert problem_type(r.json()) == "post-deleted"
    r = await api.client.get("/microblog/topics/删除测试", headers=fan.headers)
    assert r.json()["posts"]["items"] == []
    assert r.json()["topic"]["posts_count"] == 0
    r = await api.client.get(f"/microblog/users/{author.handle}/posts", headers=fan.headers)
    assert [p["id"] for p in r.json()["items"]] == [keep["id"]]
    r = await api.client.get(f"/microblog/users/{author.handle}", headers=fan.headers)
    assert r.json()["posts_count"] == 1
    r = await api.client.delete(f"/microblog/posts/{body['id']}", headers=author.headers)
    assert r.status_code == 404


async def test_no_input_produces_a_500(api: Api) -> None:
    user = await api.register()
    junk = [b"", b"{", b"[]", b"null", b'{"text": 5}', b'{"text": "\\ud800"}', b"\xff\xfe"]
    paths = [
        ("POST", "/microblog/posts"),
        ("POST", "/microblog/posts/1/reposts"),
        ("POST", "/microblog/posts/1/comments"),
        ("POST", "/microblog/count"),
        ("POST", "/microblog/groups"),
        ("POST", "/microblog/admin/hot"),
        ("GET", "/microblog/posts/99999999999999999999"),
        ("GET", "/microblog/home?cursor=abc"),
        ("GET", "/microblog/home?cursor=-1"),
        ("GET", "/microblog/home?cursor=99999999999999999999"),
        ("GET", "/microblog/users/x/followers?cursor=1.2.3"),
        ("GET", "/microblog/users/nobody_here"),
        ("PUT", "/microblog/users/%00/follow"),
        ("GET", "/microblog/search/posts?q=%25_%5C"),
        ("GET", "/microblog/search/users?q=%25_"),
        ("GET", "/microblog/topics/%23"),
        ("DELETE", "/microblog/comments/0"),
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
            if r.status_code >= 400:
                assert r.headers["content-type"].startswith("application/problem+json")


async def test_control_characters_in_urls_and_names_are_a_422(api: Api) -> None:
    user = await api.register()
    for method, path, body in [
        ("PUT", "/microblog/users/a%00b/follow", None),
        ("GET", "/microblog/topics/%00", None),
        ("GET", "/microblog/search/posts?q=a%00", None),
        ("GET", "/microblog/search/users?q=%00", None),
        ("POST", "/microblog/groups", {"name": "a\u0000"}),
        ("POST", "/microblog/admin/hot", {"term": "x\u0000", "action": "pin"}),
    ]:
        r = await api.client.request(method, path, headers=user.headers, json=body)
        assert r.status_code == 422, (path, r.text)
