"""Batching: items that concurrent callers submit share one write.

`Batcher(write)` queues what `submit(item)` is given; one task hands everything queued (up to
`max_batch`) to `write(items)` and gives each caller the outcome at its place. While a batch
is being written the next one queues, so a batch carries one item when the process is idle and
hundreds under load, with no timer adding latency. The ledger's transfers, chat messages, red
envelope claims and SQLite's short write steps (`core/db.py` `GroupCommit`) all go through one.

What `write` owes its callers:

* one outcome per item, in order; an outcome that is an exception is raised to that item's
  caller alone (a refused item must not fail its neighbours);
* if it raises, the whole batch failed and every caller of it gets the exception. Retrying
  items one by one, where that is safe, is `write`'s business: only it knows whether an item
  can be applied twice.

An item is written even if its caller is cancelled (a client hanging up): callers wait on a
shielded future, and the outcome is then reachable by retrying with the item's idempotency
key. The task exists only while there is work, so an idle batcher holds nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

I = TypeVar("I")  # noqa: E741 (the item type)
R = TypeVar("R")

Write = Callable[[list[I]], Awaitable[Sequence[R | BaseException]]]


class Batcher(Generic[I, R]):
    def __init__(self, write: Write[I, R], *, max_batch: int, name: str) -> None:
        self._write = write
        self.max_batch = max_batch
        self.name = name
        self._queue: deque[tuple[I, asyncio.Future[R]]] = deque()
        self._inflight: list[asyncio.Future[R]] = []
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self.batches = 0
        self.items = 0

    async def submit(self, item: I) -> R:
        if self._closed:
            raise RuntimeError(f"the {self.name} is stopped")
        fut: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((item, fut))
        # `_run` returns only on finding the queue empty, with no await in between, so a task
        # that is not done will still see this item.
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name=self.name)
        return await asyncio.shield(fut)

    async def _run(self) -> None:
        while self._queue:
            n = min(len(self._queue), self.max_batch)
            batch = [self._queue.popleft() for _ in range(n)]
            self._inflight = [fut for _, fut in batch]
            try:
                outcomes: Sequence[R | BaseException] = await self._write([i for i, _ in batch])
                if len(outcomes) != len(batch):
                    raise RuntimeError(f"{self.name}: {len(outcomes)} outcomes for {len(batch)}")
            except Exception as exc:  # the batch as a whole failed
                outcomes = [exc] * len(batch)
            except BaseException:  # cancelled (shutdown): nobody may be left waiting
                stopped = RuntimeError(f"the {self.name} was stopped")
                for fut in [*self._inflight, *(f for _, f in self._queue)]:
                    if not fut.done():
                        fut.set_exception(stopped)
                self._queue.clear()
                raise
            finally:
                self._inflight = []
            self.batches += 1
            self.items += len(batch)
            for (_, fut), outcome in zip(batch, outcomes, strict=True):
                if fut.done():
                    continue
                if isinstance(outcome, BaseException):
                    fut.set_exception(outcome)
                else:
                    fut.set_result(outcome)

    async def drain(self) -> None:
        """Wait until everything submitted so far is written."""
        pending = [fut for _, fut in self._queue] + self._inflight
        if pending:
            await asyncio.wait(pending)
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def close(self) -> None:
        """Refuse new items, then finish what is queued (never a batch abandoned half-way)."""
        self._closed = True
        await self.drain()
