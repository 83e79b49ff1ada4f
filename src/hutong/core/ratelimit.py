"""Fixed-window counters for throttling (login attempts now; posts, requests, messages later).

In memory for a single process; in Redis when configured so every worker shares one count.
"""

from __future__ import annotations

import math
import time
from typing import Any, Protocol


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
