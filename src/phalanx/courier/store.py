"""The courier persistence port (Kratos ``courier/persistence.go``).

:class:`phalanx.persistence.sql.courier_store.SQLCourierStore` implements it. Beyond
Kratos's persister it knows three things a safe multi-worker queue needs: claiming a
batch atomically (``claim_batch``), handing claimed messages back untouched
(``release``), and recovering messages a crashed worker left in ``processing``
(``requeue_stale``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from phalanx.courier.message import Backoff, Message, MessageStatus

__all__ = ["CourierStore", "InvalidPageTokenError", "MessagePage"]


class InvalidPageTokenError(ValueError):
    """``page_token`` was not issued by this store."""


@dataclass(slots=True)
class MessagePage:
    messages: list[Message] = field(default_factory=list)
    next_token: str | None = None


class CourierStore(Protocol):
    """Messages and their dispatch log."""

    async def add(self, message: Message) -> None:
        """Insert a new message (its status is forced to ``queued``)."""
        ...

    async def get(self, message_id: uuid.UUID) -> Message | None:
        """The message with its dispatches (newest first), or ``None``."""
        ...

    async def list_messages(
        self,
        *,
        status: MessageStatus | None = None,
        recipient: str | None = None,
        page_size: int = 10,
        page_token: str | None = None,
    ) -> MessagePage:
        """Newest first (``created_at DESC, id``); ``recipient`` is an exact match."""
        ...

    async def claim_batch(
        self, limit: int, *, backoff: Backoff | None = None, max_attempts: int = 6
    ) -> list[Message]:
        """Atomically flip up to ``limit`` due ``queued`` messages to ``processing``.

        A message that already failed ``n`` times is due once ``backoff.delay(n)`` has
        passed since its last update; one with ``max_attempts`` or more attempts is due at
        once (the worker only abandons it). Safe with several workers.
        """
        ...

    async def increment_send_count(self, message_id: uuid.UUID) -> None: ...

    async def mark_sent(self, message_id: uuid.UUID) -> None:
        """Status ``sent`` and a ``success`` dispatch, in one transaction."""
        ...

    async def mark_failed(self, message_id: uuid.UUID, error: dict[str, Any]) -> None:
        """Back to ``queued`` and a ``failed`` dispatch carrying ``error``."""
        ...

    async def mark_abandoned(
        self, message_id: uuid.UUID, error: dict[str, Any] | None = None
    ) -> None:
        """Status ``abandoned``; with ``error``, also a ``failed`` dispatch."""
        ...

    async def release(self, message_ids: Sequence[uuid.UUID]) -> None:
        """Put claimed but unattempted messages back to ``queued``, as they were."""
        ...

    async def retry_abandoned(self, message_id: uuid.UUID) -> bool:
        """Put an ``abandoned`` message back to ``queued`` with its attempts reset (the
        admin console's "retry"); False when it is not abandoned (or unknown)."""
        ...

    async def requeue_stale(self, older_than: timedelta) -> int:
        """Re-queue ``processing`` messages not updated for ``older_than``; their count."""
        ...
