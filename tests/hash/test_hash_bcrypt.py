from __future__ import annotations

import re

import pytest

from phalanx.hash import (
    BcryptHasher,
    HashBoundsError,
    HashParseError,
    PasswordTooLongError,
    validate_hash,
    verify,
    verify_strict,
)
from phalanx.hash.bcrypt import bcrypt_cost

TEST_2A_04 = "$2a$04$Bl2QAGuKWsiRtpL3cRcNsOxLGzqgsxtLXtgduBQlCoR2PZoOVFLHa"  # "test"
A72 = "$2a$04$q4nT/ov2Vk942ru6wmqtquwqmyVsYJqeaeGtVwD3wo3WyOu/PBEYS"  # "a" * 72
E_ACUTE_36 = "$2b$04$kGChgXcZgBlIlsSeKxNYLeMXBZSS4AlHtqnKC5hZJEAS7bIATxzwK"  # "é" * 36 = 72 bytes


def test_generates_kratos_style_2a_hashes() -> None:
    hashed = BcryptHasher(cost=4).hash("secret password")
    assert re.fullmatch(r"\$2a\$04\$[./A-Za-z0-9]{53}", hashed)
    assert verify("secret password", hashed)
    assert not verify("secret passwort", hashed)


def test_default_cost_is_kratos_default() -> None:
    assert BcryptHasher().cost == 12


@pytest.mark.parametrize("cost", [3, 16, 31])
def test_hasher_refuses_costs_it_could_not_verify(cost: int) -> None:
    with pytest.raises(ValueError, match="cost"):
        BcryptHasher(cost=cost)


@pytest.mark.parametrize("version", ["2", "2a", "2b", "2y", "2z"])
def test_every_minor_version_verifies_like_go(version: str) -> None:
    hashed = f"${version}$" + TEST_2A_04[4:]
    assert verify("test", hashed)
    assert not verify("tesT", hashed)


def test_2x_is_not_a_bcrypt_prefix_for_kratos() -> None:
    assert not verify("test", "$2x$" + TEST_2A_04[4:])


def test_non_canonical_salt_bits_are_ignored_like_go() -> None:
    # 'O' and 'P' differ only in the salt bits bcrypt never uses.
    assert TEST_2A_04[28] == "O"
    assert verify("test", TEST_2A_04[:28] + "P" + TEST_2A_04[29:])


def test_exactly_72_bytes_verify() -> None:
    assert verify("a" * 72, A72)
    assert verify("é" * 36, E_ACUTE_36)


def test_longer_than_72_bytes_never_matches_even_with_matching_prefix() -> None:
    # bcrypt itself would only look at the first 72 bytes: "a" * 72 + anything would match.
    assert not verify("a" * 72 + "b", A72)
    assert not verify("a" * 73, A72)
    assert not verify("é" * 36 + "x", E_ACUTE_36)
    with pytest.raises(PasswordTooLongError) as raised:
        verify_strict("a" * 72 + "b", A72)
    assert raised.value.actual_length == 73
    assert raised.value.max_length == 72


def test_multibyte_characters_count_as_bytes() -> None:
    with pytest.raises(PasswordTooLongError):
        BcryptHasher(cost=4).hash("é" * 37)  # 74 bytes, 37 characters


def test_hashing_refuses_more_than_72_bytes() -> None:
    hasher = BcryptHasher(cost=4)
    assert verify("a" * 72, hasher.hash("a" * 72))
    with pytest.raises(PasswordTooLongError):
        hasher.hash("a" * 73)


def test_passwords_with_nul_bytes_are_not_cut_short() -> None:
    hashed = BcryptHasher(cost=4).hash("a\x00b")
    assert verify("a\x00b", hashed)
    assert not verify("a", hashed)
    assert not verify("a\x00c", hashed)


def test_cost_bound_from_kratos_limits_test() -> None:
    hashed = "$2a$20$abcdefghijklmnopqrstuugn/uitWMnDoOdJaSWqW1pjEXZ8eOSCqK"
    with pytest.raises(HashBoundsError):
        validate_hash(hashed)
    with pytest.raises(HashBoundsError):
        verify_strict("any-password", hashed)
    assert not verify("any-password", hashed)


def test_cost_15_is_still_accepted_on_import() -> None:
    validate_hash("$2a$15$GRvRO2nrpYTEuPQX6AieaOlZ4.7nMGsXpt.QWMev1zrP86JNspZbO")
    assert bcrypt_cost("$2a$15$GRvRO2nrpYTEuPQX6AieaOlZ4.7nMGsXpt.QWMev1zrP86JNspZbO") == 15


@pytest.mark.parametrize(
    "hashed",
    [
        "$2a$12$tooshort",
        "$2a$03$" + TEST_2A_04[7:],  # cost below bcrypt's minimum
        "$2a$1x$" + TEST_2A_04[7:],
    ],
)
def test_malformed_headers_fail_to_parse(hashed: str) -> None:
    with pytest.raises(HashParseError):
        validate_hash(hashed)
    assert not verify("test", hashed)


@pytest.mark.parametrize(
    "hashed",
    [
        TEST_2A_04 + "x",  # one character too many
        TEST_2A_04[:-1] + "!",  # not bcrypt base64
    ],
)
def test_malformed_bodies_never_match(hashed: str) -> None:
    with pytest.raises(HashParseError):
        verify_strict("test", hashed)
    assert not verify("test", hashed)
