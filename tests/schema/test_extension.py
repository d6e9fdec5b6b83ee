"""What the ory.sh/kratos extension derives from traits."""

from __future__ import annotations

from typing import Any

from phalanx.schema import derive


def _schema(traits: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": {"traits": {"type": "object", "properties": traits}}}


def test_person_schema(person_schema: dict[str, Any]) -> None:
    result = derive(person_schema, {"email": " Foo@Example.com", "name": {"first": "A"}})
    assert result.identifiers == {
        "password": ["foo@example.com"],
        "webauthn": ["foo@example.com"],
        "totp": [" Foo@Example.com"],
        "passkey": [" Foo@Example.com"],
        "code": ["foo@example.com"],
    }
    assert result.verifiable == [("email", "foo@example.com")]
    assert result.recovery == [("email", "foo@example.com")]
    assert result.code_addresses == [("email", "foo@example.com")]
    assert result.errors == []


def test_nested_objects_and_arrays_of_strings() -> None:
    schema = _schema(
        {
            "contact": {
                "type": "object",
                "properties": {
                    "emails": {
                        "type": "array",
                        "items": {
                            "type": "string",
                            "format": "email",
                            "ory.sh/kratos": {
                                "credentials": {"password": {"identifier": True}},
                                "verification": {"via": "email"},
                            },
                        },
                    },
                    "phones": {
                        "type": "array",
                        "ory.sh/kratos": {
                            "credentials": {"code": {"identifier": True, "via": "sms"}},
                            "recovery": {"via": "sms"},
                        },
                    },
                },
            },
            "username": {
                "type": "string",
                "ory.sh/kratos": {"credentials": {"password": {"identifier": True}}},
            },
        }
    )
    result = derive(
        schema,
        {
            "contact": {
                "emails": ["A@x.io", "b@x.io", "a@x.io"],
                "phones": ["+49 176 12345678", "+1 415 555 2671"],
            },
            "username": "Zed",
        },
    )
    assert result.identifiers["password"] == ["a@x.io", "b@x.io", "zed"]
    assert result.verifiable == [("email", "a@x.io"), ("email", "b@x.io")]
    assert result.identifiers["code"] == ["+4917612345678", "+14155552671"]
    assert result.code_addresses == [("sms", "+14155552671"), ("sms", "+4917612345678")]
    assert result.recovery == [("sms", "+4917612345678"), ("sms", "+14155552671")]
    assert result.errors == []


def test_problems_are_reported_at_the_trait() -> None:
    schema = _schema(
        {
            "phone": {
                "type": "string",
                "ory.sh/kratos": {"credentials": {"code": {"identifier": True, "via": "sms"}}},
            },
            "sms": {"type": "string", "ory.sh/kratos": {"verification": {"via": "sms"}}},
            "mail": {"type": "string", "ory.sh/kratos": {"verification": {"via": "email"}}},
            "rec": {"type": "string", "ory.sh/kratos": {"recovery": {"via": "sms"}}},
            "nochannel": {
                "type": "string",
                "ory.sh/kratos": {"credentials": {"code": {"identifier": True}}},
            },
        }
    )
    result = derive(
        schema, {"phone": "123", "sms": "+4917612345678", "mail": "x", "rec": "y", "nochannel": "z"}
    )
    assert [(e.pointer, e.message.text) for e in result.errors] == [
        ("traits.phone", "the provided number is not a valid phone number"),
        (
            "traits.sms",
            "no format specified. A format is required if verification is enabled. If this was "
            'intentional, please set "format" to "no-validate"',
        ),
        ("traits.mail", '"x" is not valid "email"'),
        ("traits.rec", '"y" is not valid "tel"'),
        ("traits.nochannel", 'channel type "" must be one of email, sms'),
    ]
    assert all(e.message.id == 4000001 for e in result.errors)


def test_formats_drive_verification_normalisation() -> None:
    schema = _schema(
        {
            "phone": {
                "type": "string",
                "format": "tel",
                "ory.sh/kratos": {"verification": {"via": "sms"}},
            },
            "handle": {
                "type": "string",
                "format": "no-validate",
                "ory.sh/kratos": {"verification": {"via": "email"}},
            },
            "mail": {"type": "string", "ory.sh/kratos": {"verification": {"via": "email"}}},
            "other": {
                "type": "string",
                "ory.sh/kratos": {"recovery": {"via": "email"}},
                "format": "no-validate",
            },
        }
    )
    result = derive(
        schema, {"phone": "+49 176 12345678", "handle": " Foo ", "mail": " A@B.c", "other": "x"}
    )
    assert result.verifiable == [("sms", "+4917612345678"), ("email", "Foo"), ("email", "a@b.c")]
    assert result.recovery == [("email", "x")]


def test_refs_combinators_and_non_strings() -> None:
    schema = _schema(
        {
            "a": {"$ref": "#/definitions/id"},
            "b": {"allOf": [{"$ref": "#/definitions/id"}]},
            "c": {
                "anyOf": [
                    {"type": "number"},
                    {
                        "type": "string",
                        "ory.sh/kratos": {"credentials": {"webauthn": {"identifier": True}}},
                    },
                ]
            },
            "d": {"$ref": "#/definitions/id"},
        }
    )
    schema["definitions"] = {
        "id": {
            "type": "string",
            "ory.sh/kratos": {"credentials": {"password": {"identifier": True}}},
        }
    }
    result = derive(schema, {"a": "A", "b": "B", "c": "C", "d": 7})
    assert result.identifiers == {"password": ["a", "b"], "webauthn": ["c"]}
    assert derive(schema, "not an object").identifiers == {}
