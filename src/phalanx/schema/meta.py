"""The identity meta-schema, checked in code (``ory/kratos:embedx/identity_meta.schema.json``).

An identity schema must be a valid draft-07 JSON schema whose root ``properties.traits`` is
an object schema (``"type"``, if given, is ``"object"``) with at least one property. Every
trait property is an object schema; one that asks for verification
(``"ory.sh/kratos": {"verification": ...}``) may only use the formats ``email``, ``tel``,
``date``, ``time``, ``date-time`` or ``no-validate``. Wherever an ``ory.sh/kratos`` keyword
appears below a trait it must match the extension schema
(``ory/kratos:embedx/identity_extension.schema.json``): only known keys, booleans for the
credential flags, ``email``/``sms`` for ``via``, ``email_domain`` for the organisation matcher.

:func:`check_identity_schema` raises :class:`InvalidIdentitySchemaError` listing every
violation with its JSON pointer; :func:`identity_schema_problems` returns them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jsonschema import Draft7Validator

from phalanx.errors import MisconfigurationError

__all__ = [
    "EXTENSION_KEYWORD",
    "VERIFICATION_FORMATS",
    "InvalidIdentitySchemaError",
    "check_identity_schema",
    "identity_schema_problems",
]

EXTENSION_KEYWORD = "ory.sh/kratos"
VERIFICATION_FORMATS = ("email", "tel", "date", "time", "date-time", "no-validate")

_VIA = ("email", "sms")
# key -> allowed keys -> expected kind ("bool", or a tuple of allowed strings)
_CREDENTIALS: dict[str, dict[str, str | tuple[str, ...]]] = {
    "password": {"identifier": "bool"},
    "webauthn": {"identifier": "bool"},
    "passkey": {"display_name": "bool"},
    "totp": {"account_name": "bool"},
    "code": {"identifier": "bool", "via": _VIA},
}
_SECTIONS: dict[str, dict[str, str | tuple[str, ...]]] = {
    "verification": {"via": _VIA},
    "recovery": {"via": _VIA},
    "organizations": {"matcher": ("email_domain",)},
}


class InvalidIdentitySchemaError(MisconfigurationError):
    """An identity schema does not satisfy the identity meta-schema."""

    def __init__(self, schema_id: str, problems: list[str]) -> None:
        joined = "; ".join(problems)
        super().__init__(
            f"The identity schema `{schema_id}` is invalid: {joined}",
            message="The identity schema is invalid",
        )
        self.schema_id = schema_id
        self.problems = problems


def _ptr(base: str, key: str | int) -> str:
    token = str(key).replace("~", "~0").replace("/", "~1")
    return f"{base}/{token}"


def _check_fields(
    value: Any, allowed: Mapping[str, str | tuple[str, ...]], where: str, out: list[str]
) -> None:
    if not isinstance(value, Mapping):
        out.append(f"{where}: must be an object")
        return
    for key, item in value.items():
        expected = allowed.get(key)
        here = _ptr(where, key)
        if expected is None:
            out.append(f"{here}: unknown key {key!r}")
        elif expected == "bool":
            if not isinstance(item, bool):
                out.append(f"{here}: must be a boolean")
        elif not isinstance(item, str) or item not in expected:
            out.append(f"{here}: must be one of {', '.join(expected)}")


def _check_extension(config: Any, where: str, out: list[str]) -> None:
    if not isinstance(config, Mapping):
        out.append(f"{where}: must be an object")
        return
    for key, value in config.items():
        here = _ptr(where, key)
        if key == "credentials":
            if not isinstance(value, Mapping):
                out.append(f"{here}: must be an object")
                continue
            for kind, settings in value.items():
                fields = _CREDENTIALS.get(kind)
                if fields is None:
                    out.append(f"{_ptr(here, kind)}: unknown credential type {kind!r}")
                else:
                    _check_fields(settings, fields, _ptr(here, kind), out)
        elif key in _SECTIONS:
            _check_fields(value, _SECTIONS[key], here, out)
        else:
            out.append(f"{here}: unknown key {key!r}")


def _walk_extensions(node: Any, where: str, out: list[str]) -> None:
    # The extension schema applies to the trait and, through patternProperties ".*", to
    # every object value below it (arrays are not descended into).
    if not isinstance(node, Mapping):
        return
    if EXTENSION_KEYWORD in node:
        _check_extension(node[EXTENSION_KEYWORD], _ptr(where, EXTENSION_KEYWORD), out)
    for key, value in node.items():
        _walk_extensions(value, _ptr(where, key), out)


def _find_refs(node: Any, where: str, out: list[str]) -> None:
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key == "$ref":
                out.append(f"{_ptr(where, key)}: $ref is not allowed in identity schemas")
            _find_refs(value, _ptr(where, key), out)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            _find_refs(value, _ptr(where, index), out)


def _check_trait(name: str, trait: Any, where: str, out: list[str]) -> None:
    if not isinstance(trait, Mapping):
        out.append(f"{where}: trait {name!r} must be a schema object")
        return
    config = trait.get(EXTENSION_KEYWORD)
    verifies = isinstance(config, Mapping) and "verification" in config
    if verifies and "format" in trait and trait["format"] not in VERIFICATION_FORMATS:
        out.append(
            f"{_ptr(where, 'format')}: a trait with verification must use one of the "
            f"formats {', '.join(VERIFICATION_FORMATS)}"
        )
    _walk_extensions(trait, where, out)


def identity_schema_problems(raw: Any, *, allow_ref: bool = True) -> list[str]:
    """Every way ``raw`` violates the identity meta-schema (empty when it is valid)."""
    if not isinstance(raw, Mapping):
        return ["#: the identity schema must be a JSON object"]
    out = [
        f"#{''.join(_ptr('', p) for p in e.absolute_path)}: {e.message}"
        for e in Draft7Validator(Draft7Validator.META_SCHEMA).iter_errors(raw)
    ]
    if not allow_ref:
        _find_refs(raw, "#", out)
    properties = raw.get("properties")
    if not isinstance(properties, Mapping):
        out.append("#/properties: required and must be an object")
        return out
    traits = properties.get("traits")
    if not isinstance(traits, Mapping):
        out.append("#/properties/traits: required and must be an object schema")
        return out
    where = "#/properties/traits"
    if "type" in traits and traits["type"] != "object":
        out.append(f'{where}/type: must be "object"')
    trait_props = traits.get("properties")
    if not isinstance(trait_props, Mapping):
        out.append(f"{where}/properties: required and must be an object")
        return out
    if not trait_props:
        out.append(f"{where}/properties: must declare at least one trait")
    for name, trait in trait_props.items():
        _check_trait(str(name), trait, _ptr(f"{where}/properties", str(name)), out)
    return out


def check_identity_schema(schema_id: str, raw: Any, *, allow_ref: bool = True) -> None:
    """Raise :class:`InvalidIdentitySchemaError` naming ``schema_id`` if ``raw`` is invalid.

    ``allow_ref=False`` mirrors ``security.disallow_ref_in_identity_schemas``.
    """
    problems = identity_schema_problems(raw, allow_ref=allow_ref)
    if problems:
        raise InvalidIdentitySchemaError(schema_id, problems)
