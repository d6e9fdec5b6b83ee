"""The per-process cache of rendered ``/sessions/whoami`` answers (a Phalanx addition).

Keyed by the session token's SHA-256 digest (the token itself is never kept), bounded
(least recently used entries go first) and doubly limited in time: an entry is served only

* while the :class:`~phalanx.session.epoch.RevocationEpoch` of its identity is the one it
  was read under: every logout, revocation, session or identity write, in any worker of
  this server, invalidates it before its response is sent;
* before ``min(session expires_at, stored + max_ttl)``: an expired session is never
  answered from the cache, and a write nothing announced (SQL run by hand) is picked up
  after ``max_ttl`` at the latest;
* while its ``gate`` is up: with a cross-host channel (:mod:`phalanx.invalidation`) that
  is while this process is subscribed to it; otherwise the cache is neither read nor
  filled (whoami reads the database).
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from phalanx import clock
from phalanx.session.epoch import EpochSnapshot, RevocationEpoch

__all__ = ["ALWAYS_UP", "CacheGate", "WhoamiAnswer", "WhoamiCache"]


class CacheGate(Protocol):
    """Whether the cache may be used now (:class:`~phalanx.invalidation.ChannelHealth`)."""

    @property
    def up(self) -> bool: ...


class _AlwaysUp:
    __slots__ = ()
    up = True


ALWAYS_UP: CacheGate = _AlwaysUp()
"""The gate of a host-local cache (no cross-host channel)."""


@dataclass(frozen=True, slots=True)
class WhoamiAnswer:
    """An active session as whoami sends it: the JSON body and what the headers need.
    ``forbidden``: the session misses ``session.whoami.required_aal``; ``body`` is then the
    403 ``session_aal2_required`` error."""

    body: bytes
    identity_id: uuid.UUID
    expires_at: datetime
    forbidden: bool = False
    #: ``str(identity_id)``, rendered once with the body (the header of every answer).
    identity_header: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "identity_header", str(self.identity_id))


@dataclass(slots=True)
class _Entry:
    answer: WhoamiAnswer
    stamp: int
    deadline: float  # unix seconds


class WhoamiCache:
    """LRU of :class:`WhoamiAnswer` by token digest, checked against the revocation epoch."""

    def __init__(
        self,
        epoch: RevocationEpoch,
        *,
        max_entries: int,
        max_ttl: float,
        gate: CacheGate = ALWAYS_UP,
    ) -> None:
        self.epoch = epoch
        self.max_entries = max_entries
        self.max_ttl = max_ttl
        self.gate = gate
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, token_digest: str) -> WhoamiAnswer | None:
        """The cached answer, or None (missing, expired or invalidated: then dropped; or
        the gate is down)."""
        if not self.gate.up:
            return None
        entry = self._entries.get(token_digest)
        if entry is None:
            return None
        if (
            clock.unix() < entry.deadline
            and self.epoch.stamp(entry.answer.identity_id) == entry.stamp
        ):
            self._entries.move_to_end(token_digest)
            return entry.answer
        del self._entries[token_digest]
        return None

    def snapshot(self) -> tuple[EpochSnapshot, float]:
        """Take this *before* reading the database for :meth:`put`."""
        return self.epoch.snapshot(), clock.unix()

    def put(
        self, token_digest: str, answer: WhoamiAnswer, before: tuple[EpochSnapshot, float]
    ) -> None:
        """Remember an answer read after ``before`` was taken (see :meth:`snapshot`)."""
        if self.max_entries <= 0 or not self.gate.up:
            return
        snapshot, read_at = before
        deadline = min(answer.expires_at.timestamp(), read_at + self.max_ttl)
        self._entries[token_digest] = _Entry(answer, snapshot.stamp(answer.identity_id), deadline)
        self._entries.move_to_end(token_digest)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()
