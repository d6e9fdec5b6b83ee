"""Recognition by prefix, import validation, bounds and malformed hashes of every family."""

from __future__ import annotations

import pytest

from phalanx.hash import (
    FORMATS,
    HashBoundsError,
    HashError,
    HashParseError,
    PasswordTooLongError,
    Pbkdf2Hasher,
    UnknownHashFormatError,
    identify,
    validate_hash,
    verify,
    verify_strict,
)

FIRESCRYPT_TAIL = "$c2FsdHNhbHRzYWx0$aGFzaA==$Bw==$a2V5a2V5"
PBKDF2_TAIL = (
    "$1jP+5Zxpxgtee/iPxGgOz0RfE9/KJuDElP1ley4VxXc$QJxzfvdbHYBpydCbHoFg3GJEqMFULwskiuqiJctoYpI"
)


def test_kratos_order_of_formats() -> None:
    assert [f.name for f in FORMATS] == [
        "md5crypt",
        "bcrypt",
        "sha256crypt",
        "sha512crypt",
        "argon2id",
        "argon2i",
        "pbkdf2",
        "scrypt",
        "ssha",
        "sha",
        "firebasescrypt",
        "md5",
        "hmac",
    ]


@pytest.mark.parametrize(
    "hashed",
    [
        "",
        "plaintext",
        "$unknown$12$o6hx.Wog/wvFSkT/Bp/6DOxCtLRTDj7lm9on9suF/WaCGNVHbkfL6",
        "$2x$04$Bl2QAGuKWsiRtpL3cRcNsOxLGzqgsxtLXtgduBQlCoR2PZoOVFLHa",
        "{SSHAnotExistent}xPUl/px+1cG55rUH4rzcwxdOIPSB2TingLpiJJumN2xyDWN4Ix1WQG3ihnvHaWUE8MYNkvMi5",
        "{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=",
        "$shaNotExistent$pf=e1NBTFR9e1BBU1NXT1JEfQ==$NW9wbWtnejAzcg==$2qU2SGWP8viTM1md3FiI3+rjWXQ=",
        "$hmac$ZmU4Njk3Zjc0MmQwODA0MDVkMTI3MGU2MTYzMzE2Zjk=$MTIzNDU=",
        "$hmac-invalid$ZmU4Njk3Zjc0MmQwODA0MDVkMTI3MGU2MTYzMzE2Zjk=$MTIzNDU=",
        "$pbkdf2-md5$i=1,l=1$AA$AA",
        "$pbkdf2-sha1234$i=1,l=1$AA$AA",
        "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5",
        "$argon2d$v=19$m=32,t=2,p=4$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw",
        " $2a$04$Bl2QAGuKWsiRtpL3cRcNsOxLGzqgsxtLXtgduBQlCoR2PZoOVFLHa",
    ],
)
def test_unknown_formats(hashed: str) -> None:
    assert identify(hashed) is None
    with pytest.raises(UnknownHashFormatError) as raised:
        validate_hash(hashed)
    assert raised.value.reason == "The imported password does not match any known hash format."
    with pytest.raises(UnknownHashFormatError):
        verify_strict("test", hashed)
    assert verify("test", hashed) is False


def test_error_reasons_are_kratos_wording() -> None:
    assert HashParseError.reason == "The imported password hash could not be parsed."
    assert HashBoundsError.reason == (
        "The imported password hash declares cost parameters that exceed the bounds enforced by "
        "Ory. Re-hash the password with a more conservative configuration before importing."
    )
    for cls in (UnknownHashFormatError, HashParseError, HashBoundsError, PasswordTooLongError):
        assert issubclass(cls, HashError)


@pytest.mark.parametrize(
    "hashed",
    [
        # hash_limits_test.go: firescrypt
        "$firescrypt$ln=31,r=8,p=1" + FIRESCRYPT_TAIL,
        "$firescrypt$ln=18,r=8,p=1" + FIRESCRYPT_TAIL,
        "$firescrypt$ln=14,r=1024,p=1" + FIRESCRYPT_TAIL,
        "$firescrypt$ln=14,r=8,p=1024" + FIRESCRYPT_TAIL,
        "$firescrypt$ln=14,r=0,p=1" + FIRESCRYPT_TAIL,
        "$firescrypt$ln=14,r=8,p=0" + FIRESCRYPT_TAIL,
        # scrypt: N (not log N) in [1, 2^17], r in [1, 8], p in [1, 10]
        "$scrypt$ln=2097153,r=8,p=1$c2FsdHNhbHRzYWx0$aGFzaA==",
        "$scrypt$ln=131073,r=8,p=1$c2FsdHNhbHRzYWx0$aGFzaA==",
        "$scrypt$ln=0,r=8,p=1$c2FsdHNhbHRzYWx0$aGFzaA==",
        "$scrypt$ln=16384,r=1024,p=1$c2FsdHNhbHRzYWx0$aGFzaA==",
        "$scrypt$ln=16384,r=9,p=1$c2FsdHNhbHRzYWx0$aGFzaA==",
        "$scrypt$ln=16384,r=8,p=11$c2FsdHNhbHRzYWx0$aGFzaA==",
        # pbkdf2: i in [1, 10_000_000]
        "$pbkdf2-sha256$i=1000000000,l=32" + PBKDF2_TAIL,
        "$pbkdf2-sha256$i=10000001,l=32" + PBKDF2_TAIL,
        "$pbkdf2-sha256$i=0,l=32" + PBKDF2_TAIL,
    ],
)
def test_bounds_on_import_and_on_compare(hashed: str) -> None:
    with pytest.raises(HashBoundsError):
        validate_hash(hashed)
    with pytest.raises(HashBoundsError):
        verify_strict("any-password", hashed)
    assert verify("any-password", hashed) is False


@pytest.mark.parametrize(
    "hashed",
    [
        "$scrypt$ln=131072,r=8,p=10$c2FsdHNhbHRzYWx0$aGFzaA==",
        "$firescrypt$ln=17,r=8,p=10" + FIRESCRYPT_TAIL,
        "$pbkdf2-sha256$i=10000000,l=32" + PBKDF2_TAIL,
        "$argon2id$v=19$m=1048576,t=10,p=16$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw",
    ],
)
def test_bounds_are_inclusive(hashed: str) -> None:
    validate_hash(hashed)  # nothing raised: parsing and bounds only, nothing computed


@pytest.mark.parametrize(
    "hashed",
    [
        # pbkdf2 (Kratos's negative cases among them)
        "$pbkdf2-sha256" + PBKDF2_TAIL,
        "$pbkdf2-sha256$aaaa" + PBKDF2_TAIL,
        "$pbkdf2-sha512$I=100000,l=32" + PBKDF2_TAIL,
        "$pbkdf2-sha256$i=100000,l=32$1jP+5Zxpxgtee/iPxGgOz0RfE9/KJuDElP1ley4VxXc=$QJxz",
        "$pbkdf2-sha256$i=4294967296,l=32" + PBKDF2_TAIL,
        # scrypt
        "$scrypt$2npRo7P03Mt8keSoMbyD/tKFWyUzjiQf2svUaNDSrhA=$MiCzNcIplSMqSBrm4HckjYqYhaVPPjTARTzwB1cVNYE=",
        "$scrypt$ln=16384,r=8,p=1$(2npRo7P03Mt8keSoMbyD/tKFWyUzjiQf2svUaNDSrhA="
        "$MiCzNcIplSMqSBrm4HckjYqYhaVPPjTARTzwB1cVNYE=",
        "$scrypt$ln=abc,r=8,p=1$2npRo7P03Mt8keSoMbyD/tKFWyUzjiQf2svUaNDSrhA="
        "$MiCzNcIplSMqSBrm4HckjYqYhaVPPjTARTzwB1cVNYE=",
        "$scrypt$ln=16384,r=8,p=1$2npRo7P03Mt8keSoMbyD/tKFWyUzjiQf2svUaNDSrhA",
        # firebase scrypt
        "$firescrypt$ln=14,r=8,p=1$c2FsdHNhbHRzYWx0$aGFzaA==$Bw==",
        "$firescrypt$ln=x,r=8,p=1" + FIRESCRYPT_TAIL,
        "$firescrypt$ln=14,r=8,p=1$c2FsdHNhbHRzYWx0$aGFzaA==$Bw=$a2V5a2V5",
    ],
)
def test_malformed_bounded_families_are_refused_on_import(hashed: str) -> None:
    with pytest.raises(HashParseError):
        validate_hash(hashed)
    assert verify("test", hashed) is False


@pytest.mark.parametrize(
    "hashed",
    [
        # md5 (Kratos: "$md5$$" is ErrInvalidHash, the pf= ones base64 errors)
        "$md5$$",
        "$md5$$$",
        "$md5$pf=$$",
        "$md5$pf=MTIz$Z$",
        "$md5$pf=MTIz$MTIz$Z",
        "$md5$CY9rzUYh03PK3k6DJie09g",
        # sha
        "$sha1$pf=$NW9wbWtnejAzcg==$2qU2SGWP8viTM1md3FiI3+rjWXQ=",
        "$sha1$$NW9wbWtnejAzcg==$2qU2SGWP8viTM1md3FiI3+rjWXQ=",
        "$sha1$NW9wbWtnejAzcg==$2qU2SGWP8viTM1md3FiI3+rjWXQ=",
        "$sha1$pf=e1NBTFR9e1BBU1NXT1JEfQ==$5opmkgz03r$2qU2SGWP8viTM1md3FiI3+rjWXQ=",
        # ssha
        "{SSHA}tooshort",
        "{SSHA}JFZFs0oHzxbMwkSJmYVeI8MnTDy/276",
        "{SSHA256}czO44OTV17PcF1cRxWrLZLy9xHd7CWyVYplr1rOhuMk=",  # 32 bytes: no salt
        # hmac (Kratos: ErrInvalidHash for a missing key part)
        "$hmac-md5$ZmU4Njk3Zjc0MmQwODA0MDVkMTI3MGU2MTYzMzE2Zjk=",
        "$hmac-md5$MTIzNDU=",
        "$hmac-md5$",
        "$hmac-md5$ZmU4Njk3Zjc0MmQwODA0MDVkMTI3MGU2MTYzMzE2Zjk$MTIzNDU=",
    ],
)
def test_malformed_unbounded_families_fail_to_compare(hashed: str) -> None:
    # Kratos's import check leaves these families alone; the comparison refuses them.
    validate_hash(hashed)
    with pytest.raises(HashParseError):
        verify_strict("test", hashed)
    assert verify("test", hashed) is False


@pytest.mark.parametrize(
    "hashed",
    [
        "$hmac-md5$ZmU4Njk3Zjc0MmQwODA0MDVkMTI3MGU2MTYzMzE2Zjk=$",  # empty key
        "$hmac-md5$$MTIzNDU=",  # empty digest
        "$md5$",  # empty digest
    ],
)
def test_empty_parts_are_plain_mismatches(hashed: str) -> None:
    assert verify_strict("test", hashed) is False


def test_salting_pattern_is_substituted_once() -> None:
    # pf={SALT}{PASSWORD}, salt "{PASSWORD}": the salt is not expanded again.
    import base64
    import hashlib

    pattern = base64.b64encode(b"{SALT}{PASSWORD}").decode()
    salt = base64.b64encode(b"{PASSWORD}").decode()
    digest = base64.b64encode(hashlib.sha256(b"{PASSWORD}pw").digest()).decode()
    assert verify("pw", f"$sha256$pf={pattern}${salt}${digest}")


def test_scrypt_n_must_be_a_power_of_two_to_compute() -> None:
    hashed = (
        "$scrypt$ln=16385,r=8,p=1$2npRo7P03Mt8keSoMbyD/tKFWyUzjiQf2svUaNDSrhA="
        "$MiCzNcIplSMqSBrm4HckjYqYhaVPPjTARTzwB1cVNYE="
    )
    validate_hash(hashed)  # as in Kratos, only bounds are checked on import
    with pytest.raises(HashParseError):
        verify_strict("test", hashed)
    assert not verify("test", hashed)


def test_scrypt_at_maximum_memory_computes() -> None:
    # N = 2^17, r = 8: 128 MiB, beyond hashlib's default 32 MiB limit.
    import base64
    import hashlib

    salt = b"0123456789abcdef"
    key = hashlib.scrypt(b"pw", salt=salt, n=2**17, r=8, p=1, maxmem=2**28, dklen=16)
    hashed = (
        f"$scrypt$ln=131072,r=8,p=1${base64.b64encode(salt).decode()}"
        f"${base64.b64encode(key).decode()}"
    )
    assert verify("pw", hashed)


def test_firebase_wrong_signer_key_fails() -> None:
    good = (
        "$firescrypt$ln=14,r=8,p=1$sPtDhWcd1MfdAw=="
        "$xbSou7FOl6mChCyzpCPIQ7tku7nsQMTFtyOZSXXd7tjBa4NtimOx7v42Gv2SfzPQu1oxM2/k4SsbOu73wlKe1A=="
        "$Bw==$YE0dO4bwD4JnJafh6lZZfkp1MtKzuKAXQcDCJNJNyeCHairWHKENOkbh3dzwaCdizzOspwr/FITUVlnOAwPKyw=="
    )
    assert verify("8x4WjoDbSxJZdR", good)
    assert not verify("8x4WjoDbSxJZdR", good.replace("$Bw==$", "$CA==$"))
    assert not verify("8x4WjoDbSxJZdR", good[:-4] + "yc==")


@pytest.mark.parametrize("digest", ["sha1", "sha224", "sha256", "sha384", "sha512"])
def test_pbkdf2_hasher_round_trip(digest: str) -> None:
    hashed = Pbkdf2Hasher(digest=digest, iterations=1000).hash("pw")
    assert hashed.startswith(f"$pbkdf2-{digest}$i=1000,l=32$")
    assert identify(hashed) == "pbkdf2"
    assert verify("pw", hashed)
    assert not verify("pW", hashed)


def test_pbkdf2_unknown_sha_length_means_sha256_like_kratos() -> None:
    hashed = Pbkdf2Hasher(digest="sha256", iterations=1000).hash("pw")
    assert verify("pw", hashed.replace("$pbkdf2-sha256$", "$pbkdf2-sha999$"))
