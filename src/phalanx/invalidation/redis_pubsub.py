"""Redis pub/sub as the invalidation channel (``phalanx.session_cache.invalidation:
redis://…``): the one for MySQL/MariaDB deployments, and an option on every database.

A write ``PUBLISH``es after its commit, before the store returns (so before the response);
a failed publish is reported once and counted
(``phalanx_dependency_failures_total{dependency="whoami_invalidation_publish"}``) -- the
write stands, and the hosts that cannot reach Redis bypass their caches anyway. Each worker
process subscribes on its own connection, ``PING``s every
:data:`~phalanx.invalidation.channel.HEARTBEAT` seconds, and never reconnects silently
(redis-py would resubscribe behind our back and hide the messages missed meanwhile): a
lost connection ends :meth:`RedisChannel.listen`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from phalanx.invalidation.channel import HEARTBEAT, Channel
from phalanx.invalidation.message import CHANNEL
from phalanx.logs import dependency_failed, dependency_recovered

__all__ = ["LISTENER_PREFIX", "PUBLISH_DEPENDENCY", "RedisChannel"]

LISTENER_PREFIX = "phalanx-whoami-"
"""Subscribing connections are named this plus the worker's pid (``CLIENT LIST``)."""
PUBLISH_DEPENDENCY = "whoami_invalidation_publish"
_PUBLISH_TIMEOUT = 1.0  # seconds; a write's response waits at most this long for Redis


class RedisChannel(Channel):
    """``PUBLISH`` after commits; ``SUBSCRIBE`` with heartbeats on a dedicated connection."""

    name = "redis"

    def __init__(self, url: str) -> None:
        self.url = url
        self._publisher: Any = None

    def _client(self, **options: Any) -> Any:
        import redis.asyncio as aioredis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        return aioredis.Redis.from_url(
            self.url,
            socket_connect_timeout=2 * HEARTBEAT,
            retry=Retry(NoBackoff(), 0),
            **options,
        )

    async def before_commit(self, conn: AsyncConnection, payload: str) -> None:
        """Nothing: Redis hears of the write after its commit."""

    async def after_commit(self, payload: str) -> None:
        from redis.exceptions import RedisError

        if self._publisher is None:
            self._publisher = self._client(socket_timeout=_PUBLISH_TIMEOUT)
        try:
            await self._publisher.publish(CHANNEL, payload)
        except (RedisError, OSError) as exc:
            dependency_failed(
                PUBLISH_DEPENDENCY,
                "could not tell other hosts of a whoami change through Redis: %s",
                f"{type(exc).__name__}: {exc}",
            )
        else:
            dependency_recovered(PUBLISH_DEPENDENCY)

    async def listen(self, deliver: Callable[[str], None], subscribed: Callable[[], None]) -> None:
        client = self._client(client_name=f"{LISTENER_PREFIX}{os.getpid()}")
        pubsub = client.pubsub()
        try:
            await pubsub.subscribe(CHANNEL)
            deadline = time.monotonic() + 2 * HEARTBEAT
            while True:  # the confirmation: from here on no message is missed
                message = await pubsub.get_message(timeout=HEARTBEAT)
                if message is not None and message["type"] == "subscribe":
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError("SUBSCRIBE was not confirmed")
            subscribed()
            heard = time.monotonic()
            while True:
                message = await pubsub.get_message(timeout=HEARTBEAT)
                now = time.monotonic()
                if message is not None:
                    heard = now
                    if message["type"] == "message":
                        data = message["data"]
                        deliver(data.decode() if isinstance(data, bytes) else str(data))
                    continue
                if now - heard > 2 * HEARTBEAT:
                    raise TimeoutError("Redis did not answer PING")
                await pubsub.ping()
        finally:
            await pubsub.aclose()
            await client.aclose()

    async def close(self) -> None:
        if self._publisher is not None:
            await self._publisher.aclose()
            self._publisher = None
