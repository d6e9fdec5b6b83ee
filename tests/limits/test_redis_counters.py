"""The rate-limit counters in Redis (``phalanx.limits.redis_counters``) against the real
Redis on 127.0.0.1:6379: atomic hits, expiring windows, ``expire``/``delete``, and a
Redis that is down reported as :class:`CountersUnavailable`."""

from __future__ import annotations

import asyncio
import secrets
import socket
from collections.abc import AsyncIterator

import anyio
import pytest

from phalanx.limits.counters import CountersUnavailable
from phalanx.limits.redis_counters import RedisCounters

pytestmark = pytest.mark.anyio

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def counters() -> AsyncIterator[RedisCounters]:
    store = RedisCounters(REDIS_URL)
    yield store
    await store.close()


def _key() -> str:
    return secrets.token_hex(32)


async def test_concurrent_hits_each_see_their_own_count(counters: RedisCounters) -> None:
    key = _key()
    counts = await asyncio.gather(*(counters.hit(key, 60) for _ in range(50)))
    assert sorted(c.hits for c in counts) == list(range(1, 51))
    assert all(0 < c.ttl <= 60 for c in counts)
    await counters.delete([key])


async def test_windows_expire_and_can_be_moved(counters: RedisCounters) -> None:
    key = _key()
    assert (await counters.hit(key, 0.2)).hits == 1
    await anyio.sleep(0.3)
    assert await counters.peek(key) is None
    assert (await counters.hit(key, 3600)).hits == 1
    await counters.expire(key, 5)
    peeked = await counters.peek(key)
    assert peeked is not None and peeked.hits == 1 and 4 < peeked.ttl <= 5
    await counters.delete([key])
    assert await counters.peek(key) is None


async def test_redis_down_is_counters_unavailable() -> None:
    with socket.socket() as held:  # bound, never listening: connections are refused
        held.bind(("127.0.0.1", 0))
        port = held.getsockname()[1]
        store = RedisCounters(f"redis://127.0.0.1:{port}/0", timeout=1.0)
        for call in (store.hit(_key(), 1), store.peek(_key()), store.delete([_key()])):
            with pytest.raises(CountersUnavailable):
                await call
        await store.close()
