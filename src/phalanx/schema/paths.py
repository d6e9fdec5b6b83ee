"""Walking a JSON schema the way Kratos lists its fields and orders its keys.

* :func:`list_paths` mirrors ``ory/x/jsonschemax.ListPaths``: every property path of the
  schema (``traits.name.first``), following ``$ref`` (local), ``allOf``/``anyOf``/``oneOf``,
  ``if``/``then``/``else`` and ``not``, with its type, format, title, pattern, enum and
  whether the *declaring* object lists it in ``required``. The result is sorted by name.
* :func:`keys_in_order` mirrors ``ory/kratos:schema.GetKeysInOrder``: the leaf keys of the
  raw schema in document order, descending only into ``"type": "object"`` schemas. Node
  sorting uses it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import unquote

__all__ = ["PathKind", "SchemaPath", "keys_in_order", "list_paths", "resolve_local_ref"]


class PathKind(StrEnum):
    """What a path holds (``jsonschemax.TypeHint``); ``JSON`` paths get no form field."""

    STRING = "string"
    NUMBER = "number"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    NULL = "null"
    JSON = "json"
    ARRAY = "array"
    STRING_ARRAY = "string_array"
    NUMBER_ARRAY = "number_array"
    INTEGER_ARRAY = "integer_array"
    BOOLEAN_ARRAY = "boolean_array"


@dataclass(frozen=True, slots=True)
class SchemaPath:
    """One property path of a schema and the keywords of the schema declaring it."""

    name: str
    kind: PathKind | None
    title: str = ""
    description: str = ""
    format: str = ""
    pattern: str | None = None
    enum: list[Any] | None = None
    default: Any = None
    required: bool = False
    read_only: bool = False
    min_length: int | None = None
    max_length: int | None = None
    extensions: dict[str, Any] = field(default_factory=dict)


def resolve_local_ref(root: Mapping[str, Any], ref: str) -> Any:
    """The schema ``ref`` (``#``, ``#/definitions/x``) points at inside ``root``."""
    if not ref.startswith("#"):
        raise ValueError(f"only local $ref are supported, got {ref!r}")
    node: Any = root
    pointer = ref[1:]
    if not pointer:
        return node
    for raw in pointer.lstrip("/").split("/"):
        token = unquote(raw).replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            node = node[int(token)]
        elif isinstance(node, Mapping) and token in node:
            node = node[token]
        else:
            raise ValueError(f"$ref {ref!r} does not resolve")
    return node


_SCALAR_KINDS = {
    "null": PathKind.NULL,
    "boolean": PathKind.BOOLEAN,
    "number": PathKind.NUMBER,
    "integer": PathKind.INTEGER,
    "string": PathKind.STRING,
    "object": PathKind.JSON,
}
_ARRAY_KINDS = {
    "boolean": PathKind.BOOLEAN_ARRAY,
    "number": PathKind.NUMBER_ARRAY,
    "integer": PathKind.INTEGER_ARRAY,
    "string": PathKind.STRING_ARRAY,
}


def _types(node: Mapping[str, Any]) -> list[str]:
    raw = node.get("type")
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, list):
        return [str(t) for t in raw]
    return []


def _item_types(root: Mapping[str, Any], items: Any) -> list[str]:
    schemas = items if isinstance(items, list) else [items]
    found: list[str] = []
    for item in schemas:
        if not isinstance(item, Mapping):
            continue
        found.extend(_types(item))
        if isinstance(item.get("$ref"), str):
            target = resolve_local_ref(root, item["$ref"])
            if isinstance(target, Mapping):
                found.extend(_types(target))
    compact = [t for i, t in enumerate(found) if i == 0 or found[i - 1] != t]
    return compact


def _kind(root: Mapping[str, Any], node: Mapping[str, Any]) -> PathKind | None:
    if "const" in node:
        const = node["const"]
        if isinstance(const, bool):
            return PathKind.BOOLEAN
        if isinstance(const, int | float):
            return PathKind.NUMBER
        if isinstance(const, str):
            return PathKind.STRING
        return None if const is None else PathKind.JSON
    types = _types(node)
    if len(types) == 1:
        if types[0] == "array":
            if "items" not in node:
                return PathKind.ARRAY
            items = _item_types(root, node["items"])
            if len(items) == 1:
                return _ARRAY_KINDS.get(items[0], PathKind.JSON)
            return PathKind.ARRAY
        return _SCALAR_KINDS.get(types[0])
    if len(types) > 2:
        return PathKind.JSON
    return None


def _make_path(
    node: Mapping[str, Any], parent: Mapping[str, Any] | None, parents: list[str], kind: Any
) -> SchemaPath:
    required = parent is not None and parents[-1] in (parent.get("required") or [])
    extensions = {k: node[k] for k in ("disableFormField", "ory.sh/kratos") if k in node}
    pattern = node.get("pattern")
    enum = node.get("enum")
    return SchemaPath(
        name=".".join(parents),
        kind=kind,
        title=str(node.get("title") or ""),
        description=str(node.get("description") or ""),
        format=str(node.get("format") or ""),
        pattern=pattern if isinstance(pattern, str) else None,
        enum=list(enum) if isinstance(enum, list) else None,
        default=node.get("default"),
        required=bool(required),
        read_only=node.get("readOnly") is True,
        min_length=node.get("minLength") if isinstance(node.get("minLength"), int) else None,
        max_length=node.get("maxLength") if isinstance(node.get("maxLength"), int) else None,
        extensions=extensions,
    )


def _walk(
    root: Mapping[str, Any],
    node: Any,
    parent: Mapping[str, Any] | None,
    parents: list[str],
    active: tuple[int, ...],
    out: list[SchemaPath],
) -> None:
    if not isinstance(node, Mapping):
        return
    if id(node) in active:
        raise ValueError(f"detected circular dependency in schema path: {'.'.join(parents)}")
    kind = _kind(root, node)
    if (kind is not None or node.get("default") is not None) and parents:
        out.append(_make_path(node, parent, parents, kind))
    active = (*active, id(node))
    if isinstance(node.get("$ref"), str):
        _walk(root, resolve_local_ref(root, node["$ref"]), node, parents, active, out)
    for key in ("not", "if", "then", "else"):
        _walk(root, node.get(key), node, parents, active, out)
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in node.get(key) or []:
            _walk(root, sub, node, parents, active, out)
    properties = node.get("properties")
    if isinstance(properties, Mapping):
        for name, sub in properties.items():
            _walk(root, sub, node, [*parents, name], active, out)


def list_paths(schema: Mapping[str, Any]) -> list[SchemaPath]:
    """All property paths of ``schema``, unique by name and sorted by name (``ListPaths``).

    When a path is declared several times (``allOf`` branches), the first declaration wins
    unless it has no ``default`` and a later one does.
    """
    found: list[SchemaPath] = []
    _walk(schema, schema, None, [], (), found)
    unique: dict[str, SchemaPath] = {}
    for path in found:
        seen = unique.get(path.name)
        if seen is None or seen.default is None:
            unique[path.name] = path
    return sorted(unique.values(), key=lambda p: p.name)


def keys_in_order(schema: Mapping[str, Any]) -> list[str]:
    """Leaf keys of the raw schema in document order (``GetKeysInOrder``)."""
    keys: list[str] = []

    def walk(node: Any, parents: list[str]) -> None:
        if isinstance(node, Mapping) and node.get("type") == "object":
            properties = node.get("properties")
            if isinstance(properties, Mapping):
                for name, sub in properties.items():
                    walk(sub, [*parents, name.replace(".", "\\.")])
            return
        keys.append(".".join(parents))

    walk(schema, [])
    return keys
