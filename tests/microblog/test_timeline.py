"""The home timeline: fan-out after commit, celebrities merged at read time, inactive followers
rebuilt on return, cursor paging, and visibility/deletion/blocks respected everywhere."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from hutong.app import Container
from hutong.core.clock import ManualClock
from hutong.microblog.models import FanoutJob, TimelineEntry
from hutong.microblog.schemas import PostIn
from tests.helpers import Api
from tests.microblog.util import all_pages, follow, home, home_ids, post, settle

pytestmark = pytest.mark.settings(
    microblog_celebrity_threshold=3, microblog_timeline_max=12, microblog_rebuild_size=6
)


async def _stored(container: Container, owner: int) -> list[int]:
    async with container.db.read() as s:
        rows = await s.scalars(
            select(TimelineEntry.post_id)
            .where(TimelineEntry.owner_id == owner)
            .order_by(TimelineEntry.post_id.desc())
        )
        return list(rows)


async def test_posts_reach_active_followers_newest_first_and_page_cleanly(
    api: Api, container: Container
) -> None:
    reader, a, b = await api.register(), await api.register(), await api.register()
    await home(api, reader)  # an active reader
    await follow(api, reader, a)
    await follow(api, reader, b)
    ids = []
    for i in range(10):
        ids.append((await post(api, a if i % 2 else b, f"第{i}条"))["id"])
    await settle(container)
    assert await _stored(container, reader.id) == sorted(ids, reverse=True)
    items = await all_pages(api, reader, "/microblog/home", limit=3)
    assert [p["id"] for p in items] == sorted(ids, reverse=True)
    # One's own posts are in one's own timeline at once, without the worker.
    mine = await post(api, reader, "我自己的")
    assert (await home_ids(api, reader))[0] == mine["id"]


async def test_fan_out_is_durable_work_done_after_commit(container: Container) -> None:
    """The job is written with the post: without any worker running it waits in the table,
    and whichever worker runs next delivers it."""
    svc = container.microblog
    author = await container.accounts.register(
        "author1", "pw-12345678", None, device_name="t", ip=""
    )
    fan = await container.accounts.register("fan1", "pw-12345678", None, device_name="t", ip="")
    await svc.timeline.home(fan.me.id, None, 20)
    await svc.graph.follow(fan.me.id, "author1")
    out = await svc.posts.create(author.me.id, PostIn(text="durable"))
    async with container.db.read() as s:
        assert await s.scalar(select(func.count()).select_from(FanoutJob)) == 1
    assert await _stored(container, fan.me.id) == []
    assert await svc.fanout.run_once() == 1
    assert await _stored(container, fan.me.id) == [out.id]
    async with container.db.read() as s:
        assert await s.scalar(select(func.count()).select_from(FanoutJob)) == 0


async def test_celebrity_posts_are_merged_at_read_time(api: Api, container: Container) -> None:
    star = await api.register()
    fans = [await api.register() for _ in range(3)]
    for fan in fans:
        await home(api, fan)
        await follow(api, fan, star)
    friend = await api.register()
    await follow(api, fans[0], friend)
    before = (await post(api, friend, "普通人的第一条"))["id"]
    s1 = (await post(api, star, "明星发帖"))["id"]
    after = (await post(api, friend, "普通人的第二条"))["id"]
    async with container.db.read() as s:
        jobs = list(await s.scalars(select(FanoutJob.post_id)))
    assert s1 not in jobs  # never pushed
    await settle(container)
    assert s1 not in await _stored(container, fans[0].id)
    assert await home_ids(api, fans[0]) == [after, s1, before]
    assert await home_ids(api, fans[1]) == [s1]
    items = await all_pages(api, fans[0], "/microblog/home", limit=1)
    assert [p["id"] for p in items] == [after, s1, before]
    r = await api.client.get("/microblog/home/new", headers=fans[1].headers, params={"since": 0})
    assert r.json() == {"count": 1}
    # Deleting a celebrity's post removes it from every merged timeline at once.
    r = await api.client.delete(f"/microblog/posts/{s1}", headers=star.headers)
    assert r.status_code == 204
    assert await home_ids(api, fans[1]) == []
    # Unfollowing stops the merge.
    await api.client.delete(f"/microblog/users/{star.handle}/follow", headers=fans[0].headers)
    s2 = (await post(api, star, "明星第二条"))["id"]
    assert s2 not in await home_ids(api, fans[0])
    assert s2 in await home_ids(api, fans[2])


async def test_inactive_followers_are_skipped_and_rebuilt_on_return(
    api: Api, container: Container, clock: ManualClock
) -> None:
    author, sleeper, awake = [await api.register() for _ in range(3)]
    for reader in (sleeper, awake):
        await home(api, reader)
        await follow(api, reader, author)
    first = (await post(api, author, "走之前"))["id"]
    await settle(container)
    clock.advance(days=8)
    await home(api, awake)  # still reading
    later = [(await post(api, author, f"不在时{i}"))["id"] for i in range(3)]
    await settle(container)
    assert await _stored(container, sleeper.id) == [first]  # not pushed while away
    assert set(later) <= set(await _stored(container, awake.id))
    # Coming back: the very first page already has everything.
    assert await home_ids(api, sleeper) == [*reversed(later), first]
    newest = (await post(api, author, "回来以后"))["id"]
    await settle(container)
    assert (await home_ids(api, sleeper))[0] == newest  # pushed again


async def test_a_long_absence_rebuilds_the_newest_and_pages_on_through_the_hole(
    api: Api, container: Container, clock: ManualClock
) -> None:
    author, sleeper = await api.register(), await api.register()
    await home(api, sleeper)
    await follow(api, sleeper, author)
    old = (await post(api, author, "很久以前"))["id"]
    await settle(container)
    clock.advance(days=30)
    missed = [(await post(api, author, f"错过的{i}"))["id"] for i in range(10)]
    await settle(container)
    first = await home(api, sleeper, limit=4)
    assert [p["id"] for p in first["items"]] == list(reversed(missed))[:4]
    items = await all_pages(api, sleeper, "/microblog/home", limit=4)
    assert [p["id"] for p in items] == [*reversed(missed), old]


async def test_stored_timelines_are_trimmed_and_older_pages_still_come(
    api: Api, container: Container, clock: ManualClock
) -> None:
    author, reader = await api.register(), await api.register()
    await home(api, reader)
    await follow(api, reader, author)
    ids = [(await post(api, author, f"#{i}"))["id"] for i in range(20)]
    await settle(container)
    clock.advance(hours=2)  # the next visit trims
    await home(api, reader)
    assert len(await _stored(container, reader.id)) == 12
    items = await all_pages(api, reader, "/microblog/home", limit=5)
    assert [p["id"] for p in items] == list(reversed(ids))


async def test_group_timeline_and_unfollow(api: Api, container: Container) -> None:
    me, a, b = [await api.register() for _ in range(3)]
    await home(api, me)
    for x in (a, b):
        await follow(api, me, x)
    gid = (
        await api.client.post("/microblog/groups", headers=me.headers, json={"name": "A"})
    ).json()["id"]
    await api.client.put(f"/microblog/groups/{gid}/members/{a.handle}", headers=me.headers)
    pa = (await post(api, a, "from a"))["id"]
    pb = (await post(api, b, "from b"))["id"]
    await settle(container)
    assert await home_ids(api, me) == [pb, pa]
    assert await home_ids(api, me, group=gid) == [pa]
    other = await api.register()
    r = await api.client.get("/microblog/home", headers=other.headers, params={"group": gid})
    assert r.status_code == 404
    await api.client.delete(f"/microblog/users/{b.handle}/follow", headers=me.headers)
    assert await home_ids(api, me) == [pa]


async def test_blocking_hides_posts_from_timelines(api: Api, container: Container) -> None:
    me, noisy = await api.register(), await api.register()
    await home(api, me)
    await follow(api, me, noisy)
    pid = (await post(api, noisy, "吵"))["id"]
    await settle(container)
    assert await home_ids(api, me) == [pid]
    await api.client.put(f"/contacts/blocks/{noisy.id}", headers=me.headers)
    assert await home_ids(api, me) == []
    r = await api.client.get(f"/microblog/posts/{pid}", headers=me.headers)
    assert r.status_code == 404


async def test_followers_see_new_posts_live(api: Api, container: Container) -> None:
    author, fan = await api.register(), await api.register()
    await home(api, fan)
    await follow(api, fan, author)
    async with api.socket(fan) as sock:
        await sock.ready()
        pid = (await post(api, author, "实时"))["id"]
        while True:
            msg = await sock.next(timeout=10)
            if msg.get("type") == "ephemeral" and msg["kind"] == "microblog.timeline":
                break
        assert msg["payload"] == {"post_id": pid, "author_id": author.id}
