"""Strict decoding of the admin identity bodies (Go encoding/json semantics)."""

from __future__ import annotations

import uuid

import pytest

from phalanx.errors import BadRequestError
from phalanx.identity.decoding import DecodeError
from phalanx.identity.payloads import (
    MAX_BATCH,
    parse_batch_body,
    parse_create_body,
    parse_update_body,
)


def test_create_body_full() -> None:
    org = uuid.uuid4()
    body = parse_create_body(
        {
            "schema_id": "default",
            "traits": {"email": "A@x.io"},
            "state": "inactive",
            "metadata_public": {"a": 1},
            "metadata_admin": [1],
            "organization_id": str(org),
            "external_id": "ext-1",
            "verifiable_addresses": [
                {"value": "A@X.io", "via": "email", "verified": True, "status": "completed"}
            ],
            "recovery_addresses": [{"value": "A@X.io", "via": "email"}],
            "credentials": {
                "password": {"config": {"hashed_password": "$2a$04$x"}},
                "oidc": {"config": {"providers": [{"provider": "g", "subject": "1"}]}},
                "saml": {"config": {"providers": [{"provider": "o", "subject": "2"}]}},
                "totp": {"config": {"totp_url": "otpauth://totp/x?secret=ABC"}},
                "lookup_secret": {"config": {"codes": [{"code": "aaaa"}]}},
                "webauthn": {"config": {"credentials": [{"id": "AQ=="}], "user_handle": "aGk="}},
            },
        }
    )
    assert body.organization_id == org
    assert body.verifiable_addresses[0].value == "a@x.io"
    assert body.recovery_addresses[0].value == "a@x.io"
    assert body.credentials is not None
    assert body.credentials.password is not None
    assert body.credentials.password.hashed_password == "$2a$04$x"
    assert body.credentials.oidc is not None and body.credentials.oidc[0].subject == "1"
    assert body.credentials.totp_url == "otpauth://totp/x?secret=ABC"
    assert body.credentials.lookup_codes is not None
    assert body.credentials.webauthn is not None
    assert body.credentials.webauthn.user_handle == "aGk="


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ({"schema_id": "x", "traits": {}, "foo": 1}, 'json: unknown field "foo"'),
        (
            {"traits": {}, "credentials": {"password": {"config": {"pass": "x"}}}},
            'json: unknown field "pass"',
        ),
        ({"traits": {}, "credentials": {"magic": {}}}, 'json: unknown field "magic"'),
        (
            {"traits": {}, "verifiable_addresses": [{"value": "a", "via": "email", "x": 1}]},
            'json: unknown field "x"',
        ),
        (
            {"schema_id": 5},
            "json: cannot unmarshal number into Go struct field "
            "identity.CreateIdentityBody.schema_id of type string",
        ),
        ([1, 2], "json: cannot unmarshal array into Go value of type identity.CreateIdentityBody"),
        ({"state": True}, "cannot unmarshal bool"),
        ({"organization_id": "nope"}, "incorrect UUID format"),
    ],
)
def test_create_body_rejects(data: object, text: str) -> None:
    with pytest.raises(DecodeError) as info:
        parse_create_body(data)
    assert info.value.code == 400
    assert text in (info.value.reason or "")
    assert text in info.value.message


def test_nulls_are_zero_values() -> None:
    body = parse_create_body({"schema_id": None, "traits": None, "credentials": None})
    assert body.schema_id == "" and body.traits is None and body.credentials is None


def test_providers_need_provider_and_subject() -> None:
    with pytest.raises(BadRequestError, match="provider"):
        parse_create_body({"credentials": {"oidc": {"config": {"providers": [{"subject": "1"}]}}}})


def test_update_body_is_lenient() -> None:
    body = parse_update_body({"schema_id": "s", "traits": {"a": 1}, "state": "active", "x": 1})
    assert body.schema_id == "s" and body.traits == {"a": 1}


def test_batch_body() -> None:
    pid = uuid.uuid4()
    patches = parse_batch_body(
        {"identities": [{"patch_id": str(pid), "create": {"traits": {}}}, {"create": {}}]}
    )
    assert patches[0].patch_id == pid and patches[1].patch_id is None
    with pytest.raises(BadRequestError, match="index 1 is null"):
        parse_batch_body({"identities": [{"create": {}}, None]})
    with pytest.raises(BadRequestError, match='index 0 has nothing to do: "create" is missing'):
        parse_batch_body({"identities": [{"create": None}]})
    with pytest.raises(DecodeError, match='unknown field "delete"'):
        parse_batch_body({"identities": [{"delete": {}}]})
    with pytest.raises(BadRequestError, match="is 1000"):
        parse_batch_body({"identities": [{"create": {}}] * (MAX_BATCH + 1)})


def test_plaintext_flag() -> None:
    body = parse_create_body({"credentials": {"password": {"config": {"password": "secret"}}}})
    assert body.credentials is not None and body.credentials.has_plaintext_password
