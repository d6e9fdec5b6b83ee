"""The identity's JSON wire form, exactly as Kratos renders it (spec schema ``identity``).

Kratos has several marshalers for one ``identity.Identity``; this module mirrors them with
two switches:

* ``admin``: admin endpoints render ``metadata_admin`` (``WithCredentialsAndAdminMetadataInJSON``);
  everything else (sessions, whoami) strips it.
* ``credentials``: ``None`` leaves the key out, otherwise a :class:`CredentialsView` says which
  types keep their ``config`` (``include_credential``); the rest are rendered without it
  (``WithCredentialsNoConfig...`` / ``WithDeclassifiedCredentials``).

Empty address lists, an unset ``state_changed_at`` and an unset ``external_id`` are left out
(Go ``omitempty``); ``organization_id`` is always present (``null`` when unset); timestamps are
RFC 3339 in UTC with ``Z``.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from phalanx.identity.model import (
    Credential,
    CredentialType,
    Identity,
    RecoveryAddress,
    VerifiableAddress,
)

__all__ = [
    "CredentialsView",
    "credential_to_wire",
    "identity_to_wire",
    "recovery_address_to_wire",
    "rfc3339",
    "schema_url",
    "verifiable_address_to_wire",
]

_OIDC_TOKENS = ("initial_id_token", "initial_access_token", "initial_refresh_token")


def rfc3339(value: datetime) -> str:
    """RFC 3339 in UTC with a ``Z`` suffix, as Go's ``time.Time`` marshals (naive = UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def schema_url(public_base_url: str, schema_id: str) -> str:
    """``<public base_url>schemas/<base64url-no-padding(schema_id)>`` (Kratos ``IDToURL``)."""
    encoded = base64.urlsafe_b64encode(schema_id.encode()).decode().rstrip("=")
    base = public_base_url if public_base_url.endswith("/") else public_base_url + "/"
    return f"{base}schemas/{encoded}"


def _no_decrypt(value: str) -> str:
    return value


@dataclass(frozen=True, slots=True)
class CredentialsView:
    """Render ``credentials``; types in ``declassify`` keep their ``config``. ``decrypt``
    turns the stored (``secrets.cipher``-encrypted) OIDC tokens back into plain text."""

    declassify: frozenset[str] = frozenset()
    decrypt: Callable[[str], str] = _no_decrypt

    @classmethod
    def of(
        cls, types: Iterable[str] = (), decrypt: Callable[[str], str] | None = None
    ) -> CredentialsView:
        return cls(frozenset(types), decrypt or _no_decrypt)


def _declassified_oidc(
    config: dict[str, Any], *, with_tokens: bool, decrypt: Callable[[str], str] = _no_decrypt
) -> dict[str, Any]:
    providers: list[dict[str, Any]] = []
    for raw in config.get("providers") or []:
        if not isinstance(raw, dict):
            continue
        item: dict[str, Any] = {}
        if with_tokens:
            for token in _OIDC_TOKENS:
                value = raw.get(token)
                item[token] = decrypt(value) if isinstance(value, str) and value else ""
        item["subject"] = str(raw.get("subject") or "")
        item["provider"] = str(raw.get("provider") or "")
        if raw.get("organization"):
            item["organization"] = str(raw["organization"])
        if raw.get("use_auto_link"):
            item["use_auto_link"] = True
        providers.append(item)
    return {"providers": providers}


def credential_to_wire(
    credential: Credential, *, with_config: bool, decrypt: Callable[[str], str] = _no_decrypt
) -> dict[str, Any]:
    """One ``identityCredentials`` object; ``config`` only when declassified.

    OIDC/SAML configs are re-rendered like Kratos's ``WithDeclassifiedCredentials``: subject,
    provider, organization and auto-link (plus the three initial tokens for OIDC).
    """
    body: dict[str, Any] = {
        "type": str(credential.type),
        "identifiers": list(credential.identifiers),
    }
    if with_config:
        config = credential.config if isinstance(credential.config, dict) else {}
        # Phalanx-only bookkeeping (e.g. the TOTP replay guard) is not Kratos's config.
        config = {k: v for k, v in config.items() if not k.startswith("phalanx_")}
        if credential.type == CredentialType.OIDC:
            config = _declassified_oidc(config, with_tokens=True, decrypt=decrypt)
        elif credential.type == CredentialType.SAML:
            config = _declassified_oidc(config, with_tokens=False)
        body["config"] = config
    body["version"] = credential.version
    body["created_at"] = rfc3339(credential.created_at)
    body["updated_at"] = rfc3339(credential.updated_at)
    return body


def verifiable_address_to_wire(address: VerifiableAddress) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(address.id),
        "value": address.value,
        "verified": address.verified,
        "via": address.via,
        "status": str(address.status),
    }
    if address.verified_at is not None:
        body["verified_at"] = rfc3339(address.verified_at)
    body["created_at"] = rfc3339(address.created_at)
    body["updated_at"] = rfc3339(address.updated_at)
    return body


def recovery_address_to_wire(address: RecoveryAddress) -> dict[str, Any]:
    return {
        "id": str(address.id),
        "value": address.value,
        "via": address.via,
        "created_at": rfc3339(address.created_at),
        "updated_at": rfc3339(address.updated_at),
    }


def identity_to_wire(
    identity: Identity,
    *,
    public_base_url: str,
    admin: bool = True,
    credentials: CredentialsView | None = None,
) -> dict[str, Any]:
    """The ``identity`` JSON object (see the module docstring for the switches)."""
    body: dict[str, Any] = {"id": str(identity.id)}
    if credentials is not None and identity.credentials:
        body["credentials"] = {
            str(ctype): credential_to_wire(
                cred, with_config=ctype in credentials.declassify, decrypt=credentials.decrypt
            )
            for ctype, cred in sorted(identity.credentials.items())
        }
    body["schema_id"] = identity.schema_id
    body["schema_url"] = schema_url(public_base_url, identity.schema_id)
    body["state"] = str(identity.state)
    if identity.state_changed_at is not None:
        body["state_changed_at"] = rfc3339(identity.state_changed_at)
    body["traits"] = identity.traits
    if identity.verifiable_addresses:
        body["verifiable_addresses"] = [
            verifiable_address_to_wire(a) for a in identity.verifiable_addresses
        ]
    if identity.recovery_addresses:
        body["recovery_addresses"] = [
            recovery_address_to_wire(a) for a in identity.recovery_addresses
        ]
    body["metadata_public"] = identity.metadata_public
    if admin:
        body["metadata_admin"] = identity.metadata_admin
    body["created_at"] = rfc3339(identity.created_at)
    body["updated_at"] = rfc3339(identity.updated_at)
    body["organization_id"] = (
        str(identity.organization_id) if identity.organization_id is not None else None
    )
    if identity.external_id:
        body["external_id"] = identity.external_id
    return body
