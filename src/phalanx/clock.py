"""Time: the current UTC instant and RFC 3339 rendering as Go marshals ``time.Time``.

Every "now" Phalanx reads goes through :func:`utcnow` (or :func:`unix` for the whoami
cache's deadlines), so a test can stop time with :func:`freeze`
(:class:`phalanx.testing.FrozenClock`). Monotonic timers (pool deadlines, retries) and the
TOTP window keep the real clock.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

__all__ = ["freeze", "frozen_at", "isoformat", "unix", "utcnow"]

_frozen: datetime | None = None


def utcnow() -> datetime:
    return datetime.now(UTC) if _frozen is None else _frozen


def unix() -> float:
    """Seconds since the epoch, as :func:`time.time` unless the clock is frozen."""
    return time.time() if _frozen is None else _frozen.timestamp()


def freeze(at: datetime | None) -> None:
    """Make :func:`utcnow` answer ``at`` (aware; converted to UTC) until ``freeze(None)``."""
    global _frozen
    if at is not None and at.tzinfo is None:
        raise ValueError("freeze() needs an aware datetime")
    _frozen = None if at is None else at.astimezone(UTC)


def frozen_at() -> datetime | None:
    return _frozen


def isoformat(value: datetime | None) -> str | None:
    """RFC 3339 in UTC with a ``Z`` suffix."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
