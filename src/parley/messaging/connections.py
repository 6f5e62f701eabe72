"""How many sockets each session has open, across every worker when Redis is configured."""

from __future__ import annotations

import time
from typing import Protocol

from redis.asyncio import Redis


class ConnectionRegistry(Protocol):
    async def acquire(self, session_id: str, connection_id: str, limit: int) -> bool:
        """Register the connection unless the session already has ``limit``; True if registered."""
        ...

    async def refresh(self, session_id: str, connection_id: str) -> None: ...

    async def release(self, session_id: str, connection_id: str) -> None: ...


class MemoryConnections:
    def __init__(self) -> None:
        self._open: dict[str, set[str]] = {}

    async def acquire(self, session_id: str, connection_id: str, limit: int) -> bool:
        current = self._open.setdefault(session_id, set())
        if len(current) >= limit:
            return False
        current.add(connection_id)
        return True

    async def refresh(self, session_id: str, connection_id: str) -> None:
        return None

    async def release(self, session_id: str, connection_id: str) -> None:
        current = self._open.get(session_id)
        if current is not None:
            current.discard(connection_id)
            if not current:
                del self._open[session_id]


# A sorted set per session: member = connection, score = when it was last seen alive. Entries of
# workers that died without releasing fall out once older than the stale window.
_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1] - ARGV[4])
if redis.call('ZSCORE', KEYS[1], ARGV[2]) == false and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
"""


class RedisConnections:
    def __init__(self, redis: Redis, key_prefix: str, stale_seconds: float) -> None:
        self.redis = redis
        self.key_prefix = key_prefix
        self.stale_ms = max(1000, int(stale_seconds * 1000))
        self._acquire = redis.register_script(_ACQUIRE)

    def _key(self, session_id: str) -> str:
        return f"{self.key_prefix}messaging:connections:{session_id}"

    async def acquire(self, session_id: str, connection_id: str, limit: int) -> bool:
        now_ms = int(time.time() * 1000)
        result = await self._acquire(
            keys=[self._key(session_id)], args=[now_ms, connection_id, limit, self.stale_ms]
        )
        return bool(result)

    async def refresh(self, session_id: str, connection_id: str) -> None:
        key = self._key(session_id)
        await self.redis.zadd(key, {connection_id: int(time.time() * 1000)}, xx=True)
        await self.redis.pexpire(key, self.stale_ms)

    async def release(self, session_id: str, connection_id: str) -> None:
        await self.redis.zrem(self._key(session_id), connection_id)
