"""``phalanx.session.idle_timeout``: a session unused for that long ends.

Every use of a session -- ``/sessions/whoami`` (cached answers included) and every flow
that reads the request's session -- goes through :meth:`IdleTimeout.alive`. The database
keeps the time of the last use (``sessions.used_at``; unset means "at authentication").
Writing it on every request would turn each whoami into a write, so a process writes it at
most once per *granularity* (a tenth of the timeout, at most one minute) per session: a
use within the granularity of the last use this process wrote needs no database at all,
because the session cannot have gone idle meanwhile. Otherwise one conditional statement
both checks and records the use (``UPDATE ... SET used_at = now WHERE token = ? AND
COALESCE(used_at, authenticated_at) >= now - timeout``), so several processes and hosts
agree through the database: a session another process used recently is alive here too.

A session found idle is revoked (``active = false``, which also invalidates every cached
whoami answer) and an audit event ``session.idle_expired`` is recorded.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = ["IdleTimeout", "SessionActivity", "granularity_for"]

MAX_TRACKED = 100_000
"""Sessions whose last recorded use a process remembers (least recently used dropped)."""


class SessionActivity(Protocol):
    async def touch(self, token_digest: str, now: datetime, cutoff: datetime) -> bool:
        """Record a use at ``now`` if the session was last used at or after ``cutoff``;
        False when it was not (idle, or no such session)."""
        ...

    async def expire(self, token_digest: str) -> tuple[uuid.UUID, uuid.UUID] | None:
        """Revoke the session (idle); ``(identity id, session id)``, None when there is no
        such active session."""
        ...


def granularity_for(timeout: timedelta) -> float:
    """Seconds between two recorded uses of one session by one process."""
    return max(min(timeout.total_seconds() / 10, 60.0), 0.001)


class IdleTimeout:
    """Checks and records session uses; see the module docstring."""

    def __init__(
        self,
        activity: SessionActivity,
        timeout: timedelta,
        *,
        on_expired: Callable[[uuid.UUID, uuid.UUID], Awaitable[object]] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.activity = activity
        self.timeout = timeout
        self.granularity = granularity_for(timeout)
        self.on_expired = on_expired
        self._clock = clock
        self._recorded: OrderedDict[str, float] = OrderedDict()

    def used_now(self, token_digest: str) -> None:
        """A session this process just issued (its ``authenticated_at`` is now)."""
        self._remember(token_digest, self._clock())

    def _remember(self, token_digest: str, moment: float) -> None:
        recorded = self._recorded
        recorded[token_digest] = moment
        recorded.move_to_end(token_digest)
        if len(recorded) > MAX_TRACKED:
            recorded.popitem(last=False)

    async def alive(self, token_digest: str) -> bool:
        """Record a use of the session; False (and the session revoked) when it had been
        idle for longer than the timeout."""
        now = self._clock()
        last = self._recorded.get(token_digest)
        if last is not None and now - last < self.granularity:
            return True
        moment = datetime.fromtimestamp(now, UTC)
        if await self.activity.touch(token_digest, moment, moment - self.timeout):
            self._remember(token_digest, now)
            return True
        self._recorded.pop(token_digest, None)
        ended = await self.activity.expire(token_digest)
        if ended is not None and self.on_expired is not None:
            await self.on_expired(*ended)
        return False
