"""Checking traits against an identity schema, for the identity manager.

Wraps :mod:`phalanx.schema` in the one call the manager needs: look the schema up, validate
the traits, run the ``ory.sh/kratos`` extension, and turn problems into the 400 Kratos's
admin API answers (``herodot.ErrBadRequest.WithReasonf("%s", validationError)``), whose
reason names the instance location first::

    I[#/traits/email] "not-an-email" is not valid "email"
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from phalanx.errors import BadRequestError, KratosError

__all__ = ["SchemaAdapter", "TraitsInvalidError", "TraitsOutcome", "UnknownSchemaError"]


class UnknownSchemaError(BadRequestError):
    """400: the identity names a schema id the config does not have."""

    def __init__(self, schema_id: str) -> None:
        super().__init__(f"Unable to find JSON Schema ID: {schema_id}")
        self.schema_id = schema_id


class TraitsInvalidError(BadRequestError):
    """400: the traits fail the identity schema; ``errors`` holds every problem found."""

    def __init__(self, errors: list[Any]) -> None:
        super().__init__(_reason(errors[0]) if errors else "The traits are invalid.")
        self.errors = errors


@dataclass(slots=True)
class TraitsOutcome:
    """What the schema extension derived: identifiers by credential type, ``(via, value)``
    verifiable and recovery addresses, ``(channel, address)`` code addresses."""

    identifiers: dict[str, list[str]] = field(default_factory=dict)
    verifiable: list[tuple[str, str]] = field(default_factory=list)
    recovery: list[tuple[str, str]] = field(default_factory=list)
    code_addresses: list[tuple[str, str]] = field(default_factory=list)


def _pointer(dotted: str) -> str:
    """``traits.name\\.x`` -> ``#/traits/name.x`` (dot notation back to a JSON pointer)."""
    if not dotted:
        return "#"
    parts: list[str] = []
    current = ""
    escaped = False
    for char in dotted:
        if escaped:
            current += char
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ".":
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def _reason(error: Any) -> str:
    pointer = getattr(error, "pointer", "")
    message = getattr(error, "message", None)
    text = getattr(message, "text", None) or str(message or error)
    return f"I[{_pointer(str(pointer))}] {text}"


class SchemaAdapter:
    """The manager's view of :class:`phalanx.schema.SchemaRegistry`."""

    def __init__(self, registry: Any) -> None:
        self.registry = registry

    def _schema(self, schema_id: str) -> Any:
        ids = getattr(self.registry, "ids", None)
        if ids is not None and schema_id not in ids:
            # Exact ids only: the registry would also resolve a base64url segment.
            raise UnknownSchemaError(schema_id)
        try:
            schema = self.registry.get(schema_id)
        except (KratosError, KeyError, LookupError) as exc:
            raise UnknownSchemaError(schema_id) from exc
        if schema is None:
            raise UnknownSchemaError(schema_id)
        return schema

    def check(self, schema_id: str, traits: Any) -> TraitsOutcome:
        """Validate ``traits`` and derive the extension's outcome, or raise a 400."""
        from phalanx.schema import derive, validate_traits

        schema = self._schema(schema_id)
        raw = getattr(schema, "raw", schema)
        errors = validate_traits(raw, traits)
        if errors:
            raise TraitsInvalidError(errors)
        result = derive(raw, traits)
        return TraitsOutcome(
            identifiers={k: list(v) for k, v in result.identifiers.items()},
            verifiable=list(result.verifiable),
            recovery=list(result.recovery),
            code_addresses=list(result.code_addresses),
        )
