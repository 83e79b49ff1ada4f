"""Group commit: concurrent ops share one database transaction.

Every money movement in the process goes through one `GroupCommit`. Callers enqueue an op and
await its outcome; a single writer task takes everything queued (up to `max_batch`) and applies
it as one transaction with one blocking call (SQLite) or one round trip (PostgreSQL). While a
batch is being written, new ops queue up and form the next one, so the batch size follows the
load: one op at a time when idle, hundreds under pressure, with no timer adding latency. This is
what TigerBeetle does, and what makes one hash chain affordable: the chain head is read and
written once per batch, not once per transfer.

If a batch fails as a whole (a database error, not a refused op), each op that carries an
idempotency key is retried alone, so that one bad op cannot fail its neighbours; the key makes
the retry safe even if the failure came after the commit. Every op the wallet submits has one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from hutong.wallet.ledger.entries import Op, Outcome

log = logging.getLogger(__name__)
# Taken around each batch: on SQLite, the process's write turn (`Database.write_turn`).
Turn = Callable[[], AbstractAsyncContextManager[None]]


class LedgerStore(Protocol):
    async def apply(self, ops: Sequence[Op]) -> list[Outcome]: ...

    async def close(self) -> None: ...


class GroupCommit:
    def __init__(
        self, store: LedgerStore, *, max_batch: int = 500, turn: Turn | None = None
    ) -> None:
        self.store = store
        self.max_batch = max_batch
        self.turn = turn
        self._queue: deque[tuple[Op, asyncio.Future[Outcome]]] = deque()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self.batches = 0
        self.ops = 0

    async def submit(self, op: Op) -> Outcome:
        if self._closed:
            raise RuntimeError("the ledger writer is stopped")
        op.check()
        fut: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._queue.append((op, fut))
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="ledger-writer")
        # The writer finishes the op even if this caller is cancelled (a client hanging up):
        # the outcome is then only reachable by retrying with the same idempotency key.
        return await asyncio.shield(fut)

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                n = min(len(self._queue), self.max_batch)
                batch = [self._queue.popleft() for _ in range(n)]
                await self._write(batch)
            if self._closed:
                return

    async def _write(self, batch: list[tuple[Op, asyncio.Future[Outcome]]]) -> None:
        ops = [op for op, _ in batch]
        try:
            async with self.turn() if self.turn else contextlib.nullcontext():
                outcomes = await self.store.apply(ops)
        except Exception as exc:
            if len(batch) == 1:
                _settle(batch[0][1], exc)
                return
            log.warning("ledger batch of %d failed (%r); retrying one by one", len(batch), exc)
            for item in batch:
                if item[0].key:
                    await self._write([item])
                else:
                    # Without a key a retry could apply twice if the failure came after the
                    # commit (a connection lost on the way back); only the caller can tell.
                    _settle(item[1], exc)
            return
        self.batches += 1
        self.ops += len(ops)
        for (_, fut), outcome in zip(batch, outcomes, strict=True):
            _settle(fut, outcome)

    async def close(self) -> None:
        """Finish what is queued (never abandon a batch half-way), then release the store."""
        self._closed = True
        if self._task is not None:
            self._wake.set()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.store.close()


def _settle(fut: asyncio.Future[Outcome], result: Outcome | BaseException) -> None:
    if fut.done():
        return
    if isinstance(result, BaseException):
        fut.set_exception(result)
    else:
        fut.set_result(result)
