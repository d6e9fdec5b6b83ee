"""The audit log: an append-only, hash-chained record of security events.

* :mod:`~phalanx.audit.events` -- :class:`AuditEvent`, :class:`EventType` (every type name),
  actors (``self``, ``admin``, ``admin_console``, ``system``) and outcomes;
* :mod:`~phalanx.audit.context` -- who acts and from where (:func:`acting_as`);
* :mod:`~phalanx.audit.recorder` -- :class:`AuditLog` (``registry.audit``): ``record(...)``
  stores an event, logs it and counts it;
* :mod:`~phalanx.audit.chain` -- the hash chain and :func:`verify`;
* :mod:`~phalanx.audit.port` -- the store port (SQL: ``persistence/sql/audit_store.py``).

Record an event::

    await registry.audit.record(
        EventType.LOCKOUT_STARTED, identity_id=identity.id, outcome="success",
        details={"identifier_hash": "...", "until": "2026-12-02T17:00:00Z"},
    )
"""

from phalanx.audit.chain import GENESIS, Anchor, VerifyReport, verify
from phalanx.audit.context import Origin, acting_as, current_origin
from phalanx.audit.events import ACTORS, Actor, AuditEvent, EventType, Outcome, StoredEvent
from phalanx.audit.port import AuditPage, AuditQuery, AuditStore
from phalanx.audit.recorder import AuditLog

__all__ = [
    "ACTORS",
    "GENESIS",
    "Actor",
    "Anchor",
    "AuditEvent",
    "AuditLog",
    "AuditPage",
    "AuditQuery",
    "AuditStore",
    "EventType",
    "Origin",
    "Outcome",
    "StoredEvent",
    "VerifyReport",
    "acting_as",
    "current_origin",
    "verify",
]
