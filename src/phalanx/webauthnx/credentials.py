"""The stored credential config of ``webauthn`` and ``passkey`` (Kratos
``identity.CredentialsWebAuthnConfig``): ``{"credentials": [key…], "user_handle": b64}``.

Byte fields are standard base64 with padding (Go's ``[]byte`` JSON), unlike the base64url
of the options JSON. Unknown fields of a stored key (``transport``, ``attestation``) are
kept as they are.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from phalanx.clock import isoformat

__all__ = ["WebAuthnConfig", "WebAuthnKey", "b64decode", "b64encode"]


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64decode(value: Any) -> bytes:
    """Standard base64 (Go's ``[]byte``); also accepts base64url. Bad input gives ``b""``."""
    if not isinstance(value, str) or not value:
        return b""
    text = value.replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return b""


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


@dataclass(slots=True)
class WebAuthnKey:
    """One registered authenticator (``CredentialWebAuthn``)."""

    id: bytes
    public_key: bytes
    attestation_type: str = "none"
    aaguid: bytes = b"\x00" * 16
    sign_count: int = 0
    clone_warning: bool = False
    display_name: str = ""
    added_at: datetime | None = None
    is_passwordless: bool = False
    user_present: bool = False
    user_verified: bool = False
    backup_eligible: bool = False
    backup_state: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def hex_id(self) -> str:
        """The id as the settings ``*_remove`` nodes carry it (lower-case hex)."""
        return self.id.hex()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": b64encode(self.id),
            "public_key": b64encode(self.public_key),
            "attestation_type": self.attestation_type,
            "authenticator": {
                "aaguid": b64encode(self.aaguid),
                "sign_count": self.sign_count,
                "clone_warning": self.clone_warning,
            },
            "display_name": self.display_name,
            "added_at": isoformat(self.added_at) if self.added_at else "0001-01-01T00:00:00Z",
            "is_passwordless": self.is_passwordless,
            "flags": {
                "user_present": self.user_present,
                "user_verified": self.user_verified,
                "backup_eligible": self.backup_eligible,
                "backup_state": self.backup_state,
            },
        }
        out.update(self.extra)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WebAuthnKey:
        authenticator = data.get("authenticator")
        authenticator = authenticator if isinstance(authenticator, Mapping) else {}
        flags = data.get("flags")
        flags = flags if isinstance(flags, Mapping) else {}
        sign_count = authenticator.get("sign_count")
        return cls(
            id=b64decode(data.get("id")),
            public_key=b64decode(data.get("public_key")),
            attestation_type=str(data.get("attestation_type") or ""),
            aaguid=b64decode(authenticator.get("aaguid")) or b"\x00" * 16,
            sign_count=sign_count if isinstance(sign_count, int) else 0,
            clone_warning=bool(authenticator.get("clone_warning")),
            display_name=str(data.get("display_name") or ""),
            added_at=_parse_time(data.get("added_at")),
            is_passwordless=bool(data.get("is_passwordless")),
            user_present=bool(flags.get("user_present")),
            user_verified=bool(flags.get("user_verified")),
            backup_eligible=bool(flags.get("backup_eligible")),
            backup_state=bool(flags.get("backup_state")),
            extra={k: data[k] for k in ("transport", "attestation") if k in data},
        )


@dataclass(slots=True)
class WebAuthnConfig:
    """A credential's config: its keys and the WebAuthn user handle."""

    keys: list[WebAuthnKey] = field(default_factory=list)
    user_handle: bytes = b""

    @classmethod
    def from_json(cls, data: Any) -> WebAuthnConfig:
        if not isinstance(data, Mapping):
            return cls()
        raw = data.get("credentials")
        keys = (
            [WebAuthnKey.from_json(k) for k in raw if isinstance(k, Mapping)]
            if isinstance(raw, list)
            else []
        )
        return cls(keys=[k for k in keys if k.id], user_handle=b64decode(data.get("user_handle")))

    def to_json(self) -> dict[str, Any]:
        return {
            "credentials": [k.to_json() for k in self.keys],
            "user_handle": b64encode(self.user_handle) if self.user_handle else None,
        }

    def filtered(self, *, passwordless: bool | None) -> list[WebAuthnKey]:
        """Keys usable at a level (``ToWebAuthnFiltered``): passwordless keys for aal1,
        the others for aal2; ``None`` gives all (a refresh accepts every key)."""
        if passwordless is None:
            return list(self.keys)
        return [k for k in self.keys if k.is_passwordless == passwordless]

    def find(self, key_id: bytes, among: Iterable[WebAuthnKey] | None = None) -> WebAuthnKey | None:
        for key in among if among is not None else self.keys:
            if key.id == key_id:
                return key
        return None
