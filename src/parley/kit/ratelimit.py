"""Per-key token buckets: in memory for one process, in Redis when workers must share a budget."""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int
    retry_after_seconds: int

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
        }


def _decide(tokens_after: float, allowed: bool, rate: float, burst: int) -> RateDecision:
    reset = math.ceil((burst - tokens_after) / rate) if tokens_after < burst else 0
    retry_after = 0 if allowed else max(1, math.ceil((1 - tokens_after) / rate))
    return RateDecision(
        allowed=allowed,
        limit=burst,
        remaining=max(0, math.floor(tokens_after)),
        reset_seconds=reset,
        retry_after_seconds=retry_after,
    )


class RateLimiter(Protocol):
    async def hit(self, bucket: str) -> RateDecision: ...


class MemoryRateLimiter:
    def __init__(self, per_second: float, burst: int) -> None:
        self.rate = per_second
        self.burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = asyncio.Lock()

    async def hit(self, bucket: str) -> RateDecision:
        async with self._lock:
            now = time.monotonic()
            tokens, stamp = self._buckets.get(bucket, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - stamp) * self.rate)
            allowed = tokens >= 1
            if allowed:
                tokens -= 1
            self._buckets[bucket] = (tokens, now)
            return _decide(tokens, allowed, self.rate, self.burst)


# Uses the Redis server's clock so that workers with drifting clocks still share one bucket.
_BUCKET_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local data = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(data[1]) or burst
local ts = tonumber(data[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {allowed, tostring(tokens)}
"""


class RedisRateLimiter:
    def __init__(self, redis: Redis, per_second: float, burst: int, key_prefix: str) -> None:
        self.redis = redis
        self.rate = per_second
        self.burst = burst
        self.key_prefix = key_prefix
        self._script = redis.register_script(_BUCKET_SCRIPT)

    async def hit(self, bucket: str) -> RateDecision:
        allowed, tokens = await self._script(
            keys=[f"{self.key_prefix}ratelimit:{bucket}"], args=[self.rate, self.burst]
        )
        return _decide(float(tokens), bool(int(allowed)), self.rate, self.burst)
