"""The revocation epoch: how every worker process learns that a whoami answer may have changed.

A Phalanx addition (Kratos has no whoami cache). Every write that can change what
``/sessions/whoami`` answers (sessions, identities, addresses) advances the epoch *after* it
committed; a cached answer is served only while the epoch it was read under is unchanged.

The counters live in an anonymous shared memory mapping (``MAP_SHARED``) that ``phalanx
serve`` creates *before* forking its workers, so a write in one worker is seen by every
other worker's very next request. Layout: one row per writer process (``slots``), each row
a global counter plus :data:`BUCKETS` per-identity counters (``identity_id.int % BUCKETS``).
A process only ever increments its own row, so no cross-process atomic read-modify-write is
needed: an aligned 8-byte store is atomic, and the epoch of an identity is the sum of the
global and its bucket's counters over all rows. The sums only grow, so an unchanged sum
means that no write touched that identity (or everyone) since.

Readers take a :meth:`RevocationEpoch.snapshot` *before* they read the database and derive
the stamp of the identity they found from it; a write that commits after the read began
advances the epoch after the snapshot, so the entry is stale on arrival and never served.
"""

from __future__ import annotations

import mmap
import secrets
import threading
import uuid
from collections.abc import Iterable
from typing import Protocol

__all__ = ["BUCKETS", "ChangeNotifier", "EpochSnapshot", "RevocationEpoch"]

BUCKETS = 1024
"""Per-identity counters per writer: a write invalidates ~1/1024 of the cache, not all of it."""

_STRIDE = BUCKETS + 1  # column 0: everyone; 1 + bucket: identities of that bucket
_CELL = 8


class ChangeNotifier(Protocol):
    """What stores call after a committed write that may change a whoami answer."""

    def changed(self, identity_ids: Iterable[uuid.UUID] | None = None) -> None:
        """The answers of these identities' sessions changed; ``None``: possibly anyone's."""
        ...


def _bucket(identity_id: uuid.UUID) -> int:
    return 1 + identity_id.int % BUCKETS


class EpochSnapshot:
    """The counters as they were at one instant (taken before a database read)."""

    __slots__ = ("_cells", "_rows")

    def __init__(self, data: bytes, rows: int) -> None:
        self._cells = memoryview(data).cast("Q")
        self._rows = rows

    def stamp(self, identity_id: uuid.UUID) -> int:
        """The identity's epoch at the time of the snapshot."""
        return _stamp(self._cells, self._rows, _bucket(identity_id))


def _stamp(cells: memoryview, rows: int, bucket: int) -> int:
    total = 0
    for row in range(rows):
        base = row * _STRIDE
        total += cells[base] + cells[base + bucket]
    return total


class RevocationEpoch:
    """Shared counters, one row per writer process (see the module docstring).

    Create it before forking with ``slots`` = the number of worker processes; every child
    calls :meth:`use_slot` with its own index first. A single process keeps the default
    (one slot).
    """

    def __init__(self, slots: int = 1) -> None:
        if slots < 1:
            raise ValueError("slots must be at least 1")
        self._rows = slots
        self._map = mmap.mmap(-1, slots * _STRIDE * _CELL)  # anonymous, MAP_SHARED
        self._cells = memoryview(self._map).cast("Q")
        self._slot = 0
        self._lock = threading.Lock()
        #: Names this host (all workers forked from the creator) in cross-host messages,
        #: so a host skips its own (:mod:`phalanx.invalidation`).
        self.origin = secrets.token_hex(8)

    @property
    def slots(self) -> int:
        return self._rows

    def use_slot(self, index: int) -> None:
        """Make this process write to row ``index`` (call once in each forked worker)."""
        if not 0 <= index < self._rows:
            raise ValueError(f"slot {index} out of range 0..{self._rows - 1}")
        self._slot = index

    def changed(self, identity_ids: Iterable[uuid.UUID] | None = None) -> None:
        """Advance the epoch of these identities (``None``: of everyone). Call after commit."""
        base = self._slot * _STRIDE
        with self._lock:  # writers of one process (threads) must not lose increments
            if identity_ids is None:
                self._cells[base] += 1
                return
            for bucket in {_bucket(i) for i in identity_ids}:
                self._cells[base + bucket] += 1

    def stamp(self, identity_id: uuid.UUID) -> int:
        """The identity's current epoch."""
        return _stamp(self._cells, self._rows, _bucket(identity_id))

    def snapshot(self) -> EpochSnapshot:
        return EpochSnapshot(self._map[:], self._rows)

    def close(self) -> None:
        self._cells.release()
        self._map.close()
