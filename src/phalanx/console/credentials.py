"""What the console shows of an identity's credentials: types, identifiers, names; never a
secret (no hashes, TOTP keys, backup codes, tokens or public keys).

A credential is offered for deletion when ``DELETE /admin/identities/{id}/credentials/{type}``
can delete its type (Kratos ``deleteIdentityCredentials``); the manager still applies the
rules (e.g. never the last first factor). Linked providers are deleted one at a time (the
API's ``identifier``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from phalanx.identity.model import Credential, Identity

__all__ = ["CredentialRow", "DeleteTarget", "credential_rows"]

_LABELS = {
    "password": "Password",
    "oidc": "Linked providers (OIDC)",
    "saml": "Linked providers (SAML)",
    "totp": "Authenticator app (TOTP)",
    "lookup_secret": "Backup codes",
    "webauthn": "Security keys (WebAuthn)",
    "passkey": "Passkeys",
    "code": "One-time codes",
}
_SECOND_FACTORS = frozenset({"totp", "lookup_secret", "webauthn"})
_PER_IDENTIFIER = frozenset({"oidc", "saml"})
_DELETABLE = frozenset({"password", "totp", "lookup_secret", "webauthn"}) | _PER_IDENTIFIER


@dataclass(frozen=True, slots=True)
class DeleteTarget:
    """One delete button: the type and (for linked providers) the identifier."""

    type: str
    identifier: str
    label: str


@dataclass(frozen=True, slots=True)
class CredentialRow:
    type: str
    label: str
    second_factor: bool
    identifiers: tuple[str, ...]
    names: tuple[str, ...]
    created_at: str
    updated_at: str
    deletes: tuple[DeleteTarget, ...]


def _key_names(credential: Credential) -> tuple[str, ...]:
    keys = credential.config.get("credentials") if isinstance(credential.config, Mapping) else None
    names: list[str] = []
    for key in keys if isinstance(keys, list) else ():
        if isinstance(key, Mapping):
            name = str(key.get("display_name") or "unnamed key")
            names.append(f"{name} (passwordless)" if key.get("is_passwordless") else name)
    return tuple(names)


def _providers(credential: Credential) -> tuple[str, ...]:
    providers = (
        credential.config.get("providers") if isinstance(credential.config, Mapping) else None
    )
    out: list[str] = []
    for item in providers if isinstance(providers, list) else ():
        if isinstance(item, Mapping) and item.get("provider"):
            out.append(str(item["provider"]))
    return tuple(out)


def _row(credential: Credential) -> CredentialRow:
    ctype = str(credential.type)
    label = _LABELS.get(ctype, ctype)
    identifiers = tuple(str(i) for i in credential.identifiers)
    names: tuple[str, ...] = ()
    if ctype in ("webauthn", "passkey"):
        names = _key_names(credential)
    elif ctype in _PER_IDENTIFIER:
        names = _providers(credential)
    deletes: tuple[DeleteTarget, ...] = ()
    if ctype in _PER_IDENTIFIER:
        deletes = tuple(DeleteTarget(ctype, i, f"Unlink {i}") for i in identifiers)
    elif ctype in _DELETABLE:
        deletes = (DeleteTarget(ctype, "", f"Delete {label.lower()}"),)
    return CredentialRow(
        type=ctype,
        label=label,
        second_factor=ctype in _SECOND_FACTORS,
        identifiers=identifiers,
        names=names,
        created_at=credential.created_at.isoformat(),
        updated_at=credential.updated_at.isoformat(),
        deletes=deletes,
    )


def credential_rows(identity: Identity) -> list[CredentialRow]:
    """The identity's credentials, in a stable order (type name)."""
    return [_row(c) for _, c in sorted(identity.credentials.items(), key=lambda kv: str(kv[0]))]
