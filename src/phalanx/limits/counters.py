"""The counter store contract both backends (SQL, Redis) implement.

Every operation is atomic on its own, across processes and hosts: :meth:`Counters.hit`
increments and reads in one step, so concurrent requests never both see the same count.
A counter lives until ``expires_at``; the next hit after that starts a new window at 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = ["Count", "Counters", "CountersUnavailable", "NoCounters"]


@dataclass(frozen=True, slots=True)
class Count:
    """A counter after a hit: its value and how many seconds its window has left."""

    hits: int
    ttl: float


class CountersUnavailable(Exception):
    """The counter store cannot be reached (Redis down)."""


class Counters(Protocol):
    async def hit(self, key: str, window: float) -> Count:
        """Add one to ``key`` (a new window of ``window`` seconds if it has none)."""

    async def peek(self, key: str) -> Count | None:
        """The live counter ``key`` (None: none, or expired)."""

    async def expire(self, key: str, ttl: float) -> None:
        """Make ``key`` (if it exists) end ``ttl`` seconds from now."""

    async def delete(self, keys: Sequence[str]) -> None:
        """Forget ``keys``."""

    async def close(self) -> None:
        """Release connections."""


class NoCounters:
    """Counts nothing (the store of a switched-off limiter)."""

    async def hit(self, key: str, window: float) -> Count:
        return Count(hits=0, ttl=window)

    async def peek(self, key: str) -> Count | None:
        return None

    async def expire(self, key: str, ttl: float) -> None:
        return None

    async def delete(self, keys: Sequence[str]) -> None:
        return None

    async def close(self) -> None:
        return None
