"""The compiled term lists each worker checks text against, kept current without restarts.

The database is the source of truth; `moderation_state.lists` is bumped in the same transaction
as every term or allow-list change. A worker holds one immutable `Matcher` and replaces it
whole when the version moves:

* the worker that made a change refreshes before it answers, then publishes the new version on
  `moderation:lists`; every other worker refreshes when the message arrives (within
  milliseconds);
* Redis pub/sub is at-most-once, so a worker also refreshes after a pub/sub reconnect
  (`on_reset`) and compares versions every `refresh_s` seconds as a backstop.

Compiling 10,000 terms takes tens of milliseconds (the first time per process also builds the
Unicode tables), so it runs in a thread; checks keep using the previous matcher meanwhile.
Refreshes are serialised by a lock, and the version is read before the rows, so a matcher is
never labelled newer than what it holds (at worst it is rebuilt once more).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hutong.core.clock import Clock
from hutong.core.db import Database
from hutong.core.pubsub import PubSub
from hutong.moderation.matching import Action, Matcher, Rule
from hutong.moderation.models import AllowPhrase, ModerationState, Term

log = logging.getLogger(__name__)

LISTS_TOPIC = "moderation:lists"
LISTS_KEY = "lists"


async def read_version(session: AsyncSession) -> int:
    value = await session.scalar(
        select(ModerationState.value).where(ModerationState.key == LISTS_KEY)
    )
    return int(value or 0)


class TermLists:
    """This worker's current matcher."""

    def __init__(self, db: Database, pubsub: PubSub, clock: Clock, *, refresh_s: float) -> None:
        self.db = db
        self.pubsub = pubsub
        self.clock = clock
        self.refresh_s = refresh_s
        self.loaded_at: dt.datetime | None = None
        self._matcher: Matcher | None = None
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._poller: asyncio.Task[None] | None = None
        pubsub.on_reset(self._refresh_soon)

    @property
    def version(self) -> int:
        return self._matcher.version if self._matcher else -1

    async def start(self) -> None:
        await self.pubsub.subscribe(LISTS_TOPIC, self._on_message)
        await self.refresh()
        self._poller = asyncio.create_task(self._poll(), name="moderation-lists-poll")

    async def stop(self) -> None:
        tasks = [*self._tasks, *([self._poller] if self._poller else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def matcher(self) -> Matcher:
        """The current matcher; the first call in a process that was not started loads it."""
        matcher = self._matcher
        if matcher is None:
            await self.refresh()
            matcher = self._matcher
            assert matcher is not None
        return matcher

    async def refresh(self) -> bool:
        """Load and compile the lists if the database holds a newer version. True if it did."""
        async with self._lock:
            async with self.db.read() as s:
                version = await read_version(s)
                if self._matcher is not None and self._matcher.version == version:
                    return False
                # Plain rows, not ORM objects: 10,000 of them must not stall the event loop.
                columns = (Term.id, Term.term, Term.category, Term.action, Term.whole_word)
                terms = (await s.execute(select(*columns).order_by(Term.id))).all()
                phrases = (await s.scalars(select(AllowPhrase.phrase))).all()
            rules = [Rule(t.id, t.term, t.category, Action(t.action), t.whole_word) for t in terms]
            matcher = await asyncio.to_thread(Matcher, rules, list(phrases), version=version)
            for skipped in matcher.skipped:
                log.warning("term %s skipped: %s", skipped.rule.id, skipped.reason)
            self._matcher = matcher
            self.loaded_at = self.clock.now()
            return True

    def _refresh_soon(self) -> None:
        task = asyncio.get_running_loop().create_task(self._safe_refresh())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _safe_refresh(self) -> None:
        try:
            await self.refresh()
        except Exception:
            log.exception("refreshing the moderation lists failed; the poller will retry")

    def _on_message(self, _topic: str, message: dict[str, Any]) -> None:
        if int(message.get("version", 0)) != self.version:
            self._refresh_soon()

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.refresh_s)
            await self._safe_refresh()

    async def announce(self, version: int) -> None:
        """After a committed change: be current here first, then tell every other worker."""
        await self._safe_refresh()
        await self.pubsub.publish(LISTS_TOPIC, {"version": version})
