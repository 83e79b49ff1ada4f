"""Password and PIN hashing with argon2id, off the event loop and with a bounded thread pool.

A production-strength hash costs ~0.3 s of CPU here; running it on the loop would stall every
request, and running unbounded in threads would let a login burst starve the server. The
hashes run on a small thread pool shared by the process (two threads unless told otherwise),
so at most that many run at once and the rest wait their turn. (A plain executor rather than
anyio's limited `to_thread`: on a payment's path that machinery cost more than a cheap hash.)
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

Profile = Literal["production", "test"]

_PROFILES: dict[str, dict[str, Any]] = {
    # RFC 9106 second recommendation, scaled to a small server.
    "production": {"time_cost": 3, "memory_cost": 64 * 1024, "parallelism": 2},
    # Tests hash thousands of passwords; strength does not matter there.
    "test": {"time_cost": 1, "memory_cost": 8, "parallelism": 1},
}


_POOLS: dict[int, ThreadPoolExecutor] = {}


def _pool(threads: int) -> ThreadPoolExecutor:
    pool = _POOLS.get(threads)
    if pool is None:
        pool = _POOLS[threads] = ThreadPoolExecutor(threads, thread_name_prefix="argon2")
    return pool


class Hasher:
    def __init__(self, profile: Profile = "production", *, max_threads: int = 2) -> None:
        self._ph = PasswordHasher(**_PROFILES[profile])
        self._pool = _pool(max_threads)
        # Verifying against this keeps "no such user" as slow as "wrong password".
        self._dummy = self._ph.hash("hutong-dummy-password")

    async def hash(self, secret: str) -> str:
        return await asyncio.get_running_loop().run_in_executor(self._pool, self._ph.hash, secret)

    async def verify(self, stored: str | None, secret: str) -> bool:
        return await asyncio.get_running_loop().run_in_executor(
            self._pool, self._verify, stored or self._dummy, secret, stored is not None
        )

    def _verify(self, stored: str, secret: str, real: bool) -> bool:
        try:
            ok = self._ph.verify(stored, secret)
        except (VerificationError, InvalidHashError):
            return False
        return ok and real
