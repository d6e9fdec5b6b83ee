"""Trait validation renders Kratos's messages at Kratos's pointers."""

from __future__ import annotations

from typing import Any

import pytest

from phalanx.schema import TraitError, validate_document, validate_traits


def _schema(traits: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"traits": {"type": "object", "properties": traits, **extra}},
    }


def _one(errors: list[TraitError]) -> tuple[str, dict[str, Any]]:
    assert len(errors) == 1, errors
    return errors[0].pointer, errors[0].message.to_dict()


def test_valid_traits_have_no_errors(person_schema: dict[str, Any]) -> None:
    assert validate_traits(person_schema, {"email": "a@b.c", "name": {"first": "A"}}) == []


def test_format_email_is_a_generic_message(person_schema: dict[str, Any]) -> None:
    pointer, message = _one(validate_traits(person_schema, {"email": "notanemail"}))
    assert pointer == "traits.email"
    assert message == {
        "id": 4000001,
        "text": '"notanemail" is not valid "email"',
        "type": "error",
        "context": {"reason": '"notanemail" is not valid "email"'},
    }


def test_required_points_at_the_missing_property(person_schema: dict[str, Any]) -> None:
    pointer, message = _one(validate_traits(person_schema, {"name": {"first": "x"}}))
    assert pointer == "traits.email"
    assert message == {
        "id": 4000002,
        "text": "Property email is missing.",
        "type": "error",
        "context": {"property": "email"},
    }


def test_required_in_nested_object() -> None:
    schema = _schema(
        {
            "name": {
                "type": "object",
                "properties": {"first": {"type": "string"}},
                "required": ["first", "a b"],
            }
        }
    )
    errors = validate_traits(schema, {"name": {}})
    assert [(e.pointer, e.message.text) for e in errors] == [
        ("traits.name.first", "Property first is missing."),
        ("traits.name.a b", "Property a%20b is missing."),
    ]


def test_traits_must_be_an_object(person_schema: dict[str, Any]) -> None:
    pointer, message = _one(validate_traits(person_schema, "nope"))
    assert pointer == "traits"
    assert message["id"] == 4000026
    assert message["text"] == "expected object, but got string"
    assert message["context"] == {"actual_type": "string", "allowed_types": ["object"]}


@pytest.mark.parametrize(
    ("spec", "value", "expected"),
    [
        (
            {"type": "string", "minLength": 3},
            "a",
            (4000003, "length must be >= 3, but got 1", {"actual_length": 1, "min_length": 3}),
        ),
        (
            {"type": "string", "maxLength": 2},
            "äöü",
            (4000017, "length must be <= 2, but got 3", {"actual_length": 3, "max_length": 2}),
        ),
        (
            {"type": "string", "pattern": "^[a-z]+$"},
            "A1",
            (4000004, 'does not match pattern "^[a-z]+$"', {"pattern": "^[a-z]+$"}),
        ),
        (
            {"type": "number", "minimum": 5},
            2.5,
            (4000018, "must be >= 5 but found 2.5", {"actual": 2.5, "minimum": 5}),
        ),
        (
            {"type": "number", "exclusiveMinimum": 5},
            5,
            (4000019, "must be > 5 but found 5", {"actual": 5, "minimum": 5}),
        ),
        (
            {"type": "integer", "maximum": 1000000},
            2000000,
            (4000020, "must be <= 1e+06 but found 2e+06", {"actual": 2000000, "maximum": 1000000}),
        ),
        (
            {"type": "number", "exclusiveMaximum": 10},
            10,
            (4000021, "must be < 10 but found 10", {"actual": 10, "maximum": 10}),
        ),
        (
            {"type": "integer", "multipleOf": 3},
            7,
            (4000022, "7 not multipleOf 3", {"actual": 7, "base": 3}),
        ),
        (
            {"type": "array", "maxItems": 1},
            ["a", "b"],
            (
                4000023,
                "maximum 1 items allowed, but found 2 items",
                {"actual_items": 2, "max_items": 1},
            ),
        ),
        (
            {"type": "array", "minItems": 2},
            ["a"],
            (
                4000024,
                "minimum 2 items allowed, but found 1 items",
                {"actual_items": 1, "min_items": 2},
            ),
        ),
        (
            {"type": "string"},
            5,
            (
                4000026,
                "expected string, but got number",
                {"actual_type": "number", "allowed_types": ["string"]},
            ),
        ),
        (
            {"type": ["string", "null"]},
            True,
            (
                4000026,
                "expected string or null, but got boolean",
                {"actual_type": "boolean", "allowed_types": ["string", "null"]},
            ),
        ),
        ({"const": "x"}, "y", (4000029, 'must be equal to constant "x"', {"expected": '"x"'})),
        ({"const": {"a": 1}}, "y", (4000030, "const failed", None)),
        (
            {"enum": ["a", "b", 1]},
            "c",
            (
                4000001,
                'value must be one of "a", "b", "1"',
                {"reason": 'value must be one of "a", "b", "1"'},
            ),
        ),
        ({"enum": ["a"]}, "c", (4000001, 'value must be "a"', {"reason": 'value must be "a"'})),
        ({"enum": [["a"]]}, "c", (4000001, "enum failed", {"reason": "enum failed"})),
        (
            {"type": "string", "format": "date"},
            "2021-02-30",
            (
                4000001,
                '"2021-02-30" is not valid "date"',
                {"reason": '"2021-02-30" is not valid "date"'},
            ),
        ),
        (
            {"type": "string", "format": "tel"},
            "12",
            (4000001, '"12" is not valid "tel"', {"reason": '"12" is not valid "tel"'}),
        ),
        ({"not": {"type": "string"}}, "x", (4000001, "not failed", {"reason": "not failed"})),
    ],
)
def test_keyword_messages(spec: dict[str, Any], value: Any, expected: tuple[int, str, Any]) -> None:
    pointer, message = _one(validate_traits(_schema({"f": spec}), {"f": value}))
    assert pointer == "traits.f"
    assert (message["id"], message["text"], message.get("context")) == expected


def test_unique_items_reports_every_equal_pair() -> None:
    errors = validate_traits(
        _schema({"f": {"type": "array", "uniqueItems": True}}), {"f": [1, 1.0, True, 1]}
    )
    assert [e.message.text for e in errors] == [
        "items at index 0 and 1 are equal",
        "items at index 0 and 3 are equal",
        "items at index 1 and 3 are equal",
    ]


def test_type_error_hides_the_other_keywords_of_that_schema() -> None:
    spec = {"type": "string", "format": "email", "enum": ["a"], "allOf": [{"minLength": 3}]}
    _, message = _one(validate_traits(_schema({"f": spec}), {"f": 12}))
    assert message["text"] == "expected string, but got number"


def test_messages_follow_kratos_keyword_order() -> None:
    spec = {"type": "string", "pattern": "^[a-z]+$", "minLength": 5, "format": "email"}
    errors = validate_traits(_schema({"f": spec}), {"f": "AB"})
    assert [e.message.id for e in errors] == [4000001, 4000003, 4000004]


def test_additional_properties_and_nested_pointer() -> None:
    schema = _schema(
        {"name": {"type": "object", "properties": {"first": {"type": "string", "minLength": 2}}}},
        additionalProperties=False,
    )
    errors = validate_traits(schema, {"name": {"first": "x"}, "zz": 1})
    assert [(e.pointer, e.message.text) for e in errors] == [
        ("traits.name.first", "length must be >= 2, but got 1"),
        ("traits", 'additionalProperties "zz" not allowed'),
    ]


def test_any_of_reports_every_branch() -> None:
    spec = {"anyOf": [{"type": "string", "minLength": 3}, {"type": "number"}]}
    errors = validate_traits(_schema({"f": spec}), {"f": "a"})
    assert [e.message.text for e in errors] == [
        "length must be >= 3, but got 1",
        "expected number, but got string",
    ]


def test_one_of_matching_twice() -> None:
    spec = {"oneOf": [{"type": "string"}, {"minLength": 1}]}
    _, message = _one(validate_traits(_schema({"f": spec}), {"f": "a"}))
    assert message["text"] == "valid against schemas at indexes 0 and 1"


def test_local_refs_and_dotted_keys() -> None:
    schema = _schema({"a.b": {"$ref": "#/definitions/short"}})
    schema["definitions"] = {"short": {"type": "string", "maxLength": 1}}
    pointer, message = _one(validate_traits(schema, {"a.b": "xyz"}))
    assert pointer == "traits.a\\.b"
    assert message["id"] == 4000017


def test_array_items_point_at_the_index() -> None:
    schema = _schema({"emails": {"type": "array", "items": {"type": "string", "format": "email"}}})
    pointer, message = _one(validate_traits(schema, {"emails": ["a@b.c", "nope"]}))
    assert pointer == "traits.emails.1"
    assert message["text"] == '"nope" is not valid "email"'


def test_draft_2020_schema_is_honoured() -> None:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "traits": {
                "type": "object",
                "properties": {"tags": {"type": "array", "prefixItems": [{"type": "string"}]}},
            }
        },
    }
    pointer, message = _one(validate_traits(schema, {"tags": [1]}))
    assert (pointer, message["text"]) == ("traits.tags.0", "expected string, but got number")


def test_extension_errors_are_included_once() -> None:
    schema = _schema(
        {
            "email": {
                "type": "string",
                "format": "email",
                "ory.sh/kratos": {"recovery": {"via": "email"}},
            },
            "phone": {
                "type": "string",
                "ory.sh/kratos": {"credentials": {"code": {"identifier": True, "via": "sms"}}},
            },
        }
    )
    errors = validate_traits(schema, {"email": "nope", "phone": "0176"})
    assert [(e.pointer, e.message.text) for e in errors] == [
        ("traits.email", '"nope" is not valid "email"'),
        ("traits.phone", "the provided number is not a valid phone number"),
    ]
    assert validate_traits(schema, {"email": "nope", "phone": "0176"}, extensions=False) == [
        errors[0]
    ]


def test_root_level_errors_are_form_wide() -> None:
    schema: dict[str, Any] = {
        "type": "object",
        "required": ["traits", "x"],
        "properties": {"traits": {"type": "object"}},
    }
    errors = validate_document(schema, {"traits": {}})
    assert [(e.pointer, e.message.text) for e in errors] == [("x", "Property x is missing.")]
    schema = {"type": "object", "minProperties": 3, "properties": {"traits": {"type": "object"}}}
    errors = validate_document(schema, {"traits": {}})
    assert [(e.pointer, e.message.text) for e in errors] == [
        ("", "minimum 3 properties allowed, but found 1 properties")
    ]


def test_dependencies_report_each_missing_property() -> None:
    schema = _schema({"a": {"type": "string"}}, dependencies={"a": ["b", "c"]})
    errors = validate_traits(schema, {"a": "x"})
    assert [(e.pointer, e.message.text) for e in errors] == [
        ("traits", 'property "b" is required, if "a" property exists'),
        ("traits", 'property "c" is required, if "a" property exists'),
    ]
