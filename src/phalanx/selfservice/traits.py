"""Trait forms: what flows need from the identity schema (nodes, errors, identifiers).

Registration and settings render ``traits.*`` inputs from the schema, put validation
errors on those inputs, and need to know which traits are credential identifiers or
addresses (changing those is privileged in the settings flow).
"""

from __future__ import annotations

from typing import Any

from phalanx import text
from phalanx.errors import BadRequestError
from phalanx.identity.manager import IdentityManager
from phalanx.identity.model import Identity
from phalanx.schema import SchemaRegistry, derive, keys_in_order, validate_traits
from phalanx.text import UiText
from phalanx.ui import UiNode, nodes_from_schema

__all__ = ["TraitForms"]


class TraitForms:
    def __init__(self, schemas: SchemaRegistry, identities: IdentityManager) -> None:
        self.schemas = schemas
        self.identities = identities

    def _raw(self, schema_id: str | None = None) -> dict[str, Any]:
        schema = self.schemas.get(schema_id or self.identities.default_schema_id)
        return dict(schema.raw)

    def raw_schema(self, schema_id: str | None = None) -> dict[str, Any]:
        """The identity schema document (the default schema unless ``schema_id``)."""
        return self._raw(schema_id)

    def trait_nodes(
        self, *, group: str, values: Any = None, schema_id: str | None = None
    ) -> list[UiNode]:
        return nodes_from_schema(self._raw(schema_id), group=group, values=values)

    def schema_keys(self, schema_id: str | None = None) -> list[str]:
        return keys_in_order(self._raw(schema_id))

    def trait_errors(
        self, traits: Any, *, schema_id: str | None = None
    ) -> list[tuple[str, UiText]]:
        """Schema violations as ``(node name, message)`` (``traits.email`` …)."""
        return [(e.pointer, e.message) for e in validate_traits(self._raw(schema_id), traits)]

    def new_identity(self, traits: dict[str, Any], schema_id: str | None = None) -> Identity:
        """A new identity with identifiers and addresses derived from ``traits``."""
        identity = Identity(schema_id=schema_id or self.identities.default_schema_id, traits=traits)
        self.apply_extension(identity)
        return identity

    def apply_extension(self, identity: Identity) -> None:
        """Re-derive identifiers and addresses (raises FlowValidationError-able 400s)."""
        try:
            self.identities.validate(identity)
        except BadRequestError as exc:
            from phalanx.selfservice.flow.errors import FlowValidationError

            errors = getattr(exc, "errors", None)
            if errors:
                raise FlowValidationError(
                    node_messages=[(e.pointer, e.message) for e in errors]
                ) from exc
            raise

    def password_identifiers(self, identity: Identity) -> list[str]:
        return self.derived_identifiers(identity, "password")

    def derived_identifiers(self, identity: Identity, kind: str) -> list[str]:
        """What the schema extension derives from the traits for ``credentials.<kind>``
        (identifiers; for ``totp`` the account name)."""
        result = derive(self._raw(identity.schema_id), identity.traits)
        return list(dict.fromkeys(result.identifiers.get(kind, [])))

    def passkey_display_name(self, identity: Identity) -> str:
        """``PasskeyDisplayNameFromIdentity``: the trait marked ``passkey.display_name``,
        else the WebAuthn identifier, else ``""``."""
        result = derive(self._raw(identity.schema_id), identity.traits)
        for kind in ("passkey", "webauthn"):
            values = result.identifiers.get(kind) or []
            if values:
                return str(values[0])
        return ""

    def passkey_display_field(self, schema_id: str | None = None) -> str:
        """``PasskeyDisplayNameFromSchema``: ``traits.<path>`` of the trait naming a passkey
        (``passkey.display_name``, else ``webauthn.identifier``), else ``""``."""
        found: dict[str, str] = {}

        def walk(node: Any, path: list[str]) -> None:
            if not isinstance(node, dict):
                return
            ext = node.get("ory.sh/kratos")
            creds = ext.get("credentials") if isinstance(ext, dict) else None
            if isinstance(creds, dict):
                for kind, key in (("passkey", "display_name"), ("webauthn", "identifier")):
                    section = creds.get(kind)
                    if isinstance(section, dict) and section.get(key) is True:
                        found.setdefault(kind, ".".join(path))
            for name, sub in (node.get("properties") or {}).items():
                walk(sub, [*path, name])

        walk(self._raw(schema_id).get("properties", {}).get("traits", {}), ["traits"])
        return found.get("passkey") or found.get("webauthn") or ""

    def identifier_label(self) -> UiText:
        """The login ``identifier`` label: the title of the one identifier trait, else "ID"."""
        raw = self._raw()
        found: list[tuple[str, str]] = []
        traits = raw.get("properties", {}).get("traits", {})

        def walk(node: Any, path: list[str]) -> None:
            if not isinstance(node, dict):
                return
            ext = node.get("ory.sh/kratos", {})
            creds = ext.get("credentials", {}) if isinstance(ext, dict) else {}
            creds = creds if isinstance(creds, dict) else {}

            def flag(method: str, key: str) -> bool:
                config = creds.get(method, {})
                return isinstance(config, dict) and config.get(key) is True

            # Kratos GetIdentifierLabelFromSchema: any path that identifies a credential.
            if (
                flag("password", "identifier")
                or flag("webauthn", "identifier")
                or flag("passkey", "display_name")
                or flag("totp", "account_name")
                or flag("code", "identifier")
            ):
                found.append((".".join(path), str(node.get("title") or "")))
            for name, sub in (node.get("properties") or {}).items():
                walk(sub, [*path, name])

        walk(traits, ["traits"])
        if len(found) == 1 and found[0][1]:
            return text.label_generated(found[0][1], found[0][0])
        return text.label_id()

    @staticmethod
    def protected_fields_changed(before: Identity, after: Identity) -> bool:
        """Kratos ``ErrProtectedFieldModified``: identifiers or addresses changed."""

        def identifiers(identity: Identity) -> dict[str, set[str]]:
            return {t: set(c.identifiers) for t, c in identity.credentials.items() if c.identifiers}

        def addresses(identity: Identity) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
            return (
                {(a.via, a.value) for a in identity.verifiable_addresses},
                {(a.via, a.value) for a in identity.recovery_addresses},
            )

        return identifiers(before) != identifiers(after) or addresses(before) != addresses(after)
