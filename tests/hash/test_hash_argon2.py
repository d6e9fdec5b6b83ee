from __future__ import annotations

import base64
import re

import pytest
from argon2.low_level import Type, hash_secret_raw

from phalanx.hash import (
    Argon2Hasher,
    HashBoundsError,
    HashParseError,
    default_argon2_parallelism,
    validate_hash,
    verify,
    verify_strict,
)

KRATOS_FORMAT = re.compile(
    r"\$argon2id\$v=19\$m=(?P<m>[0-9]+),t=(?P<t>[0-9]+),p=(?P<p>[0-9]+)"
    r"\$(?P<salt>[A-Za-z0-9+/]+)\$(?P<hash>[A-Za-z0-9+/]+)"
)


def _raw_b64decode(value: str) -> bytes:
    return base64.b64decode(value + "=" * (-len(value) % 4))


def test_generates_exactly_kratos_format() -> None:
    hasher = Argon2Hasher(memory_kib=64, iterations=2, parallelism=2, salt_length=16, key_length=32)
    hashed = hasher.hash("correct horse")
    match = KRATOS_FORMAT.fullmatch(hashed)
    assert match is not None, hashed
    assert (match["m"], match["t"], match["p"]) == ("64", "2", "2")
    assert len(match["salt"]) == 22 and len(match["hash"]) == 43  # unpadded base64 of 16 / 32
    salt, digest = _raw_b64decode(match["salt"]), _raw_b64decode(match["hash"])
    assert len(salt) == 16 and len(digest) == 32
    # The digest is plain argon2id over those parameters: any Kratos can verify it.
    assert digest == hash_secret_raw(b"correct horse", salt, 2, 64, 2, 32, Type.ID, 19)
    assert verify("correct horse", hashed)
    assert not verify("correct horsE", hashed)


def test_salt_and_key_length_are_honoured() -> None:
    hashed = Argon2Hasher(memory_kib=32, parallelism=1, salt_length=8, key_length=16).hash("x")
    match = KRATOS_FORMAT.fullmatch(hashed)
    assert match is not None
    assert len(_raw_b64decode(match["salt"])) == 8
    assert len(_raw_b64decode(match["hash"])) == 16


def test_fresh_salt_every_time() -> None:
    hasher = Argon2Hasher(memory_kib=32, parallelism=1)
    assert hasher.hash("same") != hasher.hash("same")


def test_kratos_defaults() -> None:
    hasher = Argon2Hasher()
    assert hasher.memory_kib == 131072  # 128MB
    assert hasher.iterations == 1
    assert hasher.parallelism == default_argon2_parallelism()
    assert hasher.salt_length == 16
    assert hasher.key_length == 32


def test_default_parallelism_is_twice_the_cpus_within_bounds() -> None:
    assert 1 <= default_argon2_parallelism() <= 16


@pytest.mark.parametrize(
    "kwargs",
    [
        {"memory_kib": 2**20 + 1},
        {"memory_kib": 15, "parallelism": 2},  # libargon2 needs 8 KiB per lane
        {"iterations": 0},
        {"iterations": 11},
        {"parallelism": 17},
        {"salt_length": 7},
        {"key_length": 3},
    ],
)
def test_hasher_refuses_parameters_it_could_not_verify(kwargs: dict[str, int]) -> None:
    params = {"memory_kib": 64, "parallelism": 1} | kwargs
    with pytest.raises(ValueError, match="argon2"):
        Argon2Hasher(**params)


@pytest.mark.parametrize(
    "hashed",
    [
        "$argon2id$v=19$m=8388608,t=2,p=4$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw",
        "$argon2id$v=19$m=65536,t=1000,p=4$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw",
        "$argon2id$v=19$m=65536,t=1,p=17$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw",
        "$argon2id$v=19$m=0,t=1,p=1$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw",
        "$argon2id$v=19$m=64,t=0,p=1$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw",
        "$argon2i$v=19$m=8388608,t=3,p=4$kk51rW/vxIVCYn+EG4kTSg$NyT88uraJ6im6dyha/M5jhXvpqlEdlS/9fEm7ScMb8c",
        "$argon2i$v=19$m=65536,t=1000,p=4$kk51rW/vxIVCYn+EG4kTSg$NyT88uraJ6im6dyha/M5jhXvpqlEdlS/9fEm7ScMb8c",
    ],
)
def test_out_of_bounds_parameters(hashed: str) -> None:
    with pytest.raises(HashBoundsError):
        validate_hash(hashed)
    with pytest.raises(HashBoundsError):
        verify_strict("any-password", hashed)
    assert not verify("any-password", hashed)


@pytest.mark.parametrize(
    "hashed",
    [
        "$argon2id$v=18$m=32,t=2,p=4$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw",  # version
        "$argon2id$m=32,t=2,p=4$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw",  # 5 parts
        "$argon2id$v=19$t=2,m=32,p=4$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw",
        "$argon2id$v=19$m=32,t=2,p=300$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw",  # uint8
        "$argon2id$v=19$m=32,t=2,p=4$cm94YnRVOW5jZzFzcVE4bQ==$MNzk5BtR2vUhrp6qQEjRNw",  # padded
        "$argon2id$v=19$m=32,t=2,p=4$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRN!",
    ],
)
def test_malformed_hashes(hashed: str) -> None:
    with pytest.raises(HashParseError):
        validate_hash(hashed)
    assert not verify("test", hashed)


def test_argon2i_hashes_verify_as_argon2i_not_argon2id() -> None:
    salt = b"saltsaltsaltsalt"
    digest = hash_secret_raw(b"pw", salt, 1, 32, 1, 16, Type.I, 19)
    encoded = "$".join(base64.b64encode(v).decode().rstrip("=") for v in (salt, digest))
    assert verify("pw", f"$argon2i$v=19$m=32,t=1,p=1${encoded}")
    assert not verify("pw", f"$argon2id$v=19$m=32,t=1,p=1${encoded}")


def test_parameters_libargon2_cannot_compute_fail_closed() -> None:
    # Go's argon2 accepts a 4-byte salt; libargon2 needs 8. Such a hash never matches here.
    hashed = "$argon2id$v=19$m=32,t=1,p=1$c2FsdA$MNzk5BtR2vUhrp6qQEjRNw"
    validate_hash(hashed)
    assert not verify("test", hashed)
    with pytest.raises(HashParseError):
        verify_strict("test", hashed)
