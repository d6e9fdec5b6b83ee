"""A frozen clock for tests of an in-process Phalanx (flow and session expiry)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import TracebackType

from phalanx import clock

__all__ = ["FrozenClock"]


class FrozenClock:
    """``with FrozenClock() as now: ...; now.advance(hours=25)``: every "now" Phalanx reads
    (flow and session lifespans, expiries, ``issued_at``, the whoami cache's deadlines) is
    :attr:`now` until the block ends. Only for Phalanx running in this process."""

    def __init__(self, at: datetime | None = None) -> None:
        self.now = (at or datetime.now(UTC)).astimezone(UTC)

    def advance(self, delta: timedelta | None = None, **parts: float) -> datetime:
        """Move time forward by ``delta`` or ``timedelta(**parts)``; the new now."""
        self.now += delta if delta is not None else timedelta(**parts)
        clock.freeze(self.now)
        return self.now

    def __enter__(self) -> FrozenClock:
        if clock.frozen_at() is not None:
            raise RuntimeError("the clock is frozen already")
        clock.freeze(self.now)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        clock.freeze(None)
