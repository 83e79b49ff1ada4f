"""A 100-share envelope in a full 500-member group, every member opening it twice at the same
moment: exactly 100 opens succeed, they add up to the total, everyone else is told "all taken"
or "already opened", and both audits pass.

On PostgreSQL + Redis the 1,000 attempts go through two server processes (`hutong serve`), half
to each; on the embedded SQLite default (one process by design) they run in this process.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from hutong.app import Container
from hutong.core.errors import HutongError
from tests.conftest import PG_URL, REDIS_URL
from tests.redpackets.util import PIN, Member, audited, balance, group_of, members, ptype

TOTAL = 20_000


async def _attempts_in_process(c: Container, people: list[Member], eid: int) -> list[Any]:
    async def attempt(m: Member) -> tuple[int, str, int]:
        try:
            out = await c.redpackets.open(m.id, eid)
        except HutongError as exc:
            return m.id, exc.code, 0
        return m.id, "ok", out.amount

    return await asyncio.gather(*(attempt(m) for m in people + people))


async def _attempts_on_workers(urls: list[str], people: list[Member], eid: int) -> list[Any]:
    # Fresh connections: a pooled keep-alive connection that the server closes as it is
    # reused would fail a request that was never received.
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=0)
    async with (
        httpx.AsyncClient(base_url=urls[0], timeout=60, limits=limits) as a,
        httpx.AsyncClient(base_url=urls[1], timeout=60, limits=limits) as b,
    ):

        async def attempt(i: int, m: Member) -> tuple[int, str, int]:
            r = await (a if i % 2 else b).post(f"/redpackets/{eid}/open", headers=m.headers)
            if r.status_code == 200:
                return m.id, "ok", int(r.json()["amount"])
            return m.id, ptype(r), 0

        return await asyncio.gather(*(attempt(i, m) for i, m in enumerate(people + people)))


async def test_a_thousand_concurrent_opens_of_a_hundred_shares(
    rp_container: Container, request: pytest.FixtureRequest
) -> None:
    c = rp_container
    people = await members(c, 500)
    owner = people[0]
    chat = await group_of(c, owner, people[1:], money=TOTAL)
    from hutong.redpackets.schemas import SendIn

    env = await c.redpackets.send(
        owner.id,
        chat,
        SendIn(kind="lucky", amount=TOTAL, shares=100, pin=PIN),
        str(uuid.uuid4()),
    )
    if PG_URL and REDIS_URL:
        workers = request.getfixturevalue("workers")
        results = await _attempts_on_workers(workers.urls, people, env.id)
    else:
        results = await _attempts_in_process(c, people, env.id)
    won = [r for r in results if r[1] == "ok"]
    assert len(won) == 100
    assert len({uid for uid, _, _ in won}) == 100
    assert sum(amount for _, _, amount in won) == TOTAL
    refused = {code for _, code, _ in results if code != "ok"}
    assert refused <= {"redpacket-all-taken", "redpacket-already-opened"}, refused
    for uid, _, amount in won[:20]:
        assert await balance(c, uid) == amount
    details = await c.redpackets.details(owner.id, env.id)
    assert details.status == "all_taken"
    assert details.opened_amount == TOTAL
    assert details.luckiest_user_id is not None
    await audited(c)
