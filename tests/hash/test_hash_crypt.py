"""md5-crypt and SHA-crypt, implemented in pure Python, against glibc's outputs."""

from __future__ import annotations

import pytest

from phalanx.hash import HashParseError, UnknownHashFormatError, verify, verify_strict
from phalanx.hash.crypt import md5_crypt, sha256_crypt, sha512_crypt

# (password, glibc crypt(3) output). The first ones are from the SHA-crypt specification.
GLIBC = [
    ("Hello world!", "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5"),
    (
        "Hello world!",
        "$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA",
    ),
    (
        "Hello world!",
        "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
    ),
    (
        "Hello world!",
        "$6$rounds=10000$saltstringsaltst"
        "$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.",
    ),
    (
        "we have a short salt string but not a short password",
        "$6$rounds=1000$roundstoolow"
        "$yjTuW7RnC.d35QcVTFIb6uvh/7IQ1.GFtFN3i/.jwmeWEhzjf4uD/OPCb4jRl6atJGYhLst8IyR6YAtTrriMU1",
    ),
    (
        "a very much longer text to encrypt.  This one even stretches over morethan one line.",
        "$5$rounds=1400$anotherlongsalts$Rx.j8H.h8HjEDGomFU8bDkXm3XIUnzyxf12oP84Bnq1",
    ),
    ("", "$5$saltstring$FdNfA4gXqvCeO6iZs7G/.wwwoywYZqo0l1pwmfWaBA7"),
    (
        "pässwörd",
        "$6$rounds=1000$abc"
        "$WawrB1RkOa7.MIVKsLHykkp4G3s2O9P9zSvyN8fgtHYKweYgvZleNrdrGfGTdL6wnjBeaUDvpZu3X.O1UrJb6/",
    ),
    ("pässwörd", "$1$abc$va.mDh.xD0xaCpxxh9akd0"),
    ("", "$1$$qRPK7m23GJusamGpoGLby/"),
    ("x" * 100, "$1$12345678$/5NxtAT.Xg3Y9ShvNINWT1"),
]

KRATOS_PREFIX = {"1": "$md5-crypt$", "5": "$sha256-crypt$", "6": "$sha512-crypt$"}


def _as_kratos(crypt_hash: str) -> str:
    identifier, rest = crypt_hash[1:].split("$", 1)
    return KRATOS_PREFIX[identifier] + rest


@pytest.mark.parametrize(("password", "crypt_hash"), GLIBC)
def test_matches_glibc(password: str, crypt_hash: str) -> None:
    parts = crypt_hash.split("$")
    salt, digest = parts[-2].encode(), parts[-1].encode()
    rounds = int(parts[2].removeprefix("rounds=")) if len(parts) == 5 else 5000
    if parts[1] == "1":
        assert md5_crypt(password.encode(), salt) == digest
    elif parts[1] == "5":
        assert sha256_crypt(password.encode(), salt, rounds) == digest
    else:
        assert sha512_crypt(password.encode(), salt, rounds) == digest


@pytest.mark.parametrize(("password", "crypt_hash"), GLIBC)
def test_verifies_under_kratos_prefixes(password: str, crypt_hash: str) -> None:
    hashed = _as_kratos(crypt_hash)
    assert verify(password, hashed)
    assert not verify(password + "!", hashed)


def test_bare_crypt_prefixes_are_not_kratos_formats() -> None:
    with pytest.raises(UnknownHashFormatError):
        verify_strict("Hello world!", GLIBC[0][1])
    assert not verify(
        "test", "$5$rounds=535000$awpcR7lDlnK/S7WE$vHU7KkQwyjfGz6u4MUi7.lH9htK/l63HloTsX1ZMz.3"
    )


def test_empty_md5_crypt_digest_is_a_mismatch_not_an_error() -> None:
    # Kratos: ErrMismatchedHashAndPassword for "$md5-crypt$$".
    assert verify_strict("ory", "$md5-crypt$$") is False


@pytest.mark.parametrize(
    "hashed",
    [
        "$md5-crypt$$$",
        "$md5-crypt$whuMjZj.HMFoaTaZRRtkO0",
        "$sha256-crypt$$",
        "$sha256-crypt$$$",
        "$sha512-crypt$$",
        "$sha512-crypt$$$",
        "$sha256-crypt$cost=5000$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5",
        "$sha256-crypt$rounds=x$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5",
        "$sha256-crypt$rounds=5000$saltstring$",
    ],
)
def test_malformed_crypt_hashes(hashed: str) -> None:
    with pytest.raises(HashParseError):
        verify_strict("ory", hashed)
    assert not verify("ory", hashed)


def test_explicit_default_rounds_equal_omitted_rounds() -> None:
    assert verify(
        "Hello world!",
        "$sha256-crypt$rounds=5000$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5",
    )
