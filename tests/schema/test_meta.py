"""The in-code meta-schema check agrees with the reference meta-schemas (parity)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from jsonschema import Draft7Validator
from referencing import Registry
from referencing.jsonschema import DRAFT7

from phalanx.errors import MisconfigurationError
from phalanx.schema import (
    InvalidIdentitySchemaError,
    check_identity_schema,
    identity_schema_problems,
)
from tests.schema.conftest import PERSON_SCHEMA


def _trait(spec: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": {"traits": {"type": "object", "properties": spec}}}


def _person(**changes: Any) -> dict[str, Any]:
    schema = copy.deepcopy(PERSON_SCHEMA)
    schema["properties"]["traits"]["properties"]["email"]["ory.sh/kratos"].update(changes)
    return schema


VALID: list[Any] = [
    PERSON_SCHEMA,
    _trait({"username": {"type": "string"}}),
    _trait({"email": {"type": "string", "format": "tel", "ory.sh/kratos": {"verification": {}}}}),
    _trait({"email": {"type": "string", "ory.sh/kratos": {"verification": {"via": "sms"}}}}),
    _trait(
        {
            "x": {
                "type": "string",
                "format": "no-validate",
                "ory.sh/kratos": {"verification": {"via": "email"}},
            }
        }
    ),
    _trait({"x": {"type": "string", "format": "uri"}}),
    _trait(
        {
            "x": {
                "type": "object",
                "properties": {
                    "y": {"type": "string", "ory.sh/kratos": {"recovery": {"via": "sms"}}}
                },
            }
        }
    ),
    _trait(
        {
            "x": {
                "type": "array",
                "items": {
                    "type": "string",
                    "ory.sh/kratos": {"credentials": {"code": {"identifier": True, "via": "sms"}}},
                },
            }
        }
    ),
    _trait({"x": {"allOf": [{"ory.sh/kratos": {"nonsense": 1}}]}}),  # arrays are not descended
    _trait(
        {"x": {"type": "string", "ory.sh/kratos": {"organizations": {"matcher": "email_domain"}}}}
    ),
    {"properties": {"traits": {"properties": {"a": {}}}}},
    _person(credentials={"password": {"identifier": False}}),
]

INVALID: list[Any] = [
    [],
    {"type": "object"},
    {"properties": {}},
    {"properties": {"traits": True}},
    {"properties": {"traits": {"type": "object"}}},
    {"properties": {"traits": {"type": "object", "properties": {}}}},
    {"properties": {"traits": {"type": "string", "properties": {"a": {}}}}},
    _trait({"a": True}),
    _trait(
        {
            "a": {
                "type": "string",
                "format": "uri",
                "ory.sh/kratos": {"verification": {"via": "email"}},
            }
        }
    ),
    _trait({"a": {"type": "string", "ory.sh/kratos": {"unknown": {}}}}),
    _trait(
        {
            "a": {
                "type": "string",
                "ory.sh/kratos": {"credentials": {"password": {"identifier": "yes"}}},
            }
        }
    ),
    _trait({"a": {"type": "string", "ory.sh/kratos": {"credentials": {"oidc": {}}}}}),
    _trait(
        {"a": {"type": "string", "ory.sh/kratos": {"credentials": {"code": {"via": "pigeon"}}}}}
    ),
    _trait({"a": {"type": "string", "ory.sh/kratos": {"verification": {"via": "fax"}}}}),
    _trait({"a": {"type": "string", "ory.sh/kratos": {"recovery": {"via": "email", "x": 1}}}}),
    _trait({"a": {"type": "string", "ory.sh/kratos": {"organizations": {"matcher": "x"}}}}),
    _trait({"a": {"type": "string", "ory.sh/kratos": "password"}}),
    _trait(
        {
            "a": {
                "type": "object",
                "properties": {"b": {"ory.sh/kratos": {"recovery": {"via": "x"}}}},
            }
        }
    ),
    _trait(
        {
            "a": {
                "type": "array",
                "items": {"ory.sh/kratos": {"credentials": {"totp": {"account_name": 1}}}},
            }
        }
    ),
    _trait({"a": {"type": 5}}),
    _trait({"a": {"minLength": -1}}),
    {"properties": {"traits": {"type": "object", "properties": {"a": {}}}}, "required": "traits"},
]


@pytest.fixture(scope="module")
def reference_validator(
    reference_meta_schemas: tuple[dict[str, Any], dict[str, Any]],
) -> Draft7Validator:
    meta, extension = reference_meta_schemas
    registry: Registry[Any] = Registry().with_resources(
        [
            ("ory://identity-meta", DRAFT7.create_resource(meta)),
            ("ory://identity-extension", DRAFT7.create_resource(extension)),
            (
                "http://json-schema.org/draft-07/schema",
                DRAFT7.create_resource(Draft7Validator.META_SCHEMA),
            ),
        ]
    )
    return Draft7Validator(meta, registry=registry)


@pytest.mark.parametrize("schema", VALID)
def test_valid_schemas_agree(schema: Any, reference_validator: Draft7Validator) -> None:
    assert reference_validator.is_valid(schema)
    assert identity_schema_problems(schema) == []
    check_identity_schema("default", schema)


@pytest.mark.parametrize("schema", INVALID)
def test_invalid_schemas_agree(schema: Any, reference_validator: Draft7Validator) -> None:
    assert not reference_validator.is_valid(schema)
    assert identity_schema_problems(schema) != []


def test_error_names_the_schema_and_the_place() -> None:
    bad = _trait({"a": {"type": "string", "format": "uri", "ory.sh/kratos": {"verification": {}}}})
    with pytest.raises(InvalidIdentitySchemaError) as info:
        check_identity_schema("customer", bad)
    err = info.value
    assert isinstance(err, MisconfigurationError)
    assert err.schema_id == "customer"
    assert "`customer`" in str(err)
    assert "#/properties/traits/properties/a/format" in str(err)


def test_refs_can_be_forbidden() -> None:
    schema = _trait({"a": {"$ref": "#/definitions/a"}})
    schema["definitions"] = {"a": {"type": "string"}}
    assert identity_schema_problems(schema) == []
    problems = identity_schema_problems(schema, allow_ref=False)
    assert problems == [
        "#/properties/traits/properties/a/$ref: $ref is not allowed in identity schemas"
    ]
