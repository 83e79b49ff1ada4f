"""Anti-spam limits per user and action (`core.ratelimit.ActionLimits`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from hutong.app import Container, build_container
from hutong.core.clock import ManualClock
from hutong.core.errors import TooManyRequests
from hutong.core.ratelimit import Limit, parse_limits
from hutong.settings import Settings
from tests.conftest import REDIS_URL

LIMITS = {"post": "3/60,5/3600", "message": "10/60", "report": "2/600"}
NEW_LIMITS = {"post": "1/60", "report": "1/600"}


def limited(settings: Settings, clock: ManualClock) -> Container:
    changes = {"action_limits": LIMITS, "action_limits_new": NEW_LIMITS}
    return build_container(settings.model_copy(update=changes), clock=clock)


@pytest.fixture
async def worker(settings: Settings, clock: ManualClock) -> AsyncIterator[Container]:
    c = limited(settings, clock)
    yield c
    await c.stop()


async def new_user(c: Container, handle: str) -> int:
    created = await c.accounts.register(
        handle, "correct horse battery", None, device_name="t", ip=""
    )
    return created.me.id


async def allowed(c: Container, user_id: int, action: str, n: int) -> int:
    ok = 0
    for _ in range(n):
        try:
            await c.limits.hit(user_id, action)
            ok += 1
        except TooManyRequests:
            pass
    return ok


def test_limits_are_parsed_and_bad_ones_refused() -> None:
    assert parse_limits("10/60, 100/3600") == (Limit(10, 60), Limit(100, 3600))
    for bad in ["", "10", "10/", "/60", "0/60", "10/0", "-1/60", "ten/60", "10/60,"]:
        with pytest.raises(ValueError, match="bad rate limit"):
            parse_limits(bad)


async def test_a_bad_setting_fails_at_start_up(settings: Settings) -> None:
    with pytest.raises(ValueError, match="bad rate limit"):
        build_container(settings.model_copy(update={"action_limits": {"post": "lots"}}))


async def test_over_the_limit_is_429_with_retry_after(
    worker: Container, clock: ManualClock
) -> None:
    uid = await new_user(worker, "poster1")
    clock.advance(days=2)  # no longer a new account
    for _ in range(3):
        await worker.limits.hit(uid, "post")
    with pytest.raises(TooManyRequests) as info:
        await worker.limits.hit(uid, "post")
    assert 0 < info.value.retry_after <= 60
    assert info.value.headers == {"Retry-After": str(info.value.retry_after)}
    assert info.value.status == 429
    # Other actions and other users have their own counts.
    await worker.limits.hit(uid, "message")
    other = await new_user(worker, "poster2")
    clock.advance(days=2)
    await worker.limits.hit(other, "post")


async def test_new_accounts_get_the_stricter_limits(worker: Container, clock: ManualClock) -> None:
    uid = await new_user(worker, "newbie")
    assert await allowed(worker, uid, "post", 3) == 1
    assert await allowed(worker, uid, "report", 3) == 1
    # Actions without a stricter setting use the normal one.
    assert await allowed(worker, uid, "message", 12) == 10
    clock.advance(hours=25)
    # A day later the normal limits apply; the window's earlier hits still count.
    assert await allowed(worker, uid, "post", 5) == 0  # 3 already counted this minute
    assert (await worker.limits.limits_for(uid, "post")) == parse_limits(LIMITS["post"])


async def test_unknown_actions_are_a_programming_error(worker: Container) -> None:
    with pytest.raises(ValueError, match="no rate limit configured"):
        await worker.limits.hit(1, "poke")


async def test_concurrent_hits_never_pass_more_than_the_limit(
    worker: Container, clock: ManualClock
) -> None:
    uid = await new_user(worker, "burst")
    clock.advance(days=2)

    async def one() -> bool:
        try:
            await worker.limits.hit(uid, "message")
        except TooManyRequests:
            return False
        return True

    results = await asyncio.gather(*(one() for _ in range(40)))
    assert results.count(True) == 10


@pytest.mark.skipif(not REDIS_URL, reason="shared counts need HUTONG_TEST_REDIS_URL")
async def test_workers_share_one_count_through_redis(
    worker: Container, settings: Settings, clock: ManualClock
) -> None:
    other = limited(settings, clock)
    try:
        uid = await new_user(worker, "everywhere")
        clock.advance(days=2)
        results = await asyncio.gather(
            *(allowed(c, uid, "message", 8) for c in (worker, other)),
        )
        assert sum(results) == 10
    finally:
        await other.stop()
