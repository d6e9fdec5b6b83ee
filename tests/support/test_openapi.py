"""Unit tests of the OpenAPI contract checker itself."""

from __future__ import annotations

import pytest

from tests.support.openapi import (
    assert_matches_spec,
    find_operation,
    response_schema,
    to_json_schema,
)
from tests.support.reference import OPENAPI, require


@pytest.fixture(autouse=True)
def _needs_the_spec() -> None:
    """The checker is tested against the real Kratos document."""
    require(OPENAPI)


IDENTITY = {
    "id": "5b1d3a2c-6f0e-4a55-9d3e-1f2a3b4c5d6e",
    "schema_id": "default",
    "schema_url": "http://127.0.0.1:4433/schemas/ZGVmYXVsdA",
    "state": "active",
    "state_changed_at": "2024-01-01T00:00:00.123456Z",
    "traits": {"email": "a@example.com"},
    "verifiable_addresses": [
        {
            "id": "5b1d3a2c-6f0e-4a55-9d3e-1f2a3b4c5d6f",
            "value": "a@example.com",
            "verified": False,
            "via": "email",
            "status": "pending",
            "created_at": "2024-01-01T00:00:00Z",
            "updated_at": "2024-01-01T00:00:00Z",
        }
    ],
    "recovery_addresses": [],
    "metadata_public": None,
    "metadata_admin": {"x": 1},
    "credentials": {
        "password": {
            "type": "password",
            "identifiers": ["a@example.com"],
            "version": 1,
            "created_at": "2024-01-01T00:00:00Z",
            "updated_at": "2024-01-01T00:00:00Z",
        }
    },
    "organization_id": None,
    "created_at": "2024-01-01T00:00:00Z",
    "updated_at": "2024-01-01T00:00:00Z",
}


def _check(body: object) -> None:
    assert_matches_spec("GET", "/admin/identities/{id}", 200, body)


def test_finds_operations_by_template_and_concrete_url() -> None:
    assert find_operation("get", "/admin/identities/{id}").operation_id == "getIdentity"
    op = find_operation("GET", "http://127.0.0.1:4434/admin/identities/abc?x=1")
    assert op.operation_id == "getIdentity"
    op = find_operation("GET", "/admin/identities/by/external/foo")
    assert op.operation_id == "getIdentityByExternalID"
    assert find_operation("DELETE", "/identities/x/credentials/password").template == (
        "/admin/identities/{id}/credentials/{type}"
    )
    assert find_operation("GET", "/admin/identities").operation_id == "listIdentities"


def test_unknown_operation_fails_clearly() -> None:
    with pytest.raises(AssertionError, match="no operation GET /nope"):
        find_operation("GET", "/nope")


def test_response_schema_follows_refs_and_default() -> None:
    op = find_operation("GET", "/admin/identities")
    schema = response_schema(op, 200)
    assert schema is not None and schema["type"] == "array"
    assert response_schema(op, 418) == {"$ref": "#/components/schemas/errorGeneric"}
    assert response_schema(find_operation("DELETE", "/admin/identities/{id}"), 204) is None


def test_valid_bodies_pass() -> None:
    _check(IDENTITY)
    assert_matches_spec("GET", "/admin/identities", 200, [IDENTITY])
    assert_matches_spec("DELETE", "/admin/identities/x", 204, None)
    error = {
        "error": {
            "code": 404,
            "status": "Not Found",
            "message": "The requested resource could not be found",
            "details": {"k": "v"},
        }
    }
    assert_matches_spec("GET", "/admin/identities/x", 404, error)


def test_invalid_bodies_fail_with_pointer() -> None:
    bad = {**IDENTITY, "state": "frozen"}
    with pytest.raises(AssertionError, match=r"at /state: 'frozen' is not one of"):
        _check(bad)
    with pytest.raises(AssertionError, match="'schema_url' is a required property"):
        assert_matches_spec(
            "GET",
            "/admin/identities/{id}",
            200,
            {k: v for k, v in IDENTITY.items() if k != "schema_url"},
        )
    with pytest.raises(AssertionError, match="'yesterday' is not a 'date-time'"):
        _check({**IDENTITY, "created_at": "yesterday"})
    with pytest.raises(AssertionError, match="is not a 'uuid'"):
        _check({**IDENTITY, "id": "nope"})
    with pytest.raises(AssertionError, match="declares no body"):
        assert_matches_spec("DELETE", "/admin/identities/{id}", 204, {"x": 1})


def test_nullable_becomes_type_union() -> None:
    _check({**IDENTITY, "organization_id": None})
    with pytest.raises(AssertionError, match="organization_id"):
        _check({**IDENTITY, "organization_id": 5})
    # state_changed_at is a non-nullable nullTime: omitted when unset, never null
    with pytest.raises(AssertionError, match="state_changed_at"):
        _check({**IDENTITY, "state_changed_at": None})
    assert to_json_schema({"type": "string", "nullable": True, "enum": ["a"]}) == {
        "type": ["string", "null"],
        "enum": ["a", None],
    }
    assert to_json_schema({"$ref": "#/x", "nullable": True}) == {
        "anyOf": [{"$ref": "#/x"}, {"type": "null"}]
    }


def test_discriminator_selects_mapped_schema() -> None:
    converted = to_json_schema(
        {
            "oneOf": [{"$ref": "#/a"}, {"$ref": "#/b"}],
            "discriminator": {"propertyName": "kind", "mapping": {"a": "#/a", "b": "#/b"}},
        }
    )
    assert converted["anyOf"] == [{"$ref": "#/a"}, {"$ref": "#/b"}]
    assert converted["allOf"][0]["then"] == {"$ref": "#/a"}
