"""Filling a page from a source some of whose rows the viewer may not see.

Rows come newest first in batches; each batch is filtered (visibility, blocks) by `render`.
The page ends after `limit` visible items, or when the source is exhausted, or after a few
batches (so a long run of hidden rows costs bounded work: the cursor then points past them and
the next request continues there). `next_cursor` is the id of the last row looked at, so
nothing is skipped or repeated between pages.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, TypeVar

from hutong.microblog.cursors import write_id


class HasId(Protocol):
    @property
    def id(self) -> int: ...


Row = TypeVar("Row", bound=HasId)
Item = TypeVar("Item", bound=HasId)

MAX_ROUNDS = 5


async def fill_page(
    fetch: Callable[[int | None, int], Awaitable[Sequence[Row]]],
    render: Callable[[Sequence[Row]], Awaitable[list[Item]]],
    before: int | None,
    limit: int,
    *,
    batch: int | None = None,
) -> tuple[list[Item], str | None]:
    """(items, next_cursor) for one page; `fetch(before, n)` returns up to n rows below
    `before` (None: from the newest), newest first."""
    items: list[Item] = []
    batch = batch or limit + 5
    for _ in range(MAX_ROUNDS):
        rows = await fetch(before, batch)
        exhausted = len(rows) < batch
        for row, item_list in await _rendered(rows, render):
            before = row.id
            items += item_list
            if len(items) >= limit:
                more = not exhausted or row is not rows[-1]
                return items, write_id(row.id) if more else None
        if exhausted:
            return items, None
    return items, write_id(before) if before is not None else None


async def _rendered(
    rows: Sequence[Row], render: Callable[[Sequence[Row]], Awaitable[list[Item]]]
) -> list[tuple[Row, list[Item]]]:
    """Each row with what it rendered to (nothing if hidden), in order."""
    shown = {item.id: item for item in await render(rows)}
    return [(row, [shown[row.id]] if row.id in shown else []) for row in rows]
