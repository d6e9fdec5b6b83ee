"""The audit store port: what the recorder, the admin API and the CLI need of storage."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from phalanx.audit.chain import Anchor
from phalanx.audit.events import AuditEvent, StoredEvent

__all__ = ["AuditPage", "AuditQuery", "AuditStore"]


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Filters and one keyset page, newest first (``before_seq``: the page token)."""

    identity_id: uuid.UUID | None = None
    types: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    page_size: int = 250
    before_seq: int | None = None


@dataclass(frozen=True, slots=True)
class AuditPage:
    events: list[StoredEvent]
    next_seq: int | None
    """Pass as ``before_seq`` for the next (older) page; None on the last page."""


class AuditStore(Protocol):
    async def append(self, events: Sequence[AuditEvent]) -> list[StoredEvent]:
        """Chain and store ``events`` in one transaction, serialised with every other
        writer (every process, every host)."""
        ...

    async def page(self, query: AuditQuery) -> AuditPage: ...

    async def anchor(self) -> Anchor: ...

    def scan(self, batch_size: int = 1000) -> AsyncIterator[StoredEvent]:
        """Every row, oldest first."""
        ...

    async def prune(self, cutoff: datetime, batch_size: int) -> int:
        """Delete rows older than ``cutoff`` (oldest first), moving the anchor."""
        ...
