"""Rate limits per principal: token buckets in Redis when REDIS_URL is set, in memory otherwise.

Each principal has a bucket of `burst` tokens refilled at `rate` tokens per second; a request
takes one. An empty bucket answers with the seconds until the next token (HTTP 429,
`Retry-After`). Redis keeps one bucket per principal for every API process.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Protocol

from redis.asyncio import Redis

from app.settings import Settings

# KEYS[1] bucket; ARGV: rate, burst, now (seconds, float). Returns seconds to wait (0: allowed).
_TAKE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + (now - at) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', now)
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return tostring(wait)
"""


class RateLimiter(Protocol):
    async def take(self, key: str) -> float:
        """Seconds until ``key`` may make a request; 0 when it may now (and a token is taken)."""
        ...


@dataclass
class MemoryRateLimiter:
    """Buckets in this process (one API process, or tests)."""

    rate: float
    burst: int
    buckets: dict[str, tuple[float, float]] = field(default_factory=dict)

    async def take(self, key: str) -> float:
        now = time.monotonic()
        tokens, at = self.buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.rate)
        if tokens >= 1:
            self.buckets[key] = (tokens - 1, now)
            return 0.0
        self.buckets[key] = (tokens, now)
        return (1 - tokens) / self.rate


@dataclass
class RedisRateLimiter:
    """Buckets shared by every API process through Redis (one Lua script per request)."""

    redis: Redis
    rate: float
    burst: int
    prefix: str = "crm:ratelimit:"

    async def take(self, key: str) -> float:
        args = (str(self.rate), str(self.burst), str(time.time()))
        wait = await self.redis.eval(_TAKE, 1, self.prefix + key, *args)  # type: ignore[misc]
        return float(wait)


def retry_after(wait: float) -> str:
    """The Retry-After header value: whole seconds, at least 1."""
    return str(max(1, math.ceil(wait)))


def create_rate_limiter(settings: Settings) -> RateLimiter:
    """Redis buckets when REDIS_URL is set, so every API process shares them; else in memory."""
    if settings.redis_url:
        redis = Redis.from_url(settings.redis_url)
        return RedisRateLimiter(redis, settings.rate_limit_per_second, settings.rate_limit_burst)
    return MemoryRateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst)
