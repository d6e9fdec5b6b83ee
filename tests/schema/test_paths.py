"""Schema paths and key order as Kratos lists them."""

from __future__ import annotations

from typing import Any

import pytest

from phalanx.schema import PathKind, keys_in_order, list_paths


def test_person_paths(person_schema: dict[str, Any]) -> None:
    paths = {p.name: p for p in list_paths(person_schema)}
    assert list(paths) == [
        "traits",
        "traits.email",
        "traits.name",
        "traits.name.first",
        "traits.name.last",
    ]
    assert paths["traits"].kind is PathKind.JSON
    assert paths["traits.email"].required
    assert paths["traits.email"].format == "email"
    assert paths["traits.email"].title == "E-Mail"
    assert not paths["traits.name.first"].required


def test_kinds_refs_and_combinators() -> None:
    schema = {
        "type": "object",
        "definitions": {"n": {"type": "integer", "title": "N"}},
        "properties": {
            "s": {"type": ["string", "null"]},
            "many": {"type": ["string", "number", "null"]},
            "tags": {"type": "array", "items": {"type": "string"}},
            "objs": {"type": "array", "items": {"type": "object"}},
            "free": {"type": "array"},
            "n": {"$ref": "#/definitions/n"},
            "c": {"const": True},
            "d": {"default": "x"},
            "x": {"allOf": [{"properties": {"y": {"type": "boolean"}}}]},
        },
        "required": ["n"],
    }
    paths = {p.name: p for p in list_paths(schema)}
    assert "s" not in paths  # two types: no path, as in Kratos
    assert paths["many"].kind is PathKind.JSON
    assert paths["tags"].kind is PathKind.STRING_ARRAY
    assert paths["objs"].kind is PathKind.JSON
    assert paths["free"].kind is PathKind.ARRAY
    assert paths["n"].kind is PathKind.INTEGER
    assert paths["n"].title == "N"
    assert not paths["n"].required  # declared through $ref: the ref's parent has no `required`
    assert paths["c"].kind is PathKind.BOOLEAN
    assert paths["d"].kind is None and paths["d"].default == "x"
    assert paths["x.y"].kind is PathKind.BOOLEAN


def test_circular_refs_are_refused() -> None:
    schema = {"type": "object", "properties": {"a": {"$ref": "#"}}}
    with pytest.raises(ValueError, match="circular"):
        list_paths(schema)


def test_keys_in_document_order(person_schema: dict[str, Any]) -> None:
    assert keys_in_order(person_schema) == ["traits.email", "traits.name.first", "traits.name.last"]
    schema = {
        "type": "object",
        "properties": {
            "traits": {
                "type": "object",
                "properties": {
                    "z": {"type": "string"},
                    "a.b": {"properties": {"c": {}}},
                    "m": {"type": "object"},
                },
            }
        },
    }
    assert keys_in_order(schema) == ["traits.z", "traits.a\\.b"]
    assert keys_in_order({"properties": {}}) == [""]
