"""Group commit: concurrent ops share one database transaction.

Every money movement in the process goes through one `GroupCommit`. Callers enqueue an op and
await its outcome; a `Batcher` (`core/batching.py`) takes everything queued (up to
`max_batch`) and applies it as one transaction with one blocking call (SQLite) or one round
trip (PostgreSQL). While a
batch is being written, new ops queue up and form the next one, so the batch size follows the
load: one op at a time when idle, hundreds under pressure, with no timer adding latency. This is
what TigerBeetle does, and what makes one hash chain affordable: the chain head is read and
written once per batch, not once per transfer.

If a batch fails as a whole (a database error, not a refused op), each op that carries an
idempotency key is retried alone, so that one bad op cannot fail its neighbours; the key makes
the retry safe even if the failure came after the commit. Every op the wallet submits has one.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from hutong.core.batching import Batcher
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
        self.turn = turn
        self._batcher: Batcher[Op, Outcome] = Batcher(
            self._write, max_batch=max_batch, name="ledger writer"
        )

    @property
    def batches(self) -> int:
        return self._batcher.batches

    @property
    def ops(self) -> int:
        return self._batcher.items

    async def submit(self, op: Op) -> Outcome:
        op.check()
        # The writer finishes the op even if this caller is cancelled (a client hanging up):
        # the outcome is then only reachable by retrying with the same idempotency key.
        return await self._batcher.submit(op)

    async def _write(self, ops: list[Op]) -> list[Outcome | BaseException]:
        try:
            async with self.turn() if self.turn else contextlib.nullcontext():
                return list(await self.store.apply(ops))
        except Exception as exc:
            if len(ops) == 1:
                return [exc]
            log.warning("ledger batch of %d failed (%r); retrying one by one", len(ops), exc)
            out: list[Outcome | BaseException] = []
            for op in ops:
                # Without a key a retry could apply twice if the failure came after the
                # commit (a connection lost on the way back); only the caller can tell.
                out.extend(await self._write([op]) if op.key else [exc])
            return out

    async def close(self) -> None:
        """Finish what is queued (never abandon a batch half-way), then release the store."""
        await self._batcher.close()
        await self.store.close()
