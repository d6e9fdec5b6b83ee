from __future__ import annotations

import pytest

from phalanx.hash import (
    Argon2Hasher,
    BcryptHasher,
    Hasher,
    Pbkdf2Hasher,
    hasher_from_config,
    needs_rehash,
)

BCRYPT_04 = "$2a$04$Bl2QAGuKWsiRtpL3cRcNsOxLGzqgsxtLXtgduBQlCoR2PZoOVFLHa"
BCRYPT_12 = "$2a$12$o6hx.Wog/wvFSkT/Bp/6DOxCtLRTDj7lm9on9suF/WaCGNVHbkfL6"
ARGON2ID = "$argon2id$v=19$m=32,t=2,p=4$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw"
ARGON2I = (
    "$argon2i$v=19$m=65536,t=3,p=4$kk51rW/vxIVCYn+EG4kTSg"
    "$NyT88uraJ6im6dyha/M5jhXvpqlEdlS/9fEm7ScMb8c"
)
IMPORTED = [
    "$md5$CY9rzUYh03PK3k6DJie09g==",
    "{SSHA}JFZFs0oHzxbMwkSJmYVeI8MnTDy/276a",
    "$md5-crypt$TVEiiKNb$SN6/pUaRQS/E8Jh46As2C/",
    "$pbkdf2-sha256$i=1000,l=32$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "not a hash",
]


@pytest.mark.parametrize("hashed", IMPORTED)
@pytest.mark.parametrize(
    "hasher", [BcryptHasher(cost=12), Argon2Hasher(memory_kib=32, parallelism=4)]
)
def test_formats_the_configured_hasher_does_not_understand_are_rehashed(
    hasher: Hasher, hashed: str
) -> None:
    assert needs_rehash(hashed, hasher)
    assert needs_rehash(hashed, hasher, check_params=False)


def test_bcrypt_config() -> None:
    hasher = BcryptHasher(cost=12)
    assert not needs_rehash(BCRYPT_12, hasher)
    assert needs_rehash(ARGON2ID, hasher)
    assert needs_rehash(ARGON2I, hasher)
    # Lower cost: Phalanx re-hashes (Django's must_update); Kratos would not.
    assert needs_rehash(BCRYPT_04, hasher)
    assert not needs_rehash(BCRYPT_04, hasher, check_params=False)
    # Higher cost than configured is kept.
    assert not needs_rehash(BCRYPT_12, BcryptHasher(cost=10))


def test_argon2_config() -> None:
    same = Argon2Hasher(memory_kib=32, iterations=2, parallelism=4, key_length=16)
    assert not needs_rehash(ARGON2ID, same)
    assert needs_rehash(BCRYPT_12, same)
    # argon2i is not understood by Kratos's argon2 hasher (argon2id only).
    assert needs_rehash(ARGON2I, same)
    for other in (
        Argon2Hasher(memory_kib=64, iterations=2, parallelism=4, key_length=16),
        Argon2Hasher(memory_kib=32, iterations=1, parallelism=4, key_length=16),
        Argon2Hasher(memory_kib=32, iterations=2, parallelism=2, key_length=16),
        Argon2Hasher(memory_kib=32, iterations=2, parallelism=4, key_length=32),
    ):
        assert needs_rehash(ARGON2ID, other)
        assert not needs_rehash(ARGON2ID, other, check_params=False)


def test_fresh_hashes_need_no_rehash() -> None:
    for hasher in (BcryptHasher(cost=4), Argon2Hasher(memory_kib=32, parallelism=1)):
        assert not needs_rehash(hasher.hash("pw"), hasher)


def test_pbkdf2_hasher_understands_pbkdf2() -> None:
    assert not needs_rehash(IMPORTED[3], Pbkdf2Hasher(), check_params=False)


def test_hasher_from_config() -> None:
    common = {
        "bcrypt_cost": 10,
        "argon2_memory_kib": 64,
        "argon2_iterations": 2,
        "argon2_parallelism": 1,
        "argon2_salt_length": 16,
        "argon2_key_length": 32,
    }
    bcrypt_hasher = hasher_from_config("bcrypt", **common)
    assert isinstance(bcrypt_hasher, BcryptHasher)
    assert bcrypt_hasher.cost == 10
    argon2_hasher = hasher_from_config("argon2", **common)
    assert isinstance(argon2_hasher, Argon2Hasher)
    assert argon2_hasher.hash("pw").startswith("$argon2id$v=19$m=64,t=2,p=1$")
    with pytest.raises(ValueError, match="scrypt"):
        hasher_from_config("scrypt", **common)
