"""The rate-limit counters in the database (``phalanx.limits.sql_counters``) on SQLite,
PostgreSQL and MariaDB: hits are atomic under concurrency, windows expire and restart,
``expire`` moves the end, ``delete`` forgets."""

from __future__ import annotations

import asyncio
import secrets

import anyio
import pytest

from phalanx.limits.sql_counters import SQLCounters
from phalanx.persistence.sql import Database

pytestmark = pytest.mark.anyio


def _key() -> str:
    return secrets.token_hex(32)


async def test_concurrent_hits_each_see_their_own_count(database: Database) -> None:
    counters, key = SQLCounters(database), _key()
    counts = await asyncio.gather(*(counters.hit(key, 60) for _ in range(30)))
    assert sorted(c.hits for c in counts) == list(range(1, 31))
    assert all(0 < c.ttl <= 60 for c in counts)
    peeked = await counters.peek(key)
    assert peeked is not None and peeked.hits == 30


async def test_a_window_that_ended_starts_again_at_one(database: Database) -> None:
    counters, key = SQLCounters(database), _key()
    assert (await counters.hit(key, 0.3)).hits == 1
    assert (await counters.hit(key, 0.3)).hits == 2
    await anyio.sleep(0.4)
    assert await counters.peek(key) is None
    again = await counters.hit(key, 60)
    assert again.hits == 1 and again.ttl > 59


async def test_expire_moves_the_end_and_delete_forgets(database: Database) -> None:
    counters, key, other = SQLCounters(database), _key(), _key()
    await counters.hit(key, 3600)
    await counters.expire(key, 5)
    peeked = await counters.peek(key)
    assert peeked is not None and 4 < peeked.ttl <= 5
    await counters.hit(other, 60)
    await counters.delete([key, other])
    assert await counters.peek(key) is None and await counters.peek(other) is None
    await counters.delete([])
