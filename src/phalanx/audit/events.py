"""The audit event model: what happened, to whom, by whom, from where, and how it ended.

Event types are dotted names (``<subject>.<what>``). Every type Phalanx writes is a
constant of :class:`EventType`; helpers (``limits``, the admin console) use these names,
never string literals of their own.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

__all__ = ["ACTORS", "Actor", "AuditEvent", "EventType", "Outcome", "StoredEvent"]

Actor = Literal["self", "admin", "admin_console", "system"]
"""Who made the change: the identity itself (self-service), the admin API, the admin
console, or Phalanx on its own (cleanup, lockout expiry, CLI maintenance)."""

ACTORS: tuple[Actor, ...] = ("self", "admin", "admin_console", "system")

Outcome = Literal["success", "failure"]


class EventType:
    """Every audit event type (the ``type`` column and the ``type`` filter)."""

    # Self-service flows (actor "self").
    LOGIN_SUCCEEDED = "login.succeeded"
    LOGIN_FAILED = "login.failed"
    REGISTRATION_SUCCEEDED = "registration.succeeded"
    SETTINGS_UPDATED = "settings.updated"
    RECOVERY_SUCCEEDED = "recovery.succeeded"
    VERIFICATION_SUCCEEDED = "verification.succeeded"
    CREDENTIAL_ADDED = "credential.added"
    CREDENTIAL_REMOVED = "credential.removed"
    # Sessions (any actor).
    SESSION_ISSUED = "session.issued"
    SESSION_EXTENDED = "session.extended"
    SESSION_REVOKED = "session.revoked"
    SESSION_IDLE_EXPIRED = "session.idle_expired"
    # Brute-force protection (written by phalanx.limits).
    LOCKOUT_STARTED = "lockout.started"
    LOCKOUT_ENDED = "lockout.ended"
    # Operator changes (actor "admin" or "admin_console").
    IDENTITY_CREATED = "identity.created"
    IDENTITY_UPDATED = "identity.updated"
    IDENTITY_DELETED = "identity.deleted"
    IDENTITY_CREDENTIAL_DELETED = "identity.credential_deleted"
    RECOVERY_CODE_ISSUED = "recovery.code_issued"
    RECOVERY_LINK_ISSUED = "recovery.link_issued"
    COURIER_MESSAGE_RETRIED = "courier.message_retried"

    @classmethod
    def all(cls) -> tuple[str, ...]:
        return tuple(v for k, v in vars(cls).items() if k.isupper() and isinstance(v, str))


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One recorded event. ``details`` never holds secret values (no passwords, codes,
    tokens, trait values): names of fields and methods, counts, ids."""

    type: str
    occurred_at: datetime
    actor: Actor
    outcome: Outcome = "success"
    identity_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None
    flow_id: uuid.UUID | None = None
    client_address: str | None = None
    user_agent: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as stored: its place in the chain and the chain hashes."""

    seq: int
    event: AuditEvent
    prev_hash: str
    hash: str
