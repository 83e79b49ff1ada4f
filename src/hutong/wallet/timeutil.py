"""The ledger keeps time as integer microseconds since the epoch (UTC), so that the hashed text
of an entry has one spelling on every database; these convert at the edges."""

from __future__ import annotations

import datetime as dt


def from_us(us: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(us / 1_000_000, dt.UTC)


def to_us(when: dt.datetime) -> int:
    if when.tzinfo is None:
        raise ValueError("naive datetime")
    delta = when - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
