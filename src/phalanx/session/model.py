"""Session domain objects, mirroring Kratos's ``session.Session``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from phalanx.identity.model import Identity, utcnow

__all__ = ["AAL", "AuthenticationMethod", "Device", "Session", "compute_aal"]


class AAL(StrEnum):
    AAL0 = "aal0"
    AAL1 = "aal1"
    AAL2 = "aal2"
    AAL3 = "aal3"


@dataclass(slots=True)
class AuthenticationMethod:
    method: str
    aal: str = AAL.AAL1
    completed_at: datetime = field(default_factory=utcnow)
    provider: str | None = None
    organization: str | None = None

    def to_dict(self) -> dict[str, object]:
        from phalanx.clock import isoformat

        out: dict[str, object] = {
            "method": self.method,
            "aal": self.aal,
            "completed_at": isoformat(self.completed_at),
        }
        if self.provider:
            out["provider"] = self.provider
        if self.organization:
            out["organization"] = self.organization
        return out


@dataclass(slots=True)
class Device:
    ip_address: str | None
    user_agent: str | None
    location: str | None = ""
    id: uuid.UUID = field(default_factory=uuid.uuid4)


def compute_aal(methods: list[AuthenticationMethod]) -> str:
    """Kratos: aal0 without methods, aal2 only with a first and a second factor."""
    if not methods:
        return AAL.AAL0
    has_first = any(m.aal == AAL.AAL1 or m.method in ("oidc", "saml") for m in methods)
    has_second = any(m.aal == AAL.AAL2 and m.method not in ("oidc", "saml") for m in methods)
    if has_first and has_second:
        return AAL.AAL2
    return AAL.AAL1


@dataclass(slots=True)
class Session:
    """An authenticated session. ``token``/``logout_token`` are only known right after issuing;
    the store keeps their hashes."""

    identity_id: uuid.UUID
    expires_at: datetime
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    token: str | None = None
    logout_token: str | None = None
    active: bool = True
    issued_at: datetime = field(default_factory=utcnow)
    authenticated_at: datetime = field(default_factory=utcnow)
    aal: str = AAL.AAL1
    authentication_methods: list[AuthenticationMethod] = field(default_factory=list)
    devices: list[Device] = field(default_factory=list)
    identity: Identity | None = None
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)

    def is_active(self, now: datetime | None = None) -> bool:
        """``active`` as Kratos renders it: stored flag, not expired, identity active."""
        moment = now or utcnow()
        if not self.active or self.expires_at <= moment:
            return False
        return self.identity is None or self.identity.is_active
