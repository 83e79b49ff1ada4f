"""Presence: who has a socket open right now, across every worker. Never stored in the
database; it lives in this process (single worker) or in Redis (many workers).

With Redis each user has a hash `presence:<user id>` of worker id → expiry time. A worker
writes its field when the user's first socket on it opens, refreshes all its fields every
`ttl_s / 3`, and deletes its field when the user's last socket on it closes. A crashed worker's
fields simply expire, so nobody stays "online" forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from typing import Any

log = logging.getLogger(__name__)


class Presence:
    def __init__(self, redis_url: str | None, *, prefix: str = "hutong:", ttl_s: int = 60) -> None:
        self.worker_id = uuid.uuid4().hex[:12]
        self.ttl_s = ttl_s
        self._local: dict[int, int] = {}
        self._prefix = prefix + "presence:"
        self._redis: Any = None
        self._task: asyncio.Task[None] | None = None
        if redis_url:
            import redis.asyncio as aioredis

            self._redis = aioredis.Redis.from_url(redis_url)

    async def start(self) -> None:
        if self._redis is not None:
            self._task = asyncio.create_task(self._refresh_forever(), name="presence-refresh")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if self._redis is not None:
            with contextlib.suppress(Exception):
                pipe = self._redis.pipeline()
                for uid in self._local:
                    pipe.hdel(self._prefix + str(uid), self.worker_id)
                await pipe.execute()
            await self._redis.aclose()

    async def connected(self, user_id: int) -> bool:
        """Count a socket; True if the user was offline everywhere until now."""
        self._local[user_id] = self._local.get(user_id, 0) + 1
        if self._local[user_id] > 1:
            return False
        if self._redis is None:
            return True
        key = self._prefix + str(user_id)
        try:
            was_online = bool(await self._live_fields(user_id))
            await self._redis.hset(key, self.worker_id, time.time() + self.ttl_s)
            await self._redis.expire(key, self.ttl_s)
        except Exception as exc:
            log.warning("presence unavailable: %s", exc)
            return False
        return not was_online

    async def disconnected(self, user_id: int) -> bool:
        """Uncount a socket; True if the user is now offline everywhere."""
        left = self._local.get(user_id, 0) - 1
        if left > 0:
            self._local[user_id] = left
            return False
        self._local.pop(user_id, None)
        if self._redis is None:
            return True
        try:
            await self._redis.hdel(self._prefix + str(user_id), self.worker_id)
            return not await self._live_fields(user_id)
        except Exception as exc:
            log.warning("presence unavailable: %s", exc)
            return False

    async def _live_fields(self, user_id: int) -> list[str]:
        fields = await self._redis.hgetall(self._prefix + str(user_id))
        now = time.time()
        return [k for k, v in fields.items() if float(v) > now]

    async def online(self, user_ids: list[int]) -> set[int]:
        """Which of these users have a socket open on any worker."""
        if self._redis is None:
            return {u for u in user_ids if self._local.get(u)}
        pipe = self._redis.pipeline()
        for uid in user_ids:
            pipe.hgetall(self._prefix + str(uid))
        now = time.time()
        found: set[int] = set()
        for uid, fields in zip(user_ids, await pipe.execute(), strict=True):
            if any(float(v) > now for v in fields.values()):
                found.add(uid)
        return found

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(self.ttl_s / 3)
            try:
                expiry = time.time() + self.ttl_s
                pipe = self._redis.pipeline()
                for uid in list(self._local):
                    key = self._prefix + str(uid)
                    pipe.hset(key, self.worker_id, expiry)
                    pipe.expire(key, self.ttl_s)
                await pipe.execute()
            except Exception as exc:
                log.warning("presence refresh failed: %s", exc)
