"""What changed between two versions of an identity, by name only (never values).

Used for ``settings.updated`` (the self-service change) and ``identity.updated`` (the
operator's), so both describe a change the same way: trait paths, other fields, and
credential types added, removed or changed (a second security key counts as added).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from phalanx.identity.model import Credential, Identity

__all__ = ["IdentityChanges", "identity_changes"]

_FIELDS = ("schema_id", "state", "metadata_public", "metadata_admin", "external_id")
_MAX_DEPTH = 4


@dataclass(slots=True)
class IdentityChanges:
    fields: list[str] = field(default_factory=list)
    credentials_added: list[str] = field(default_factory=list)
    credentials_removed: list[str] = field(default_factory=list)
    credentials_changed: list[str] = field(default_factory=list)

    def details(self) -> dict[str, Any]:
        """Audit ``details``: only the non-empty lists."""
        out: dict[str, Any] = {}
        for name in ("fields", "credentials_added", "credentials_removed", "credentials_changed"):
            value = getattr(self, name)
            if value:
                out[name] = value
        return out


def _paths(prefix: str, before: Any, after: Any, depth: int, out: list[str]) -> None:
    if before == after:
        return
    if isinstance(before, dict) and isinstance(after, dict) and depth < _MAX_DEPTH:
        for key in sorted(set(before) | set(after), key=str):
            _paths(f"{prefix}.{key}", before.get(key), after.get(key), depth + 1, out)
        return
    out.append(prefix)


def _entries(credential: Credential | None) -> int:
    """How many keys a credential holds (WebAuthn/passkey lists), else 1 if it exists (a
    password credential without a hash -- what deleting a password leaves -- counts 0)."""
    if credential is None:
        return 0
    if credential.type == "password" and not (credential.config or {}).get("hashed_password"):
        return 0
    listed = credential.config.get("credentials") if credential.config else None
    return len(listed) if isinstance(listed, list) else 1


def identity_changes(before: Identity, after: Identity) -> IdentityChanges:
    changes = IdentityChanges()
    _paths("traits", before.traits, after.traits, 1, changes.fields)
    changes.fields.extend(f for f in _FIELDS if getattr(before, f) != getattr(after, f))
    for kind in sorted(set(before.credentials) | set(after.credentials)):
        old, new = before.credentials.get(kind), after.credentials.get(kind)
        had, has = _entries(old), _entries(new)
        if has > had:
            changes.credentials_added.append(kind)
        elif has < had:
            changes.credentials_removed.append(kind)
        elif (
            old is not None
            and new is not None
            and (old.config != new.config or old.identifiers != new.identifiers)
        ):
            changes.credentials_changed.append(kind)
    return changes
