"""Audit events as JSON (``GET /admin/audit/events``, ``phalanx audit list``)."""

from __future__ import annotations

from typing import Any

from phalanx.audit.events import StoredEvent
from phalanx.clock import isoformat

__all__ = ["event_to_wire"]


def _id(value: object) -> str | None:
    return None if value is None else str(value)


def event_to_wire(stored: StoredEvent) -> dict[str, Any]:
    e = stored.event
    return {
        "id": str(e.id),
        "seq": stored.seq,
        "type": e.type,
        "time": isoformat(e.occurred_at),
        "actor": e.actor,
        "outcome": e.outcome,
        "identity_id": _id(e.identity_id),
        "session_id": _id(e.session_id),
        "flow_id": _id(e.flow_id),
        "client_address": e.client_address,
        "user_agent": e.user_agent,
        "details": dict(e.details),
        "prev_hash": stored.prev_hash,
        "hash": stored.hash,
    }
