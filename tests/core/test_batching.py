"""The batcher under the ledger, chat, red envelope and SQLite group commits: concurrent items
share writes, each caller gets its own outcome, and nobody is left waiting."""

from __future__ import annotations

import asyncio

import pytest

from hutong.core.batching import Batcher


class Refused(Exception):
    pass


class Store:
    """Doubles each item; refuses negative ones; fails a whole batch holding 999."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.batches: list[list[int]] = []
        self.written: list[int] = []

    async def write(self, items: list[int]) -> list[int | BaseException]:
        await asyncio.sleep(self.delay)
        if 999 in items:
            raise OSError("disk on fire")
        self.batches.append(items)
        self.written.extend(i for i in items if i >= 0)
        return [Refused(i) if i < 0 else i * 2 for i in items]


async def test_concurrent_items_share_writes_and_each_gets_its_own_outcome() -> None:
    store = Store(delay=0.001)
    b: Batcher[int, int] = Batcher(store.write, max_batch=50, name="test")
    items = list(range(1, 401))
    outcomes = await asyncio.gather(*(b.submit(i) for i in items))
    assert outcomes == [i * 2 for i in items]
    assert sorted(store.written) == items
    assert len(store.batches) < 100  # they shared writes
    assert max(len(batch) for batch in store.batches) <= 50
    assert (b.batches, b.items) == (len(store.batches), 400)

    got = await asyncio.gather(*(b.submit(i) for i in (5, -1, 6)), return_exceptions=True)
    assert (got[0], got[2]) == (10, 12)
    assert isinstance(got[1], Refused)  # refused alone; its neighbours were written


async def test_a_batch_that_fails_as_a_whole_fails_every_caller_in_it() -> None:
    store = Store(delay=0.01)
    b: Batcher[int, int] = Batcher(store.write, max_batch=10, name="test")
    first = asyncio.create_task(b.submit(1))  # written alone while the rest queue
    await asyncio.sleep(0)
    got = await asyncio.gather(*(b.submit(i) for i in (12, 999, 14)), return_exceptions=True)
    assert await first == 2
    assert all(isinstance(g, OSError) for g in got)
    assert await b.submit(15) == 30  # and the batcher goes on


async def test_an_item_whose_caller_gave_up_is_still_written() -> None:
    store = Store(delay=0.05)
    b: Batcher[int, int] = Batcher(store.write, max_batch=10, name="test")
    caller = asyncio.create_task(b.submit(7))
    await asyncio.sleep(0.01)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    await b.drain()
    assert store.written == [7]


async def test_close_finishes_what_is_queued_then_refuses_more() -> None:
    store = Store(delay=0.01)
    b: Batcher[int, int] = Batcher(store.write, max_batch=3, name="test")
    waiting = [asyncio.create_task(b.submit(i)) for i in range(10)]
    await asyncio.sleep(0)
    await b.close()
    assert [t.result() for t in waiting] == [i * 2 for i in range(10)]
    with pytest.raises(RuntimeError, match="stopped"):
        await b.submit(1)


async def test_an_idle_batcher_holds_no_task_and_a_stopped_one_leaves_nobody_waiting() -> None:
    store = Store(delay=0.2)
    b: Batcher[int, int] = Batcher(store.write, max_batch=2, name="test")
    assert await b.submit(1) == 2
    assert b._task is not None
    assert b._task.done()  # no work, no task

    waiting = [asyncio.create_task(b.submit(i)) for i in range(5)]
    await asyncio.sleep(0.05)  # the first batch is being written, the rest queued
    assert b._task is not None
    b._task.cancel()  # what shutting the loop down does
    got = await asyncio.gather(*waiting, return_exceptions=True)
    assert all(isinstance(g, RuntimeError) and "stopped" in str(g) for g in got)
