"""Importing credentials: hashing plaintext off the loop, validating hashes, merging."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator

import bcrypt
import pytest

from phalanx.errors import BadRequestError
from phalanx.hash import BcryptHasher, PasswordHashing, verify
from phalanx.identity.import_credentials import import_credentials
from phalanx.identity.model import Identity
from phalanx.identity.payloads import parse_create_body

pytestmark = pytest.mark.anyio


@pytest.fixture
def hashing() -> Iterator[PasswordHashing]:
    with PasswordHashing(BcryptHasher(cost=4), max_workers=2) as h:
        yield h


async def _import(
    credentials: dict[str, object], hashing: PasswordHashing, identity: Identity | None = None
) -> Identity:
    identity = identity or Identity(schema_id="default", traits={})
    body = parse_create_body({"credentials": credentials})
    await import_credentials(identity, body.credentials, hashing)
    return identity


async def test_plaintext_password_is_hashed(hashing: PasswordHashing) -> None:
    identity = await _import({"password": {"config": {"password": "s3cret!"}}}, hashing)
    credential = identity.credentials["password"]
    assert credential.version == 1
    hashed = credential.config["hashed_password"]
    assert hashed.startswith("$2a$04$") and verify("s3cret!", hashed)


async def test_hashed_password_is_validated(hashing: PasswordHashing) -> None:
    good = bcrypt.hashpw(b"pw", bcrypt.gensalt(4)).decode()
    identity = await _import({"password": {"config": {"hashed_password": good}}}, hashing)
    assert identity.credentials["password"].config == {"hashed_password": good}
    with pytest.raises(BadRequestError, match="does not match any known hash format"):
        await _import({"password": {"config": {"hashed_password": "plain"}}}, hashing)
    with pytest.raises(BadRequestError, match="exceed the bounds"):
        await _import({"password": {"config": {"hashed_password": "$2a$20$" + good[7:]}}}, hashing)


async def test_migration_hook_flag_wins(hashing: PasswordHashing) -> None:
    identity = await _import(
        {"password": {"config": {"password": "x", "use_password_migration_hook": True}}}, hashing
    )
    assert identity.credentials["password"].config == {"use_password_migration_hook": True}


async def test_oidc_and_saml_merge(hashing: PasswordHashing) -> None:
    org = str(uuid.uuid4())
    identity = await _import(
        {
            "oidc": {
                "config": {
                    "providers": [
                        {"provider": "google", "subject": "1", "use_auto_link": True},
                        {"provider": "github", "subject": "2", "organization": org},
                    ]
                }
            },
            "saml": {"config": {"providers": [{"provider": "okta", "subject": "x"}]}},
        },
        hashing,
    )
    oidc = identity.credentials["oidc"]
    assert oidc.identifiers == ["google:1", "github:2"]
    assert oidc.config["providers"][0]["use_auto_link"] is True
    assert oidc.config["providers"][1]["organization"] == org
    assert identity.credentials["saml"].identifiers == ["okta:x"]
    await _import(
        {
            "oidc": {
                "config": {
                    "providers": [
                        {"provider": "google", "subject": "1"},
                        {"provider": "apple", "subject": "3"},
                    ]
                }
            }
        },
        hashing,
        identity,
    )
    assert oidc.identifiers == ["google:1", "github:2", "apple:3"]
    assert len(oidc.config["providers"]) == 3
    assert "use_auto_link" not in oidc.config["providers"][0]


async def test_mfa_credentials_stored_as_given(hashing: PasswordHashing) -> None:
    identity = await _import(
        {
            "totp": {"config": {"totp_url": "otpauth://totp/a?secret=JBSWY3DPEHPK3PXP"}},
            "lookup_secret": {
                "config": {
                    "codes": [{"code": "abcd"}, {"code": "efgh", "used_at": "2024-01-01T00:00:00Z"}]
                }
            },
            "webauthn": {
                "config": {
                    "credentials": [{"id": "AQ==", "is_passwordless": False}],
                    "user_handle": "aGk=",
                }
            },
        },
        hashing,
    )
    assert identity.credentials["totp"].identifiers == [str(identity.id)]
    assert identity.credentials["totp"].config == {
        "totp_url": "otpauth://totp/a?secret=JBSWY3DPEHPK3PXP"
    }
    assert identity.credentials["lookup_secret"].config["recovery_codes"] == [
        {"code": "abcd", "used_at": None},
        {"code": "efgh", "used_at": "2024-01-01T00:00:00Z"},
    ]
    assert identity.credentials["webauthn"].version == 1


async def test_passkey_needs_user_handle(hashing: PasswordHashing) -> None:
    with pytest.raises(BadRequestError, match="non-empty user_handle"):
        await _import({"passkey": {"config": {"credentials": [{"id": "AQ=="}]}}}, hashing)
    handle = base64.b64encode(b"user-handle").decode()
    identity = await _import(
        {"passkey": {"config": {"credentials": [{"id": "AQ=="}], "user_handle": handle}}}, hashing
    )
    assert identity.credentials["passkey"].identifiers == ["user-handle"]


async def test_imported_backup_codes_are_sealed(hashing: PasswordHashing) -> None:
    identity = Identity(schema_id="default", traits={})
    payload = parse_create_body(
        {
            "schema_id": "default",
            "traits": {},
            "credentials": {"lookup_secret": {"config": {"codes": [{"code": "abcd1234"}]}}},
        }
    ).credentials
    await import_credentials(identity, payload, hashing, seal_code=lambda c: f"sealed:{c}")
    assert identity.credentials["lookup_secret"].config["recovery_codes"] == [
        {"code": "sealed:abcd1234", "used_at": None}
    ]
