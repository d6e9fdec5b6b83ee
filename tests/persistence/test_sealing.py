"""Credential secrets sealed at rest (:mod:`phalanx.persistence.sql.sealing`)."""

from __future__ import annotations

import pytest

from phalanx.persistence.sql.sealing import SEALED_PREFIX, CredentialSealer, derived_keys

URL = "otpauth://totp/X:a@b.c?algorithm=SHA1&digits=6&issuer=X&period=30&secret=JBSWY3DPEHPK3PXP"
KEY = "32-LONG-SECRET-NOT-SECURE-AT-ALL"


def test_totp_url_round_trip_and_rotation() -> None:
    old = CredentialSealer([KEY])
    sealed = old.seal("totp", {"totp_url": URL, "phalanx_last_step": 7})
    assert sealed["totp_url"].startswith(SEALED_PREFIX) and "JBSWY3DP" not in sealed["totp_url"]
    assert sealed["phalanx_last_step"] == 7
    assert old.seal("totp", sealed) == sealed  # never sealed twice
    rotated = CredentialSealer(["another-32-character-secret-here", KEY])
    assert rotated.open("totp", sealed) == {"totp_url": URL, "phalanx_last_step": 7}
    assert rotated.seal("totp", {"totp_url": URL})["totp_url"] != sealed["totp_url"]


def test_other_types_and_plain_values_pass_through() -> None:
    sealer = CredentialSealer(derived_keys(["a default secret of any length"]))
    password = {"hashed_password": "$2a$04$x"}
    assert sealer.seal("password", password) == password
    assert sealer.open("totp", {"totp_url": URL}) == {"totp_url": URL}  # stored before sealing


def test_a_value_no_key_opens_reads_as_empty() -> None:
    sealed = CredentialSealer([KEY]).seal("totp", {"totp_url": URL})
    other = CredentialSealer(["another-32-character-secret-here"])
    assert other.open("totp", sealed) == {"totp_url": ""}


def test_keys_must_be_usable() -> None:
    assert all(len(k) == 32 for k in derived_keys(["x", "y" * 100]))
    with pytest.raises(ValueError, match="32-character"):
        CredentialSealer(["short"])
