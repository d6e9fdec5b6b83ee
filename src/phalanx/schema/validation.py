"""Trait validation with Kratos's messages (``ory/kratos:ui/container.ParseError``).

:func:`validate_traits` validates ``{"traits": traits}`` against the identity schema with
python-jsonschema (draft from ``$schema``, draft 7 by default) and Kratos's format checks,
then turns every leaf error into a :class:`~phalanx.schema.traits.TraitError` exactly as
Kratos renders it:

==========================  ======================================================
keyword                     message
==========================  ======================================================
``required``                4000002 "Property email is missing." at parent + property
``minLength``/``maxLength`` 4000003 / 4000017 "length must be >= 3, but got 1"
``pattern``                 4000004 ``does not match pattern "^a$"``
``minimum`` ... ``maximum`` 4000018-4000021 "must be >= 5 but found 2"
``multipleOf``              4000022 "7 not multipleOf 3"
``maxItems``/``minItems``   4000023 / 4000024
``uniqueItems``             4000025, one per equal pair
``type``                    4000026 "expected string, but got number" (only this error
                            is reported for a schema whose type does not match)
``const``                   4000029 (scalar) / 4000030 "const failed"
anything else               4000001 with the validator's text, e.g. ``format``:
                            ``"notanemail" is not valid "email"``, ``enum``:
                            ``value must be one of "a", "b"``
==========================  ======================================================

``anyOf``/``oneOf`` failures report the errors of every branch, as Kratos does. Problems the
``ory.sh/kratos`` extension finds (see :mod:`phalanx.schema.extension`) are appended;
identical messages for the same place are reported once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import jsonschema
from jsonschema.exceptions import ValidationError

from phalanx.schema.extension import derive
from phalanx.schema.formats import format_checker
from phalanx.schema.paths import resolve_local_ref
from phalanx.schema.traits import TraitError, dot_pointer
from phalanx.text import (
    UiText,
    validation_const,
    validation_const_generic,
    validation_exclusive_maximum,
    validation_exclusive_minimum,
    validation_generic,
    validation_max_items,
    validation_max_length,
    validation_maximum,
    validation_min_items,
    validation_min_length,
    validation_minimum,
    validation_multiple_of,
    validation_pattern,
    validation_required,
    validation_unique_items,
    validation_wrong_type,
)
from phalanx.text.gofmt import go_quote, go_sharp_v

__all__ = ["FORMAT_ERROR_TEMPLATE", "json_type", "validate_document", "validate_traits"]

FORMAT_ERROR_TEMPLATE = "{value} is not valid {format}"
"""How a failed ``format`` reads (``ory/jsonschema``: ``%q is not valid %q``)."""

# The order in which ory/jsonschema evaluates keywords within one schema.
_KEYWORD_ORDER = [
    "$ref",
    "type",
    "const",
    "enum",
    "format",
    "not",
    "allOf",
    "anyOf",
    "oneOf",
    "if",
    "then",
    "else",
    "minProperties",
    "maxProperties",
    "required",
    "dependentRequired",
    "properties",
    "propertyNames",
    "patternProperties",
    "additionalProperties",
    "dependencies",
    "dependentSchemas",
    "minItems",
    "maxItems",
    "uniqueItems",
    "prefixItems",
    "items",
    "additionalItems",
    "contains",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "exclusiveMinimum",
    "maximum",
    "exclusiveMaximum",
    "multipleOf",
]
_RANK = {k: i for i, k in enumerate(_KEYWORD_ORDER)}
_NAMED_CHILDREN = {"properties", "patternProperties", "dependencies", "dependentSchemas"}
_LISTED_CHILDREN = {"allOf", "anyOf", "oneOf", "prefixItems"}


def json_type(value: Any) -> str:
    """The JSON type name ``ory/jsonschema`` reports (every number is ``number``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    return "object"


def _json_equal(a: Any, b: Any) -> bool:
    if json_type(a) != json_type(b):
        return False
    if isinstance(a, Mapping):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _scalar_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _path_escape(name: str) -> str:
    # ory/jsonschema escapes a missing property's name for its JSON pointer (url.PathEscape
    # after ~0/~1); Kratos prints the last pointer segment as it is.
    return quote(name.replace("~", "~0").replace("/", "~1"), safe="$&+,:;=@~")


def _enum_text(values: Sequence[Any]) -> str:
    if any(isinstance(v, Mapping | list) for v in values):
        return "enum failed"
    if len(values) == 1:
        return f"value must be {go_sharp_v(values[0])}"
    return "value must be one of " + ", ".join(go_sharp_v(v) for v in values)


class _Translator:
    def __init__(self, validator: Any, root: Mapping[str, Any]) -> None:
        self.validator = validator
        self.root = root
        self.seen: set[tuple[Any, ...]] = set()

    def schema_key(self, error: ValidationError) -> tuple[int, ...]:
        """Sort key: keyword ranks along the schema path, names by declaration order."""
        node: Any = self.root
        key: list[int] = []
        tokens = list(error.absolute_schema_path)
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if token == "$ref" and isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
                key.append(_RANK["$ref"])
                try:
                    node = resolve_local_ref(self.root, node["$ref"])
                except (ValueError, IndexError):
                    node = None
                i += 1
                continue
            key.append(_RANK.get(str(token), len(_RANK)))
            child = node.get(token) if isinstance(node, Mapping) else None
            if token in _NAMED_CHILDREN and i + 1 < len(tokens) and isinstance(child, Mapping):
                names = list(child)
                name = tokens[i + 1]
                key.append(names.index(name) if name in names else len(names))
                node = child.get(name)
                i += 2
                continue
            if (token in _LISTED_CHILDREN or (token == "items" and isinstance(child, list))) and (
                i + 1 < len(tokens) and isinstance(tokens[i + 1], int)
            ):
                key.append(tokens[i + 1])
                node = child[tokens[i + 1]] if isinstance(child, list) else None
                i += 2
                continue
            node = child
            i += 1
        return tuple(key)

    def prune_type_siblings(self, errors: list[ValidationError]) -> list[ValidationError]:
        """Drop what ory/jsonschema never evaluates once a schema's ``type`` fails."""
        blocked = [
            (tuple(e.absolute_schema_path)[:-1], tuple(e.absolute_path))
            for e in errors
            if e.validator == "type"
        ]
        kept = []
        for e in errors:
            schema_path, instance_path = tuple(e.absolute_schema_path), tuple(e.absolute_path)
            if e.validator != "type" and any(
                schema_path[: len(s)] == s and instance_path[: len(p)] == p for s, p in blocked
            ):
                continue
            kept.append(e)
        return kept

    def translate(self, errors: Iterable[ValidationError]) -> Iterator[TraitError]:
        ordered = sorted(self.prune_type_siblings(list(errors)), key=self.schema_key)
        for error in ordered:
            yield from self.leaf(error)

    def leaf(self, error: ValidationError) -> Iterator[TraitError]:
        tokens = list(error.absolute_path)
        kind, value, instance = error.validator, error.validator_value, error.instance
        schema = error.schema if isinstance(error.schema, Mapping) else {}
        if kind in ("anyOf", "oneOf") and error.context:
            yield from self.translate(error.context)
            return
        if kind == "required":
            for name in value:
                if isinstance(instance, Mapping) and name not in instance:
                    yield TraitError(
                        dot_pointer([*tokens, name]), validation_required(_path_escape(name))
                    )
            return
        if kind == "uniqueItems":
            for i in range(1, len(instance)):
                for j in range(i):
                    if _json_equal(instance[i], instance[j]):
                        yield TraitError(dot_pointer(tokens), validation_unique_items(j, i))
            return
        if kind == "contains":
            contains = self.validator.evolve(schema=value)
            for index, item in enumerate(instance):
                for sub in self.translate(contains.iter_errors(item)):
                    prefix = dot_pointer([*tokens, index])
                    pointer = f"{prefix}.{sub.pointer}" if sub.pointer else prefix
                    yield TraitError(pointer, sub.message)
            return
        if kind in ("dependencies", "dependentRequired") and not error.context:
            yield from self.missing_dependencies(error, tokens)
            return
        if kind == "propertyNames":
            yield TraitError(dot_pointer([*tokens, instance]), self.message(error, schema))
            return
        if "propertyNames" in error.absolute_schema_path and isinstance(instance, str):
            tokens.append(instance)
        yield TraitError(dot_pointer(tokens), self.message(error, schema))

    def missing_dependencies(
        self, error: ValidationError, tokens: list[Any]
    ) -> Iterator[TraitError]:
        """``property "b" is required, if "a" property exists``, once per missing pair."""
        key = ("dependencies", tuple(error.absolute_schema_path), tuple(tokens))
        if key in self.seen or not isinstance(error.instance, Mapping):
            return
        self.seen.add(key)
        for dname, needed in (error.validator_value or {}).items():
            if dname in error.instance and isinstance(needed, list):
                for pname in needed:
                    if pname not in error.instance:
                        reason = (
                            f"property {go_quote(pname)} is required, "
                            f"if {go_quote(dname)} property exists"
                        )
                        yield TraitError(dot_pointer(tokens), validation_generic(reason))

    def message(self, error: ValidationError, schema: Mapping[str, Any]) -> UiText:
        kind, value, instance = error.validator, error.validator_value, error.instance
        if kind is None:
            return validation_generic("always fail")
        if kind == "type":
            types = [value] if isinstance(value, str) else list(value)
            return validation_wrong_type(types, json_type(instance))
        if kind == "minLength":
            return validation_min_length(int(value), len(instance))
        if kind == "maxLength":
            return validation_max_length(int(value), len(instance))
        if kind == "pattern":
            return validation_pattern(str(value))
        if kind == "minimum":
            if schema.get("exclusiveMinimum") is True:  # draft 4
                return validation_exclusive_minimum(float(value), float(instance))
            return validation_minimum(float(value), float(instance))
        if kind == "maximum":
            if schema.get("exclusiveMaximum") is True:  # draft 4
                return validation_exclusive_maximum(float(value), float(instance))
            return validation_maximum(float(value), float(instance))
        if kind == "exclusiveMinimum":
            return validation_exclusive_minimum(float(value), float(instance))
        if kind == "exclusiveMaximum":
            return validation_exclusive_maximum(float(value), float(instance))
        if kind == "multipleOf":
            return validation_multiple_of(float(value), float(instance))
        if kind == "minItems":
            return validation_min_items(int(value), len(instance))
        if kind == "maxItems":
            return validation_max_items(int(value), len(instance))
        if kind == "const":
            if isinstance(value, Mapping | list):
                return validation_const_generic()
            return validation_const(go_sharp_v(value))
        return validation_generic(self.generic_reason(error, schema))

    def generic_reason(self, error: ValidationError, schema: Mapping[str, Any]) -> str:
        kind, value, instance = error.validator, error.validator_value, error.instance
        if kind == "format":
            return FORMAT_ERROR_TEMPLATE.format(
                value=go_quote(_scalar_text(instance)), format=go_quote(str(value))
            )
        if kind == "enum":
            return _enum_text(list(value))
        if kind == "not":
            return "not failed"
        if kind == "oneOf":
            valid = [
                i for i, s in enumerate(value) if self.validator.evolve(schema=s).is_valid(instance)
            ]
            if len(valid) >= 2:
                return f"valid against schemas at indexes {valid[0]} and {valid[1]}"
            return "oneOf failed"
        if kind == "anyOf":
            return "anyOf failed"
        if kind in ("minProperties", "maxProperties"):
            word = "minimum" if kind == "minProperties" else "maximum"
            return f"{word} {value} properties allowed, but found {len(instance)} properties"
        if kind == "additionalProperties" and value is False:
            declared = schema.get("properties") or {}
            patterns = schema.get("patternProperties") or {}
            extra = [
                name
                for name in instance
                if name not in declared and not any(re.search(p, name) for p in patterns)
            ]
            return f"additionalProperties {', '.join(go_quote(n) for n in extra)} not allowed"
        if kind == "additionalItems" and isinstance(schema.get("items"), list):
            return f"only {len(schema['items'])} items are allowed, but found {len(instance)} items"
        return str(error.message)


def validate_document(schema: Mapping[str, Any], document: Any) -> list[TraitError]:
    """Schema errors of ``document`` (e.g. ``{"traits": ...}``) as Kratos renders them."""
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    validator = cls(schema, format_checker=format_checker())
    translator = _Translator(validator, schema)
    return list(translator.translate(validator.iter_errors(document)))


def validate_traits(
    schema: Mapping[str, Any], traits: Any, *, extensions: bool = True
) -> list[TraitError]:
    """Every problem with ``traits`` under the identity ``schema`` (empty when valid).

    ``traits`` that are not an object give a single ``traits`` error ("expected object, but
    got string"). With ``extensions`` the ``ory.sh/kratos`` extension's problems (invalid
    phone numbers for code login, missing formats for verification, ...) are included.
    """
    if not isinstance(traits, Mapping):
        return [TraitError("traits", validation_wrong_type(["object"], json_type(traits)))]
    found = validate_document(schema, {"traits": traits})
    if extensions:
        found.extend(derive(schema, traits).errors)
    unique: list[TraitError] = []
    for item in found:
        if not any(
            u.pointer == item.pointer and u.message.to_dict() == item.message.to_dict()
            for u in unique
        ):
            unique.append(item)
    return unique
