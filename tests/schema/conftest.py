"""Fixtures for identity schema tests: sample schemas and the reference meta-schemas."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.support.reference import IDENTITY_EXTENSION, IDENTITY_META, require

__all__ = ["PERSON_SCHEMA"]

PERSON_SCHEMA: dict[str, Any] = {
    "$id": "https://example.com/person.schema.json",
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Person",
    "type": "object",
    "properties": {
        "traits": {
            "type": "object",
            "properties": {
                "email": {
                    "type": "string",
                    "format": "email",
                    "title": "E-Mail",
                    "ory.sh/kratos": {
                        "credentials": {
                            "password": {"identifier": True},
                            "webauthn": {"identifier": True},
                            "totp": {"account_name": True},
                            "code": {"identifier": True, "via": "email"},
                            "passkey": {"display_name": True},
                        },
                        "verification": {"via": "email"},
                        "recovery": {"via": "email"},
                    },
                },
                "name": {
                    "type": "object",
                    "properties": {
                        "first": {"type": "string", "title": "First Name"},
                        "last": {"type": "string", "title": "Last Name"},
                    },
                },
            },
            "required": ["email"],
            "additionalProperties": False,
        }
    },
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def person_schema() -> dict[str, Any]:
    return copy.deepcopy(PERSON_SCHEMA)


@pytest.fixture(scope="session")
def reference_meta_schemas() -> tuple[dict[str, Any], dict[str, Any]]:
    """(identity meta-schema, identity extension schema) of Kratos v25.4 (skips when absent)."""
    with require(IDENTITY_META).open(encoding="utf-8") as fh:
        meta: dict[str, Any] = json.load(fh)
    with require(IDENTITY_EXTENSION).open(encoding="utf-8") as fh:
        extension: dict[str, Any] = json.load(fh)
    return meta, extension
