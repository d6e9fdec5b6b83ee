"""The identity's wire JSON, checked against the Kratos OpenAPI schema."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from phalanx.identity.model import (
    Credential,
    Identity,
    RecoveryAddress,
    VerifiableAddress,
)
from phalanx.identity.wire import CredentialsView, identity_to_wire, rfc3339, schema_url
from tests.support.openapi import assert_matches_spec

BASE = "http://127.0.0.1:4433/"


def _identity() -> Identity:
    identity = Identity(schema_id="default", traits={"email": "a@b.io"})
    identity.verifiable_addresses = [
        VerifiableAddress(value="a@b.io", via="email", identity_id=identity.id)
    ]
    identity.recovery_addresses = [
        RecoveryAddress(value="a@b.io", via="email", identity_id=identity.id)
    ]
    identity.credentials = {
        "password": Credential(
            type="password", identifiers=["a@b.io"], config={"hashed_password": "h"}, version=1
        ),
        "oidc": Credential(
            type="oidc",
            identifiers=["google:1"],
            config={
                "providers": [
                    {
                        "provider": "google",
                        "subject": "1",
                        "initial_id_token": "t",
                        "initial_access_token": "",
                        "initial_refresh_token": "",
                    }
                ]
            },
        ),
    }
    return identity


def test_schema_url_is_base64url_without_padding() -> None:
    assert schema_url(BASE, "default") == f"{BASE}schemas/ZGVmYXVsdA"
    assert schema_url("http://h:1", "a?") == "http://h:1/schemas/YT8"


def test_rfc3339_is_utc_z() -> None:
    value = datetime(2024, 1, 2, 3, 4, 5, 600000, tzinfo=UTC)
    assert rfc3339(value) == "2024-01-02T03:04:05.600000Z"
    assert rfc3339(datetime(2024, 1, 2)) == "2024-01-02T00:00:00Z"


def test_admin_identity_without_credentials() -> None:
    identity = _identity()
    body = identity_to_wire(identity, public_base_url=BASE)
    assert "credentials" not in body
    assert body["metadata_admin"] is None and body["metadata_public"] is None
    assert body["organization_id"] is None
    assert "external_id" not in body
    assert body["schema_url"].endswith("/schemas/ZGVmYXVsdA")
    assert body["created_at"].endswith("Z")
    assert_matches_spec("GET", "/admin/identities/{id}", 200, body)


def test_public_rendering_strips_metadata_admin() -> None:
    body = identity_to_wire(_identity(), public_base_url=BASE, admin=False)
    assert "metadata_admin" not in body


def test_credentials_without_and_with_config() -> None:
    identity = _identity()
    identity.external_id = "ext"
    identity.organization_id = uuid.uuid4()
    body = identity_to_wire(identity, public_base_url=BASE, credentials=CredentialsView())
    assert set(body["credentials"]) == {"oidc", "password"}
    assert "config" not in body["credentials"]["password"]
    assert body["credentials"]["password"]["version"] == 1
    assert body["external_id"] == "ext"
    assert_matches_spec("GET", "/admin/identities/{id}", 200, body)
    body = identity_to_wire(
        identity, public_base_url=BASE, credentials=CredentialsView.of(["oidc"])
    )
    assert "config" not in body["credentials"]["password"]
    provider = body["credentials"]["oidc"]["config"]["providers"][0]
    assert provider == {
        "initial_id_token": "t",
        "initial_access_token": "",
        "initial_refresh_token": "",
        "subject": "1",
        "provider": "google",
    }
    assert_matches_spec("GET", "/admin/identities", 200, [body])


def test_empty_addresses_and_unset_state_change_are_omitted() -> None:
    identity = Identity(schema_id="default", traits={}, state_changed_at=None)
    body = identity_to_wire(identity, public_base_url=BASE, credentials=CredentialsView())
    for key in ("verifiable_addresses", "recovery_addresses", "state_changed_at", "credentials"):
        assert key not in body
    assert_matches_spec("GET", "/admin/identities/{id}", 200, body)
