"""Publish/subscribe by channel: in process for one worker, through Redis when workers share.

Delivery is at most once and only to subscribers present when the message is published, so
callers that must not lose anything keep a durable record (the messaging journal) and use this
only to say "something new happened" quickly.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol

import anyio
from redis.asyncio import Redis

SUBSCRIBE_TIMEOUT_SECONDS = 5.0


class Subscription(Protocol):
    async def get(self) -> bytes:
        """The next message; waits for one."""
        ...


class PubSub(Protocol):
    async def publish(self, channel: str, message: bytes) -> None: ...

    def subscribe(self, channel: str) -> AbstractAsyncContextManager[Subscription]:
        """Subscribed once entered: anything published after that is received."""
        ...


class _QueueSubscription:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()

    async def get(self) -> bytes:
        return await self.queue.get()


class MemoryPubSub:
    """One worker: every subscriber of a channel gets its own queue."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[_QueueSubscription]] = {}

    async def publish(self, channel: str, message: bytes) -> None:
        for subscription in list(self._subscribers.get(channel, ())):
            subscription.queue.put_nowait(message)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        subscription = _QueueSubscription()
        self._subscribers.setdefault(channel, set()).add(subscription)
        try:
            yield subscription
        finally:
            remaining = self._subscribers.get(channel)
            if remaining is not None:
                remaining.discard(subscription)
                if not remaining:
                    del self._subscribers[channel]

    def subscriber_count(self, channel: str) -> int:
        return len(self._subscribers.get(channel, ()))


class _RedisSubscription:
    def __init__(self, pubsub: Any) -> None:
        self._pubsub = pubsub

    async def get(self) -> bytes:
        while True:
            message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=None)
            if message is not None and message.get("type") == "message":
                data: bytes = message["data"]
                return data


class RedisPubSub:
    """Redis channels, one connection per subscription (it lives as long as the subscriber)."""

    def __init__(self, redis: Redis, key_prefix: str) -> None:
        self.redis = redis
        self.key_prefix = key_prefix

    def _name(self, channel: str) -> str:
        return f"{self.key_prefix}pubsub:{channel}"

    async def publish(self, channel: str, message: bytes) -> None:
        await self.redis.publish(self._name(channel), message)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        pubsub = self.redis.pubsub()
        try:
            await pubsub.subscribe(self._name(channel))
            # SUBSCRIBE is only in effect once Redis confirms it; a caller that reads its durable
            # record right after entering must not miss what is published in between.
            async with asyncio.timeout(SUBSCRIBE_TIMEOUT_SECONDS):
                while True:
                    confirmation = await pubsub.get_message(timeout=None)
                    if confirmation is not None and confirmation.get("type") == "subscribe":
                        break
            yield _RedisSubscription(pubsub)
        finally:
            # Shielded: a cancelled subscriber must still give its connection back.
            with anyio.CancelScope(shield=True), anyio.move_on_after(SUBSCRIBE_TIMEOUT_SECONDS):
                await pubsub.aclose()  # type: ignore[no-untyped-call]
