"""Publish/subscribe between the processes of one Hutong deployment.

In-process by default; Redis when `HUTONG_REDIS_URL` is set. Redis pub/sub is at-most-once and
its asyncio client does not resubscribe after a lost connection, so `RedisPubSub` runs one
supervised reader that reconnects with backoff, resubscribes every topic still wanted and then
calls the `on_reset` hooks: anything that keeps state derived from messages (the session cache,
open sockets) drops or re-reads it from the database, which is the source of truth.

Subscribers are plain synchronous callbacks that must not block (they typically put the message
on a queue); they run on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import orjson

log = logging.getLogger(__name__)

Message = dict[str, Any]
Callback = Callable[[str, Message], None]
ResetHook = Callable[[], None]


class Subscription:
    """A handle to undo one `subscribe`."""

    def __init__(self, pubsub: PubSub, topic: str, callback: Callback) -> None:
        self._pubsub = pubsub
        self.topic = topic
        self.callback = callback
        self._active = True

    async def close(self) -> None:
        if self._active:
            self._active = False
            await self._pubsub._remove(self)


class PubSub:
    """Local fan-out shared by both transports: one remote subscription per topic per process."""

    def __init__(self) -> None:
        self._subs: dict[str, list[Subscription]] = {}
        self._reset_hooks: list[ResetHook] = []

    async def start(self) -> None:
        """Open connections; called once at application start-up."""

    async def stop(self) -> None:
        """Close connections; called once at shutdown."""

    async def ping(self) -> None:
        """Raise if the transport is unusable."""

    async def publish(self, topic: str, message: Message) -> None:
        raise NotImplementedError

    async def publish_many(self, items: list[tuple[str, Message]]) -> None:
        """Publish several messages, in order (one round trip where the transport allows)."""
        for topic, message in items:
            await self.publish(topic, message)

    def on_reset(self, hook: ResetHook) -> None:
        """Call `hook` whenever messages may have been missed (after a reconnect)."""
        self._reset_hooks.append(hook)

    async def subscribe(self, topic: str, callback: Callback) -> Subscription:
        sub = Subscription(self, topic, callback)
        subs = self._subs.setdefault(topic, [])
        subs.append(sub)
        if len(subs) == 1:
            await self._remote_subscribe(topic)
        return sub

    async def _remove(self, sub: Subscription) -> None:
        subs = self._subs.get(sub.topic)
        if not subs:
            return
        with contextlib.suppress(ValueError):
            subs.remove(sub)
        if not subs:
            del self._subs[sub.topic]
            await self._remote_unsubscribe(sub.topic)

    async def _remote_subscribe(self, topic: str) -> None:
        pass

    async def _remote_unsubscribe(self, topic: str) -> None:
        pass

    def _dispatch(self, topic: str, message: Message) -> None:
        for sub in list(self._subs.get(topic, ())):
            try:
                sub.callback(topic, message)
            except Exception:
                log.exception("subscriber for %s failed", topic)

    def _fire_reset(self) -> None:
        for hook in self._reset_hooks:
            try:
                hook()
            except Exception:
                log.exception("pubsub reset hook failed")

    def subscriber_count(self) -> int:
        return sum(len(v) for v in self._subs.values())


class InProcessPubSub(PubSub):
    """Single-process deployments: publishing is a direct local dispatch."""

    async def publish(self, topic: str, message: Message) -> None:
        self._dispatch(topic, message)


class RedisPubSub(PubSub):
    """Many workers: messages travel through Redis channels prefixed with `prefix`."""

    def __init__(self, url: str, *, prefix: str = "hutong:") -> None:
        super().__init__()
        import redis.asyncio as aioredis

        self._url = url
        self._prefix = prefix
        self._client: aioredis.Redis = aioredis.Redis.from_url(url)
        self._pubsub: Any = None
        self._task: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self._lock = asyncio.Lock()
        self._stopping = False

    async def start(self) -> None:
        self._task = asyncio.create_task(self._supervise(), name="redis-pubsub")
        try:
            await asyncio.wait_for(self._connected.wait(), timeout=10)
        except TimeoutError:
            log.warning("redis pub/sub not connected yet; will keep trying")

    async def stop(self) -> None:
        self._stopping = True
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
        await self._client.aclose()

    async def ping(self) -> None:
        await self._client.ping()

    async def publish(self, topic: str, message: Message) -> None:
        await self._client.publish(self._prefix + topic, orjson.dumps(message))

    async def publish_many(self, items: list[tuple[str, Message]]) -> None:
        # A group message goes to hundreds of user topics: one pipelined round trip, not one
        # per member (non-transactional, so Redis applies them in order without MULTI).
        if not items:
            return
        async with self._client.pipeline(transaction=False) as pipe:
            for topic, message in items:
                pipe.publish(self._prefix + topic, orjson.dumps(message))
            await pipe.execute()

    async def _remote_subscribe(self, topic: str) -> None:
        async with self._lock:
            if self._pubsub is not None and topic in self._subs:
                try:
                    await self._pubsub.subscribe(self._prefix + topic)
                except Exception:
                    # The supervisor resubscribes everything once it reconnects.
                    log.warning("subscribe to %s deferred until redis reconnects", topic)

    async def _remote_unsubscribe(self, topic: str) -> None:
        async with self._lock:
            if self._pubsub is not None and topic not in self._subs:
                with contextlib.suppress(Exception):
                    await self._pubsub.unsubscribe(self._prefix + topic)

    async def _supervise(self) -> None:
        delay = 0.1
        while not self._stopping:
            try:
                await self._connect_and_read()
                delay = 0.1
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("redis pub/sub connection lost (%s); reconnecting", exc)
            self._connected.clear()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    async def _connect_and_read(self) -> None:
        async with self._lock:
            if self._pubsub is not None:
                with contextlib.suppress(Exception):
                    await self._pubsub.aclose()
            pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            # A control channel keeps the connection subscribed even with no topics wanted.
            await pubsub.subscribe(self._prefix + "_control")
            topics = [self._prefix + t for t in self._subs]
            if topics:
                await pubsub.subscribe(*topics)
            self._pubsub = pubsub
        self._connected.set()
        self._fire_reset()
        plen = len(self._prefix)
        while True:
            msg = await pubsub.get_message(timeout=5.0)
            if msg is None:
                await pubsub.ping()
                continue
            if msg.get("type") != "message":
                continue
            channel = msg["channel"].decode()
            self._dispatch(channel[plen:], orjson.loads(msg["data"]))


def make_pubsub(redis_url: str | None, prefix: str = "hutong:") -> PubSub:
    return RedisPubSub(redis_url, prefix=prefix) if redis_url else InProcessPubSub()
