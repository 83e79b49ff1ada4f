"""Page cursors. Clients treat them as opaque strings; a page's `next_cursor` is null at the end.

Lists ordered by id (posts, comments) use the last id shown; lists ordered by time (followers,
following) use the last entry's time and user id, so that entries with equal times neither
repeat nor vanish between pages.
"""

from __future__ import annotations

import datetime as dt

from hutong.microblog.errors import BadCursor

MAX_ID = 2**63 - 1


def read_id(cursor: str | None) -> int | None:
    if cursor is None or cursor == "":
        return None
    if not cursor.isdigit() or len(cursor) > 19 or not 0 < int(cursor) <= MAX_ID:
        raise BadCursor
    return int(cursor)


def write_id(last_id: int) -> str:
    return str(last_id)


def read_pair(cursor: str | None) -> tuple[dt.datetime, int] | None:
    """`<microseconds since the epoch>.<id>`."""
    if cursor is None or cursor == "":
        return None
    micros, _, ident = cursor.partition(".")
    if not (micros.isdigit() and ident.isdigit()) or len(micros) > 18 or len(ident) > 19:
        raise BadCursor
    try:
        at = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=int(micros))
    except OverflowError as exc:
        raise BadCursor from exc
    if not 0 < int(ident) <= MAX_ID:
        raise BadCursor
    return at, int(ident)


def write_pair(at: dt.datetime, ident: int) -> str:
    delta = at - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return f"{micros}.{ident}"
