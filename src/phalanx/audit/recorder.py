"""``AuditLog.record``: the one call that writes an audit event.

An event is chained and stored, then written as one structured log line (logger
``phalanx.audit``, with its ``seq`` and chain ``hash``) and counted in
``phalanx_audit_events_total{type,outcome}``.

**Transactions.** Audit rows are written in their own transaction right after the change
they describe has committed, before the answer is sent -- not inside the change's
transaction (the stores do not share connections). A process that dies between the two
loses that event; the change itself is never rolled back for the log. Concurrent
``record`` calls of one process share one transaction (group commit): whoever arrives
while a batch is being written waits for the next batch, so the chain's lock is taken
once per batch, not once per event.

**Failures.** A database error while writing is logged and counted in
``phalanx_audit_write_failures_total``; ``record`` then returns None and the flow goes on
(its change has already happened).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from phalanx.audit.context import current_origin
from phalanx.audit.events import Actor, AuditEvent, Outcome, StoredEvent
from phalanx.audit.port import AuditStore
from phalanx.clock import utcnow
from phalanx.metrics import AUDIT_EVENTS, AUDIT_WRITE_FAILURES

__all__ = ["MAX_USER_AGENT", "AuditLog"]

log = logging.getLogger("phalanx.audit")

MAX_USER_AGENT = 512
"""User agents are cut to this many characters (the column's size)."""

_Pending = tuple[AuditEvent, "asyncio.Future[StoredEvent]"]


class AuditLog:
    """Records audit events (``registry.audit``); a disabled log records nothing."""

    def __init__(
        self,
        store: AuditStore,
        *,
        enabled: bool = True,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.enabled = enabled
        self._clock = clock
        self._pending: list[_Pending] = []
        self._writer: asyncio.Task[None] | None = None

    async def record(
        self,
        type: str,
        *,
        identity_id: uuid.UUID | None = None,
        outcome: Outcome = "success",
        session_id: uuid.UUID | None = None,
        flow_id: uuid.UUID | None = None,
        details: Mapping[str, Any] | None = None,
        actor: Actor | None = None,
    ) -> StoredEvent | None:
        """Store one event (type: an :class:`~phalanx.audit.events.EventType` name).

        ``actor``, the client address and the user agent come from the current origin
        (:mod:`phalanx.audit.context`) unless ``actor`` is given. ``details`` must not
        hold secret values: names of methods and fields, counts, ids.
        """
        if not self.enabled:
            return None
        origin = current_origin()
        address, agent = origin.where()
        event = AuditEvent(
            type=type,
            occurred_at=self._clock(),
            actor=actor or origin.actor,
            outcome=outcome,
            identity_id=identity_id,
            session_id=session_id,
            flow_id=flow_id,
            client_address=address[:64] if address else None,
            user_agent=agent[:MAX_USER_AGENT] if agent else None,
            details=dict(details or {}),
        )
        try:
            stored = await self._append(event)
        except Exception:
            AUDIT_WRITE_FAILURES.inc()
            log.exception("could not store audit event %s", type, extra=_fields(event))
            return None
        AUDIT_EVENTS.labels(type, outcome).inc()
        log.info(
            "audit event %s",
            type,
            extra={**_fields(event), "audit_seq": stored.seq, "audit_hash": stored.hash},
        )
        return stored

    async def _append(self, event: AuditEvent) -> StoredEvent:
        future: asyncio.Future[StoredEvent] = asyncio.get_running_loop().create_future()
        self._pending.append((event, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                stored = await self.store.append([event for event, _ in batch])
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), row in zip(batch, stored, strict=True):
                if not future.done():
                    future.set_result(row)

    async def close(self) -> None:
        """Wait for the batch being written (call before closing the database)."""
        writer = self._writer
        if writer is not None and not writer.done():
            await asyncio.gather(writer, return_exceptions=True)


def _fields(event: AuditEvent) -> dict[str, Any]:
    return {
        "audit_event": {
            "id": str(event.id),
            "type": event.type,
            "actor": event.actor,
            "outcome": event.outcome,
            "identity_id": str(event.identity_id) if event.identity_id else None,
            "session_id": str(event.session_id) if event.session_id else None,
            "flow_id": str(event.flow_id) if event.flow_id else None,
            "client_address": event.client_address,
            "details": dict(event.details),
        }
    }
