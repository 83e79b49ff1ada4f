"""Injectable time, so expiry rules (2 minutes, 24 hours, 7 days) are testable."""

from __future__ import annotations

import datetime as dt
from typing import Protocol


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    """The wall clock."""

    def now(self) -> dt.datetime:
        return utcnow()


class ManualClock:
    """A clock that only moves when told to; for tests and the demo."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self._now = start or utcnow()

    def now(self) -> dt.datetime:
        return self._now

    def advance(self, **delta: float) -> None:
        self._now += dt.timedelta(**delta)


def as_utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; all stored times are UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
