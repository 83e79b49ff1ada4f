"""Fixed-window counters for throttling (login attempts; posts, requests, messages, reports).

In memory for a single process; in Redis when configured so every worker shares one count.
`ActionLimits` is the policy object domains call per user and action.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from hutong.core.clock import Clock
from hutong.core.errors import TooManyRequests


class RateLimiter(Protocol):
    async def count(self, key: str) -> tuple[int, int]:
        """Current hits for `key` and seconds until its window ends (0 when no window)."""
        ...

    async def hit(self, key: str, window_s: int) -> tuple[int, int]:
        """Add one hit; return the new count and seconds until the window ends."""
        ...

    async def reset(self, key: str) -> None: ...


class MemoryRateLimiter:
    def __init__(self, now: Any = time.monotonic) -> None:
        self._now = now
        self._windows: dict[str, tuple[int, float]] = {}

    def _live(self, key: str) -> tuple[int, float] | None:
        entry = self._windows.get(key)
        if entry and entry[1] <= self._now():
            del self._windows[key]
            return None
        return entry

    async def count(self, key: str) -> tuple[int, int]:
        entry = self._live(key)
        if not entry:
            return 0, 0
        return entry[0], max(1, math.ceil(entry[1] - self._now()))

    async def hit(self, key: str, window_s: int) -> tuple[int, int]:
        entry = self._live(key)
        if len(self._windows) > 100_000:
            self._sweep()
        n, end = (entry[0] + 1, entry[1]) if entry else (1, self._now() + window_s)
        self._windows[key] = (n, end)
        return n, max(1, math.ceil(end - self._now()))

    async def reset(self, key: str) -> None:
        self._windows.pop(key, None)

    def _sweep(self) -> None:
        now = self._now()
        for k in [k for k, (_, end) in self._windows.items() if end <= now]:
            del self._windows[k]


class RedisRateLimiter:
    def __init__(self, url: str, *, prefix: str = "hutong:rl:") -> None:
        import redis.asyncio as aioredis

        self._client: aioredis.Redis = aioredis.Redis.from_url(url)
        self._prefix = prefix

    async def count(self, key: str) -> tuple[int, int]:
        pipe = self._client.pipeline()
        pipe.get(self._prefix + key)
        pipe.ttl(self._prefix + key)
        raw, ttl = await pipe.execute()
        return (int(raw), max(1, int(ttl))) if raw is not None else (0, 0)

    async def hit(self, key: str, window_s: int) -> tuple[int, int]:
        k = self._prefix + key
        pipe = self._client.pipeline()
        pipe.incr(k)
        pipe.expire(k, window_s, nx=True)
        pipe.ttl(k)
        n, _, ttl = await pipe.execute()
        return int(n), max(1, int(ttl))

    async def reset(self, key: str) -> None:
        await self._client.delete(self._prefix + key)

    async def close(self) -> None:
        await self._client.aclose()


# -- anti-spam limits per user and action ------------------------------------------------


@dataclass(frozen=True, slots=True)
class Limit:
    """At most `count` hits per fixed window of `window_s` seconds."""

    count: int
    window_s: int


def parse_limits(spec: str) -> tuple[Limit, ...]:
    """`"10/60,100/3600"` → 10 per minute and 100 per hour. Raises ValueError when malformed."""
    limits: list[Limit] = []
    for part in spec.split(","):
        count, _, window = part.strip().partition("/")
        if not (count.isdigit() and window.isdigit() and int(count) > 0 and int(window) > 0):
            raise ValueError(f"bad rate limit {part!r}: expected count/seconds, e.g. 10/60")
        limits.append(Limit(int(count), int(window)))
    return tuple(limits)


# When a user's account was created (None: unknown, treated as new).
AccountCreated = Callable[[int], Awaitable[dt.datetime | None]]


class ActionLimits:
    """Anti-spam limits per user and action (posts, comments, messages, friend requests…).

    Domains call `await limits.hit(user_id, "post")` before doing the action; over a limit it
    raises `TooManyRequests` with `Retry-After`. Accounts younger than `new_account_s` get the
    stricter `new` limits. Counts live in the `RateLimiter` (Redis when configured, so every
    worker shares them). A refused attempt still counts, so hammering does not shorten the wait.
    """

    def __init__(
        self,
        limiter: RateLimiter,
        clock: Clock,
        *,
        normal: Mapping[str, str],
        new: Mapping[str, str],
        new_account_s: int,
        created_at: AccountCreated,
        cache_size: int = 100_000,
    ) -> None:
        self.limiter = limiter
        self.clock = clock
        self.normal = {action: parse_limits(spec) for action, spec in normal.items()}
        self.new = {action: parse_limits(spec) for action, spec in new.items()}
        self.new_account_s = new_account_s
        self._created_at = created_at
        # Creation times never change, so they are cached (bounded, oldest entry dropped).
        self._created: dict[int, dt.datetime | None] = {}
        self._cache_size = cache_size

    async def _is_new(self, user_id: int) -> bool:
        if user_id in self._created:
            created = self._created[user_id]
        else:
            created = await self._created_at(user_id)
            if len(self._created) >= self._cache_size:
                del self._created[next(iter(self._created))]
            self._created[user_id] = created
        if created is None:
            return True
        return (self.clock.now() - created).total_seconds() < self.new_account_s

    async def limits_for(self, user_id: int, action: str) -> tuple[Limit, ...]:
        if action not in self.normal:
            # A programming error: every limited action is configured.
            raise ValueError(f"no rate limit configured for {action!r}")
        if action in self.new and await self._is_new(user_id):
            return self.new[action]
        return self.normal[action]

    async def hit(self, user_id: int, action: str) -> None:
        """Count one `action` by `user_id`; `TooManyRequests` if it is over a limit."""
        retry = 0
        for limit in await self.limits_for(user_id, action):
            n, ttl = await self.limiter.hit(
                f"act:{action}:{user_id}:{limit.window_s}", limit.window_s
            )
            if n > limit.count:
                retry = max(retry, ttl)
        if retry:
            noun = action.replace("_", " ")
            raise TooManyRequests(
                f"Too many attempts ({noun}); try again in {retry} s.", retry_after=retry
            )
