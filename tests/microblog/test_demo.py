"""The demo's microblog: a verified celebrity everyone follows, posts, reposts, comments."""

from __future__ import annotations

import random

from hutong.app import Container
from hutong.microblog.demo import fill_microblog


async def test_demo_fills_the_microblog(container: Container) -> None:
    uids = []
    for i in range(6):
        new = await container.accounts.register(
            f"demo_blog{i}", "demo-password-1", None, device_name="demo", ip=""
        )
        uids.append(new.me.id)
    made = await fill_microblog(container.microblog, container.accounts, uids, random.Random(7))
    assert made["posts"] >= 3 + 1 + 4
    assert made["likes"] >= 8
    svc = container.microblog
    star = await svc.graph.profile(uids[2], "demo_blog0")
    assert star.user.verified == "personal"
    assert star.followers_count == 5
    page = await svc.timeline.home(uids[3], None, 20)
    assert {p.author.id for p in page.items} >= {uids[0], uids[3]}
    assert any(p.author.verified == "organisation" for p in page.items)
