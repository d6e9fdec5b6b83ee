"""Form bodies typed by the flow's body schema, as Kratos's ``decoderx`` form decoder does.

An HTML form sends strings only, and may send one field several times: the reference UI's
re-authentication form posts ``identifier`` twice, the code screen posts ``method`` twice
(a hidden input and the button), a checkbox comes with a hidden ``false`` before it. Kratos
decodes form bodies per the JSON type of each field in the flow's body schema
(``decodeURLValues``):

* ``string``: the **first** value; an empty one leaves the field out;
* ``number``/``integer``: the first value, parsed; empty -> left out (``0`` if required);
* ``boolean``: the **last** value, parsed; empty -> left out (``false`` if required);
* arrays: **every** value, items parsed by the item type;
* a field the schema does not name is dropped.

Values that do not parse stay strings, so schema validation reports them (Kratos's
``ParseErrorIgnoreConversionErrors``).

The method fields of Kratos's body schemas (``identifier``, ``password``, ``code``,
``csrf_token``, ...) are strings except the few booleans in :data:`BOOLEAN_FIELDS`; the
edge picks their value with :func:`form_field_value`. ``traits.*`` fields are typed by the
identity schema (:func:`decode_form_traits`); until then a repeated one is kept whole as
:class:`FormValues`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from phalanx.schema.paths import PathKind, SchemaPath, list_paths

__all__ = [
    "BOOLEAN_FIELDS",
    "FormValues",
    "decode_form_traits",
    "form_field_value",
    "parse_form_bool",
    "parse_form_number",
]

BOOLEAN_FIELDS = frozenset(
    {
        "lookup_secret_confirm",
        "lookup_secret_disable",
        "lookup_secret_regenerate",
        "lookup_secret_reveal",
        "totp_unlink",
    }
)
"""The boolean fields of Kratos v25.4's method body schemas (``lookup``, ``totp``)."""


class FormValues(list[str]):
    """Every value of a ``traits.*`` form field sent more than once, in order."""


def form_field_value(name: str, values: Sequence[str]) -> str:
    """The value of a method field sent ``len(values)`` times: the last for a boolean
    field (a checkbox after its hidden default), else the first."""
    return values[-1] if name in BOOLEAN_FIELDS else values[0]


def parse_form_bool(value: str) -> bool | str:
    """Go's ``strconv.ParseBool``; anything else stays the string."""
    if value in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if value in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    return value


def parse_form_number(value: str, *, integer: bool = False) -> float | int | str:
    """``strconv.ParseFloat``; whole numbers come back as ``int``; else the string."""
    try:
        number = float(value)
    except ValueError:
        return value
    if number != number or number in (float("inf"), float("-inf")):
        return value
    if number.is_integer() and (integer or "." not in value):
        return int(number)
    return number


def _leaves(value: Any, prefix: str, out: dict[str, list[str]]) -> None:
    """Dotted form keys of a nested form body, each with its values."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            _leaves(item, f"{prefix}.{key}", out)
    elif isinstance(value, FormValues):
        out[prefix] = list(value)
    elif isinstance(value, str):
        out[prefix] = [value]


def _set(target: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = target
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value


_ARRAY_ITEM = {
    PathKind.NUMBER_ARRAY: False,
    PathKind.INTEGER_ARRAY: True,
}


def _typed(path: SchemaPath, values: list[str]) -> tuple[bool, Any]:
    """``(keep, value)`` for one schema path and the form values sent for it."""
    kind = path.kind
    if kind in (PathKind.STRING_ARRAY, PathKind.ARRAY):
        return True, list(values)
    if kind in _ARRAY_ITEM:
        return True, [parse_form_number(v, integer=_ARRAY_ITEM[kind]) for v in values]
    if kind == PathKind.BOOLEAN_ARRAY:
        return True, [parse_form_bool(v) for v in values]
    if kind == PathKind.BOOLEAN:
        last = values[-1]
        if not last:
            return path.required, False
        return True, parse_form_bool(last)
    if kind in (PathKind.NUMBER, PathKind.INTEGER):
        first = values[0]
        if not first:
            return path.required, 0
        return True, parse_form_number(first, integer=kind == PathKind.INTEGER)
    if kind == PathKind.JSON:
        first = values[0]
        if not first and not path.required:
            return False, None
        try:
            return True, json.loads(first)
        except ValueError:
            return True, first
    first = values[0]
    return bool(first), first


def decode_form_traits(schema: Mapping[str, Any], traits: Any) -> Any:
    """The ``traits`` of a form body typed by the identity ``schema`` (see the module
    docstring); a value that is no form object (JSON) is returned as it is."""
    if not isinstance(traits, Mapping):
        return traits
    sent: dict[str, list[str]] = {}
    _leaves(traits, "traits", sent)
    paths = {p.name: p for p in list_paths(schema) if p.name.startswith("traits.")}
    out: dict[str, Any] = {}
    for name, values in sent.items():
        path = paths.get(name)
        if path is None or not values:
            continue
        keep, value = _typed(path, values)
        if keep:
            _set(out, name[len("traits.") :], value)
    return out
