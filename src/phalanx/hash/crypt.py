"""crypt(3) hashes: md5-crypt (``$1$``), sha256-crypt (``$5$``) and sha512-crypt (``$6$``).

Kratos accepts them under its own prefixes ``$md5-crypt$``, ``$sha256-crypt$`` and
``$sha512-crypt$``, swaps in the crypt identifier and decodes with go-crypt
(``CompareMD5Crypt``, ``CompareSHA256Crypt``, ``CompareSHA512Crypt``). The algorithms follow
Poul-Henning Kamp's md5-crypt and Ulrich Drepper's SHA-crypt specification, implemented here in
pure Python (the stdlib ``crypt`` module is deprecated). Like go-crypt, and unlike glibc, the
salt is used whole and ``rounds=`` exactly as written; hashes made by glibc never differ.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from phalanx.hash.encoding import constant_time_equal, crypt_b64_from_groups
from phalanx.hash.errors import HashParseError

__all__ = [
    "MD5_CRYPT_PREFIX",
    "SHA256_CRYPT_PREFIX",
    "SHA512_CRYPT_PREFIX",
    "SHA_CRYPT_DEFAULT_ROUNDS",
    "compare_md5_crypt",
    "compare_sha256_crypt",
    "compare_sha512_crypt",
    "md5_crypt",
    "sha256_crypt",
    "sha512_crypt",
]

MD5_CRYPT_PREFIX = re.compile(r"^\$md5-crypt\$")
SHA256_CRYPT_PREFIX = re.compile(r"^\$sha256-crypt\$")
SHA512_CRYPT_PREFIX = re.compile(r"^\$sha512-crypt\$")
SHA_CRYPT_DEFAULT_ROUNDS = 5000
"""Rounds when the hash carries no ``rounds=`` parameter."""

_MD5_GROUPS = ((0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5), (11,))
_SHA256_GROUPS = (
    (0, 10, 20), (21, 1, 11), (12, 22, 2), (3, 13, 23), (24, 4, 14),
    (15, 25, 5), (6, 16, 26), (27, 7, 17), (18, 28, 8), (9, 19, 29), (31, 30),
)  # fmt: skip
_SHA512_GROUPS = (
    (0, 21, 42), (22, 43, 1), (44, 2, 23), (3, 24, 45), (25, 46, 4), (47, 5, 26),
    (6, 27, 48), (28, 49, 7), (50, 8, 29), (9, 30, 51), (31, 52, 10), (53, 11, 32),
    (12, 33, 54), (34, 55, 13), (56, 14, 35), (15, 36, 57), (37, 58, 16), (59, 17, 38),
    (18, 39, 60), (40, 61, 19), (62, 20, 41), (63,),
)  # fmt: skip
_DIGITS = re.compile(r"[0-9]+")


def _repeat(block: bytes, length: int) -> bytes:
    return (block * (length // len(block) + 1))[:length]


def md5_crypt(password: bytes, salt: bytes) -> bytes:
    """The encoded digest part of ``$1$<salt>$<digest>`` for ``password``."""
    alternate = hashlib.md5(password + salt + password, usedforsecurity=False).digest()
    material = [password, b"$1$", salt, _repeat(alternate, len(password))]
    i = len(password)
    while i:
        material.append(b"\0" if i & 1 else password[:1])
        i >>= 1
    digest = hashlib.md5(b"".join(material), usedforsecurity=False).digest()
    for i in range(1000):
        data = digest if i % 2 == 0 else password
        if i % 3:
            data += salt
        if i % 7:
            data += password
        data += password if i % 2 == 0 else digest
        digest = hashlib.md5(data, usedforsecurity=False).digest()
    return crypt_b64_from_groups(digest, _MD5_GROUPS)


def _sha_crypt(
    new: Callable[[bytes], hashlib._Hash],
    groups: tuple[tuple[int, ...], ...],
    password: bytes,
    salt: bytes,
    rounds: int,
) -> bytes:
    size = len(password)
    alternate = new(password + salt + password).digest()
    material = [password, salt, _repeat(alternate, size)]
    i = size
    while i:
        material.append(alternate if i & 1 else password)
        i >>= 1
    digest = new(b"".join(material)).digest()
    # Fed piecewise: password * size would allocate size² bytes for a long password.
    p_hash = new(b"")
    for _ in range(size):
        p_hash.update(password)
    p_seq = _repeat(p_hash.digest(), size)
    s_seq = _repeat(new(salt * (16 + digest[0])).digest(), len(salt))
    # Every round hashes <before> + previous digest + <after>, where before/after depend only on
    # the round number modulo 42; build the 42 pairs once instead of per round.
    pairs = []
    for k in range(42):
        middle = (s_seq if k % 3 else b"") + (p_seq if k % 7 else b"")
        pairs.append((p_seq + middle, b"") if k % 2 else (b"", middle + p_seq))
    for i in range(rounds):
        before, after = pairs[i % 42]
        digest = new(before + digest + after).digest()
    return crypt_b64_from_groups(digest, groups)


def sha256_crypt(password: bytes, salt: bytes, rounds: int = SHA_CRYPT_DEFAULT_ROUNDS) -> bytes:
    """The encoded digest part of ``$5$[rounds=N$]<salt>$<digest>`` for ``password``."""
    return _sha_crypt(hashlib.sha256, _SHA256_GROUPS, password, salt, rounds)


def sha512_crypt(password: bytes, salt: bytes, rounds: int = SHA_CRYPT_DEFAULT_ROUNDS) -> bytes:
    """The encoded digest part of ``$6$[rounds=N$]<salt>$<digest>`` for ``password``."""
    return _sha_crypt(hashlib.sha512, _SHA512_GROUPS, password, salt, rounds)


def _rest(hashed: str, prefix: str) -> list[str]:
    return hashed[len(prefix) :].split("$")


def compare_md5_crypt(password: bytes, hashed: str) -> bool:
    """Whether ``password`` matches ``$md5-crypt$<salt>$<digest>`` (Kratos ``CompareMD5Crypt``).

    An empty digest never matches (go-crypt: "key has 0 bytes").
    """
    rest = _rest(hashed, "$md5-crypt$")
    if len(rest) != 2:
        raise HashParseError("md5-crypt hash must be $md5-crypt$<salt>$<digest>")
    salt, digest = (part.encode("utf-8") for part in rest)
    if not digest:
        return False
    return constant_time_equal(digest, md5_crypt(password, salt))


def _decode_sha_crypt(hashed: str, prefix: str) -> tuple[int, bytes, bytes]:
    rest = _rest(hashed, prefix)
    if len(rest) == 2:
        rounds = SHA_CRYPT_DEFAULT_ROUNDS
    elif len(rest) == 3:
        rounds = -1
        if not rest[0]:
            raise HashParseError("sha-crypt parameters are empty")
        for item in rest[0].split(","):
            key, sep, value = item.partition("=")
            if not sep or key != "rounds":
                raise HashParseError(f"unknown sha-crypt parameter {item!r}")
            if not _DIGITS.fullmatch(value) or int(value) >= 1 << 32:
                raise HashParseError(f"invalid sha-crypt rounds {value!r}")
            rounds = int(value)
        rest = rest[1:]
    else:
        raise HashParseError("sha-crypt hash must be <prefix>[rounds=N$]<salt>$<digest>")
    salt, digest = (part.encode("utf-8") for part in rest)
    if not digest:
        raise HashParseError("sha-crypt digest is empty")
    return rounds, salt, digest


def compare_sha256_crypt(password: bytes, hashed: str) -> bool:
    """Whether ``password`` matches ``$sha256-crypt$[rounds=N$]<salt>$<digest>``."""
    rounds, salt, digest = _decode_sha_crypt(hashed, "$sha256-crypt$")
    return constant_time_equal(digest, sha256_crypt(password, salt, rounds))


def compare_sha512_crypt(password: bytes, hashed: str) -> bool:
    """Whether ``password`` matches ``$sha512-crypt$[rounds=N$]<salt>$<digest>``."""
    rounds, salt, digest = _decode_sha_crypt(hashed, "$sha512-crypt$")
    return constant_time_equal(digest, sha512_crypt(password, salt, rounds))
