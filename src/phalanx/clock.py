"""Time: the current UTC instant and RFC 3339 rendering as Go marshals ``time.Time``."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["isoformat", "utcnow"]


def utcnow() -> datetime:
    return datetime.now(UTC)


def isoformat(value: datetime | None) -> str | None:
    """RFC 3339 in UTC with a ``Z`` suffix."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
