"""Identity domain objects, mirroring Kratos's ``identity.Identity`` and friends.

Plain slotted dataclasses: persistence and HTTP layers convert them; nothing here
knows about SQL or JSON transport.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from phalanx import clock

__all__ = [
    "AddressStatus",
    "Credential",
    "CredentialType",
    "Identity",
    "IdentityState",
    "RecoveryAddress",
    "VerifiableAddress",
    "utcnow",
]


def utcnow() -> datetime:
    """Now in UTC with microsecond precision (what every database here can store)."""
    return clock.utcnow()


class IdentityState(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


class AddressStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    COMPLETED = "completed"


class CredentialType(StrEnum):
    """Credential types Kratos stores (``identity_credential_types``)."""

    PASSWORD = "password"
    OIDC = "oidc"
    TOTP = "totp"
    LOOKUP_SECRET = "lookup_secret"
    WEBAUTHN = "webauthn"
    CODE = "code"
    PASSKEY = "passkey"
    SAML = "saml"
    DEVICEAUTHN = "deviceauthn"


@dataclass(slots=True)
class VerifiableAddress:
    value: str
    via: str
    identity_id: uuid.UUID
    verified: bool = False
    status: str = AddressStatus.PENDING
    verified_at: datetime | None = None
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)


@dataclass(slots=True)
class RecoveryAddress:
    value: str
    via: str
    identity_id: uuid.UUID
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)


@dataclass(slots=True)
class Credential:
    """One credential of an identity (one per type), with its normalized identifiers."""

    type: str
    identifiers: list[str] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    version: int = 0
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)


@dataclass(slots=True)
class Identity:
    """An identity: traits validated by its schema, addresses and credentials derived from it."""

    schema_id: str
    traits: dict[str, Any]
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    state: str = IdentityState.ACTIVE
    state_changed_at: datetime | None = field(default_factory=utcnow)
    metadata_public: Any = None
    metadata_admin: Any = None
    external_id: str | None = None
    organization_id: uuid.UUID | None = None
    available_aal: str = "aal1"
    credentials: dict[str, Credential] = field(default_factory=dict)
    verifiable_addresses: list[VerifiableAddress] = field(default_factory=list)
    recovery_addresses: list[RecoveryAddress] = field(default_factory=list)
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)

    @property
    def is_active(self) -> bool:
        return self.state == IdentityState.ACTIVE

    def set_state(self, state: str, *, now: datetime | None = None) -> None:
        """Change the state, stamping ``state_changed_at`` only on a real change."""
        if state != self.state:
            self.state = state
            self.state_changed_at = now or utcnow()
