"""The port every cross-host invalidation channel implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["HEARTBEAT", "Channel"]

HEARTBEAT = 1.0
"""Seconds between a listener's liveness checks; one unanswered for as long again counts
as a lost subscription (a silently dead connection is noticed within ~2 s)."""


class Channel(ABC):
    """Sends invalidation messages from writes and delivers other hosts' messages."""

    name: str

    @abstractmethod
    async def before_commit(self, conn: AsyncConnection, payload: str) -> None:
        """Inside the write transaction, after the writer is done."""

    @abstractmethod
    async def after_commit(self, payload: str) -> None:
        """After the write committed, before the store returns."""

    @abstractmethod
    async def listen(self, deliver: Callable[[str], None], subscribed: Callable[[], None]) -> None:
        """Subscribe, call ``subscribed()`` once the subscription is in place, then hand
        every message to ``deliver`` until the subscription is lost: then return or raise.
        Checks liveness every :data:`HEARTBEAT` seconds."""

    @abstractmethod
    async def close(self) -> None:
        """Release what sending needs (listeners close themselves when cancelled)."""
