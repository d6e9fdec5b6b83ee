"""The audit log page: events newest first, filtered by identity, type and time, each
linked to its identity; keyset pages as ``GET /admin/audit/events`` (the same store query).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from starlette.responses import Response

from phalanx.audit import AuditQuery, EventType

if TYPE_CHECKING:
    from phalanx.audit import StoredEvent
    from phalanx.console.endpoint import Console

__all__ = ["PAGE_SIZE", "audit_log"]

PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class EventRow:
    seq: int
    time: str
    type: str
    actor: str
    outcome: str
    identity_id: str | None
    session_id: str | None
    client_address: str
    details: str


def _uuid(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None


def _day(raw: str, *, end: bool) -> datetime | None:
    """A ``YYYY-MM-DD`` date input as a UTC bound (``end``: the next midnight)."""
    try:
        day = datetime.strptime(raw, "%Y-%m-%d").replace(tzinfo=UTC) if raw else None
    except ValueError:
        return None
    if day is not None and end:
        day = day.fromordinal(day.toordinal() + 1).replace(tzinfo=UTC)
    return day


def _details(values: object) -> str:
    if not isinstance(values, dict):
        return ""
    return ", ".join(f"{k}: {v}" for k, v in sorted(values.items()) if v not in (None, "", []))


def _row(stored: StoredEvent) -> EventRow:
    e = stored.event
    return EventRow(
        seq=stored.seq,
        time=e.occurred_at.isoformat(),
        type=e.type,
        actor=e.actor,
        outcome=e.outcome,
        identity_id=str(e.identity_id) if e.identity_id else None,
        session_id=str(e.session_id) if e.session_id else None,
        client_address=e.client_address or "",
        details=_details(dict(e.details)),
    )


async def audit_log(console: Console) -> Response:
    """``GET /admin/ui/audit?identity=&type=&since=&until=&before=``."""
    params = console.request.query_params
    identity = _uuid(params.get("identity", "").strip())
    types = EventType.all()
    chosen = params.get("type", "")
    chosen = chosen if chosen in types else ""
    since, until = params.get("since", ""), params.get("until", "")
    try:
        before = int(params.get("before", "")) or None
    except ValueError:
        before = None
    query = AuditQuery(
        identity_id=identity,
        types=(chosen,) if chosen else (),
        since=_day(since, end=False),
        until=_day(until, end=True),
        page_size=PAGE_SIZE,
        before_seq=before if before and before > 0 else None,
    )
    page = await console.registry.audit.store.page(query)
    filters = {
        "identity": str(identity) if identity else "",
        "type": chosen,
        "since": since if query.since else "",
        "until": until if query.until else "",
    }
    return console.page(
        "audit.html",
        "Audit log",
        rows=[_row(e) for e in page.events],
        filters=filters,
        types=sorted(types),
        enabled=console.registry.audit.enabled,
        next_url=console.url("audit", **filters, before=page.next_seq)
        if page.next_seq is not None
        else None,
        first_url=console.url("audit", **filters) if query.before_seq else None,
    )
