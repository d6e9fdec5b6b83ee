"""``phalanx.session.idle_timeout``: a session unused for that long ends.

Every use of a session -- ``/sessions/whoami`` (cached answers included) and every flow
that reads the request's session -- goes through :meth:`IdleTimeout.alive`, which must not
turn whoami into a database write. So:

* each process remembers when *it* last saw each session used (memory only). A session
  this process saw used within the timeout is alive: no statement at all;
* so is a session authenticated within the timeout (whoami's lookup and the flows read
  ``authenticated_at`` with the session anyway: :meth:`IdleTimeout.known_use`);
* any other session is looked up: one indexed read of
  ``COALESCE(sessions.used_at, authenticated_at)``. Older than the timeout plus one
  *granularity* (a tenth of the timeout, at most a minute): the session is idle;
* uses are written to ``sessions.used_at`` in the background, at most one granularity
  after they happen, all sessions of a process in one batched ``UPDATE``, so other
  processes and hosts see them. The granularity of slack in the read above covers that
  delay: a session used anywhere is never ended early; an idle one ends at most about
  one granularity late.

An idle session is revoked (``active = false``, which also drops every cached whoami
answer) and reported to ``on_expired`` (the registry records ``session.idle_expired``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = ["IdleTimeout", "SessionActivity", "granularity_for"]

MAX_TRACKED = 100_000
"""Sessions whose last use a process remembers (least recently used dropped first)."""


class SessionActivity(Protocol):
    async def last_used(self, token_digest: str) -> datetime | None:
        """When the session was last used as far as the database knows (its
        authentication if never recorded); None when there is no such session."""
        ...

    async def record(self, token_digests: Sequence[str], at: datetime) -> None:
        """Store ``at`` as the last use of these sessions (never moving it back)."""
        ...

    async def expire(self, token_digest: str) -> tuple[uuid.UUID, uuid.UUID] | None:
        """Revoke the session (idle); ``(identity id, session id)``, None when there is no
        such active session."""
        ...


def granularity_for(timeout: timedelta) -> float:
    """Seconds by which writing a use may lag behind it (and an idle session end late)."""
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
        self._limit = timeout.total_seconds()
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._dirty: set[str] = set()
        self._flusher: asyncio.Task[None] | None = None

    def used_now(self, token_digest: str) -> None:
        """A session this process just issued (the database has it as used now)."""
        self._remember(token_digest, self._clock())

    def known_use(self, token_digest: str, at: datetime) -> None:
        """A use the caller knows of (the session's authentication, read with it): a
        session authenticated within the timeout needs no read to be known alive."""
        moment = at.timestamp()
        if moment > self._seen.get(token_digest, 0.0):
            self._remember(token_digest, moment)

    def _remember(self, token_digest: str, moment: float) -> None:
        seen = self._seen
        seen[token_digest] = moment
        seen.move_to_end(token_digest)
        if len(seen) > MAX_TRACKED:
            seen.popitem(last=False)

    async def alive(self, token_digest: str) -> bool:
        """Record a use of the session; False (and the session revoked) when it had not
        been used for longer than the timeout."""
        now = self._clock()
        last = self._seen.get(token_digest)
        if last is None or now - last > self._limit:
            used = await self.activity.last_used(token_digest)
            if used is not None and now - used.timestamp() > self._limit + self.granularity:
                return await self._expire(token_digest)
        self._remember(token_digest, now)
        self._dirty.add(token_digest)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush_later())
        return True

    async def _expire(self, token_digest: str) -> bool:
        self._seen.pop(token_digest, None)
        self._dirty.discard(token_digest)
        ended = await self.activity.expire(token_digest)
        if ended is not None and self.on_expired is not None:
            await self.on_expired(*ended)
        return False

    async def _flush_later(self) -> None:
        await asyncio.sleep(self.granularity)
        await self.flush()

    async def flush(self) -> None:
        """Write the uses seen since the last flush (one batched statement)."""
        dirty, self._dirty = self._dirty, set()
        if dirty:
            await self.activity.record(sorted(dirty), datetime.fromtimestamp(self._clock(), UTC))

    async def close(self) -> None:
        """Stop the background writer and write what is pending."""
        flusher, self._flusher = self._flusher, None
        if flusher is not None and not flusher.done():
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError, RuntimeError):
                await flusher
        await self.flush()
