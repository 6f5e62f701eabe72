"""Per-key mutual exclusion: one message at a time per conversation, across workers with Redis."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from redis.asyncio import Redis

from parley.errors import ServiceUnavailable


def _busy() -> ServiceUnavailable:
    return ServiceUnavailable(
        "The conversation is busy with another message; retry shortly.", headers={"Retry-After": "1"}
    )


class LockStore(Protocol):
    def lock(self, key: str, wait_seconds: float = 30.0) -> AbstractAsyncContextManager[None]: ...


class MemoryLockStore:
    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    @asynccontextmanager
    async def lock(self, key: str, wait_seconds: float = 30.0) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            try:
                async with asyncio.timeout(wait_seconds):
                    await lock.acquire()
            except TimeoutError:
                raise _busy() from None
            try:
                yield
            finally:
                lock.release()
        finally:
            # Forget idle locks so that memory does not grow with every conversation ever seen.
            self._users[key] -= 1
            if self._users[key] == 0:
                del self._users[key]
                del self._locks[key]


_RELEASE_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisLockStore:
    """SET NX PX with an owner token; released only by its owner (a Lua compare-and-delete)."""

    def __init__(self, redis: Redis, key_prefix: str, lease_seconds: float = 60.0) -> None:
        self.redis = redis
        self.key_prefix = key_prefix
        self.lease_ms = int(lease_seconds * 1000)
        self._release = redis.register_script(_RELEASE_SCRIPT)

    @asynccontextmanager
    async def lock(self, key: str, wait_seconds: float = 30.0) -> AsyncIterator[None]:
        name = f"{self.key_prefix}lock:{key}"
        token = secrets.token_hex(16)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_seconds
        delay = 0.005
        while not await self.redis.set(name, token, nx=True, px=self.lease_ms):
            if loop.time() >= deadline:
                raise _busy()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.1)
        try:
            yield
        finally:
            await self._release(keys=[name], args=[token])
