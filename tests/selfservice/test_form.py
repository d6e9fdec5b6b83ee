"""Form bodies typed by the body schema (``phalanx.selfservice.form``, Kratos ``decoderx``)."""

from __future__ import annotations

from typing import Any

from phalanx.selfservice.form import (
    FormValues,
    decode_form_traits,
    form_field_value,
    parse_form_bool,
    parse_form_number,
)

SCHEMA: dict[str, Any] = {
    "definitions": {"tag": {"type": "string"}},
    "properties": {
        "traits": {
            "type": "object",
            "required": ["email", "age", "consent"],
            "properties": {
                "email": {"type": "string"},
                "age": {"type": "integer"},
                "height": {"type": "number"},
                "newsletter": {"type": "boolean"},
                "consent": {"type": "boolean"},
                "admin": {"type": ["boolean", "null"]},
                "tags": {"type": "array", "items": {"$ref": "#/definitions/tag"}},
                "scores": {"type": "array", "items": {"type": "number"}},
                "flags": {"type": "array", "items": {"type": "boolean"}},
                "name": {"type": "object", "properties": {"first": {"type": "string"}}},
            },
        }
    },
}


def test_scalars_are_typed_and_empty_values_left_out() -> None:
    form = {
        "email": "a@b.c",
        "age": "42",
        "height": "1.85",
        "newsletter": "true",
        "consent": "",
        "admin": "true",
        "name": {"first": ""},
        "unknown": "dropped",
    }
    assert decode_form_traits(SCHEMA, form) == {
        "email": "a@b.c",
        "age": 42,
        "height": 1.85,
        "newsletter": True,
        "consent": False,  # required boolean left empty
    }


def test_unparseable_values_stay_strings_for_the_schema_to_report() -> None:
    form = {"email": "", "age": "", "height": "tall", "newsletter": "maybe"}
    assert decode_form_traits(SCHEMA, form) == {
        "age": 0,
        "height": "tall",
        "newsletter": "maybe",
    }
    assert decode_form_traits(SCHEMA, "not an object") == "not an object"


def test_repeated_fields_follow_their_type() -> None:
    """The first value of a string or number, the last of a boolean (a checkbox after its
    hidden default), every value of an array."""
    form = {
        "email": FormValues(["first@b.c", "second@b.c"]),
        "age": FormValues(["7", "8"]),
        "newsletter": FormValues(["false", "true"]),
        "tags": FormValues(["a", "b"]),
        "scores": FormValues(["1", "2.5", "x"]),
        "flags": FormValues(["true", "0"]),
    }
    assert decode_form_traits(SCHEMA, form) == {
        "email": "first@b.c",
        "age": 7,
        "newsletter": True,
        "tags": ["a", "b"],
        "scores": [1, 2.5, "x"],
        "flags": [True, False],
    }


def test_a_single_value_of_an_array_is_a_list() -> None:
    assert decode_form_traits(SCHEMA, {"tags": "solo"})["tags"] == ["solo"]


def test_method_fields_keep_the_first_value_booleans_the_last() -> None:
    assert form_field_value("identifier", ["a@b.c", "other"]) == "a@b.c"
    assert form_field_value("method", ["code", "code"]) == "code"
    assert form_field_value("totp_unlink", ["false", "true"]) == "true"


def test_go_parsers() -> None:
    assert [parse_form_bool(v) for v in ("1", "T", "True", "0", "f", "FALSE", "on")] == [
        True,
        True,
        True,
        False,
        False,
        False,
        "on",
    ]
    assert parse_form_number("3") == 3 and parse_form_number("3.0") == 3.0
    assert parse_form_number("3.0", integer=True) == 3
    assert parse_form_number("NaN") == "NaN" and parse_form_number("abc") == "abc"
