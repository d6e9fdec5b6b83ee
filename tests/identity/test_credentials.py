"""Counting active factors, the available AAL and removing credentials."""

from __future__ import annotations

from typing import Any

import pytest

from phalanx.errors import BadRequestError, NotFoundError
from phalanx.identity.credentials import (
    FactorPolicy,
    available_aal,
    count_first_factors,
    remove_credential,
)
from phalanx.identity.model import Credential, Identity

POLICY = FactorPolicy()


def _identity(**creds: tuple[list[str], dict[str, Any]]) -> Identity:
    identity = Identity(schema_id="default", traits={})
    identity.credentials = {
        t: Credential(type=t, identifiers=ids, config=cfg) for t, (ids, cfg) in creds.items()
    }
    return identity


def _oidc(*pairs: tuple[str, str]) -> tuple[list[str], dict[str, Any]]:
    return (
        [f"{p}:{s}" for p, s in pairs],
        {"providers": [{"provider": p, "subject": s} for p, s in pairs]},
    )


def test_available_aal() -> None:
    assert available_aal(_identity(), POLICY) == "aal0"
    assert available_aal(_identity(password=(["a"], {})), POLICY) == "aal0"
    pw = (["a"], {"hashed_password": "$2a$x"})
    assert available_aal(_identity(password=pw), POLICY) == "aal1"
    totp = (["id"], {"totp_url": "otpauth://totp/x"})
    assert available_aal(_identity(password=pw, totp=totp), POLICY) == "aal2"
    # A second factor alone is aal2 (Kratos SetAvailableAAL checks MFA first).
    assert available_aal(_identity(totp=totp), POLICY) == "aal2"


def test_first_factor_counts() -> None:
    identity = _identity(
        password=(["a"], {"hashed_password": "h"}), oidc=_oidc(("g", "1"), ("gh", "2"))
    )
    assert count_first_factors(identity, POLICY) == 3
    hook = _identity(password=(["a"], {"use_password_migration_hook": True}))
    assert count_first_factors(hook, POLICY) == 0
    assert count_first_factors(hook, FactorPolicy(password_migration_hook=True)) == 1


def test_remove_last_first_factor_is_refused() -> None:
    identity = _identity(password=(["a"], {"hashed_password": "h"}))
    with pytest.raises(BadRequestError, match="last first factor"):
        remove_credential(identity, "password", identifier="", policy=POLICY)


def test_remove_password_and_oidc() -> None:
    identity = _identity(
        password=(["a"], {"hashed_password": "h"}), oidc=_oidc(("g", "1"), ("gh", "2"))
    )
    with pytest.raises(BadRequestError, match="must provide an identifier"):
        remove_credential(identity, "oidc", identifier="", policy=POLICY)
    with pytest.raises(NotFoundError, match="`x:y` was not found"):
        remove_credential(identity, "oidc", identifier="x:y", policy=POLICY)
    remove_credential(identity, "oidc", identifier="g:1", policy=POLICY)
    assert identity.credentials["oidc"].identifiers == ["gh:2"]
    remove_credential(identity, "password", identifier="", policy=POLICY)
    assert identity.credentials["password"].config == {}
    assert identity.credentials["password"].identifiers == ["a"]


def test_remove_other_types() -> None:
    identity = _identity(
        totp=(["i"], {"totp_url": "u"}),
        webauthn=(["a"], {"credentials": [{"id": "1", "is_passwordless": True}, {"id": "2"}]}),
        passkey=(["h"], {"credentials": [{"id": "3"}]}),
    )
    with pytest.raises(NotFoundError, match="have no lookup_secret set up"):
        remove_credential(identity, "lookup_secret", identifier="", policy=POLICY)
    remove_credential(identity, "totp", identifier="", policy=POLICY)
    assert "totp" not in identity.credentials
    remove_credential(identity, "webauthn", identifier="", policy=POLICY)
    assert identity.credentials["webauthn"].config["credentials"] == [
        {"id": "1", "is_passwordless": True}
    ]
    with pytest.raises(BadRequestError, match="Credentials type passkey cannot be deleted"):
        remove_credential(identity, "passkey", identifier="", policy=POLICY)
