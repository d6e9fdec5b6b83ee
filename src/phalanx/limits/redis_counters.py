"""Counters in Redis (``phalanx.rate_limits.redis_url``), for large deployments.

Each operation is one Lua script, which Redis runs atomically: a hit is ``INCR`` plus a
``PEXPIRE`` when the key has no expiry yet (a new window). Any connection or protocol
failure becomes :class:`~phalanx.limits.counters.CountersUnavailable`; the limiter
decides what that means (sign-in fails closed).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

from phalanx.limits.counters import Count, CountersUnavailable

__all__ = ["RedisCounters"]

_PREFIX = "phalanx:limits:"

_HIT = """
local hits = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {hits, ttl}
"""

_PEEK = """
local hits = redis.call('GET', KEYS[1])
if not hits then return false end
return {tonumber(hits), redis.call('PTTL', KEYS[1])}
"""


def _ms(seconds: float) -> int:
    return max(int(seconds * 1000), 1)


class RedisCounters:
    """:class:`~phalanx.limits.counters.Counters` on Redis (client created on first use,
    in the process and event loop that uses it)."""

    def __init__(self, url: str, *, timeout: float = 2.0) -> None:
        self.url = url
        self.timeout = timeout
        self._client: Any = None

    def _redis(self) -> Any:
        if self._client is None:
            from redis.asyncio import Redis

            self._client = Redis.from_url(
                self.url,
                socket_timeout=self.timeout,
                socket_connect_timeout=self.timeout,
                retry_on_timeout=False,
            )
        return self._client

    async def _eval(self, script: str, key: str, *args: Any) -> Any:
        from redis.exceptions import RedisError

        try:
            return await self._redis().eval(script, 1, _PREFIX + key, *args)
        except (RedisError, OSError) as exc:
            raise CountersUnavailable(str(exc)) from exc

    async def hit(self, key: str, window: float) -> Count:
        hits, ttl = await self._eval(_HIT, key, _ms(window))
        return Count(hits=int(hits), ttl=max(int(ttl), 0) / 1000)

    async def peek(self, key: str) -> Count | None:
        found = await self._eval(_PEEK, key)
        if not found:
            return None
        hits, ttl = found
        return Count(hits=int(hits), ttl=max(int(ttl), 0) / 1000)

    async def expire(self, key: str, ttl: float) -> None:
        from redis.exceptions import RedisError

        try:
            await self._redis().pexpire(_PREFIX + key, _ms(ttl))
        except (RedisError, OSError) as exc:
            raise CountersUnavailable(str(exc)) from exc

    async def delete(self, keys: Sequence[str]) -> None:
        from redis.exceptions import RedisError

        if not keys:
            return
        try:
            await self._redis().delete(*(_PREFIX + k for k in keys))
        except (RedisError, OSError) as exc:
            raise CountersUnavailable(str(exc)) from exc

    async def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            # Closing a broken connection must not fail the shutdown.
            with contextlib.suppress(Exception):
                await client.aclose()
