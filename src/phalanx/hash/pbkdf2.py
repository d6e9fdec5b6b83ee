"""PBKDF2: verification of ``$pbkdf2-<digest>$i=<iterations>,l=<length>$<salt>$<key>``.

Mirrors Kratos's ``ComparePbkdf2``/``decodePbkdf2Hash`` and ``hash/hasher_pbkdf2.go``. Salt and
key are unpadded standard base64; ``l`` is parsed but the key length is that of the stored
key. Kratos maps the digest names with two historical quirks kept for compatibility:
``sha224`` and ``sha384`` mean SHA3-224 and SHA3-384, and any other ``sha<n>`` means SHA-256.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from phalanx.hash.base import Hasher
from phalanx.hash.encoding import (
    b64decode_raw,
    b64encode_raw,
    constant_time_equal,
    password_bytes,
)
from phalanx.hash.errors import HashParseError
from phalanx.hash.limits import MAX_PBKDF2_ITERATIONS, check_pbkdf2

__all__ = [
    "PBKDF2_PREFIX",
    "Pbkdf2Hash",
    "Pbkdf2Hasher",
    "compare_pbkdf2",
    "decode_pbkdf2",
    "pbkdf2_digest_name",
    "validate_pbkdf2",
]

PBKDF2_PREFIX = re.compile(r"^\$pbkdf2-sha[0-9]{1,3}\$")

_PARAMS = re.compile(r"i=([0-9]+),l=([0-9]+)")
_DIGESTS = {
    "sha1": "sha1",
    "sha224": "sha3_224",
    "sha256": "sha256",
    "sha384": "sha3_384",
    "sha512": "sha512",
}


def pbkdf2_digest_name(algorithm: str) -> str:
    """The hashlib name of the PRF Kratos uses for ``$pbkdf2-<algorithm>$``."""
    return _DIGESTS.get(algorithm, "sha256")


@dataclass(frozen=True, slots=True)
class Pbkdf2Hash:
    """The decoded parts of a PBKDF2 hash string."""

    algorithm: str
    iterations: int
    salt: bytes
    key: bytes


def decode_pbkdf2(hashed: str) -> Pbkdf2Hash:
    """Decode a PBKDF2 hash; raises :class:`HashParseError` or :class:`HashBoundsError`."""
    parts = hashed.split("$")
    if len(parts) != 5:
        raise HashParseError("pbkdf2 hash must have 5 $-separated parts")
    digest = parts[1].split("-", 1)
    if len(digest) != 2:
        raise HashParseError("pbkdf2 hash has no digest name")
    params = _PARAMS.match(parts[2])
    if params is None:
        raise HashParseError("pbkdf2 hash has no i, l parameters")
    iterations, length = int(params[1]), int(params[2])
    if iterations >= 1 << 32 or length >= 1 << 32:  # uint32 scan errors in Go
        raise HashParseError("pbkdf2 parameter overflows uint32")
    check_pbkdf2(iterations)
    return Pbkdf2Hash(
        algorithm=digest[1],
        iterations=iterations,
        salt=b64decode_raw(parts[3]),
        key=b64decode_raw(parts[4]),
    )


def validate_pbkdf2(hashed: str) -> None:
    """Import-time check: the hash decodes and its iteration count is in bounds."""
    decode_pbkdf2(hashed)


def compare_pbkdf2(password: bytes, hashed: str) -> bool:
    """Whether ``password`` matches a ``$pbkdf2-…$`` hash (Kratos ``ComparePbkdf2``)."""
    decoded = decode_pbkdf2(hashed)
    if not decoded.key:
        return False
    computed = hashlib.pbkdf2_hmac(
        pbkdf2_digest_name(decoded.algorithm),
        password,
        decoded.salt,
        decoded.iterations,
        dklen=len(decoded.key),
    )
    return constant_time_equal(decoded.key, computed)


class Pbkdf2Hasher(Hasher):
    """Generates ``$pbkdf2-<algorithm>$i=…,l=…$salt$key`` (Kratos ``hash.Pbkdf2``).

    Kratos only uses it in tests and for ``hashers`` tooling; it cannot be configured as the
    login hasher.
    """

    algorithm = "pbkdf2"

    def __init__(
        self,
        digest: str = "sha256",
        iterations: int = 600_000,
        salt_length: int = 16,
        key_length: int = 32,
    ) -> None:
        if digest not in _DIGESTS:
            raise ValueError(f"pbkdf2 digest must be one of {sorted(_DIGESTS)}")
        if not 1 <= iterations <= MAX_PBKDF2_ITERATIONS:
            raise ValueError(f"pbkdf2 iterations must be in [1, {MAX_PBKDF2_ITERATIONS}]")
        if key_length < 1:
            raise ValueError("pbkdf2 key length must be positive")
        self.digest = digest
        self.iterations = iterations
        self.salt_length = salt_length
        self.key_length = key_length

    def __repr__(self) -> str:
        return (
            f"Pbkdf2Hasher(digest={self.digest!r}, iterations={self.iterations}, "
            f"salt_length={self.salt_length}, key_length={self.key_length})"
        )

    def hash(self, password: str | bytes) -> str:
        """Hash ``password`` with a fresh salt."""
        salt = secrets.token_bytes(self.salt_length)
        key = hashlib.pbkdf2_hmac(
            pbkdf2_digest_name(self.digest),
            password_bytes(password),
            salt,
            self.iterations,
            dklen=self.key_length,
        )
        return (
            f"$pbkdf2-{self.digest}$i={self.iterations},l={self.key_length}"
            f"${b64encode_raw(salt)}${b64encode_raw(key)}"
        )

    def understands(self, hashed: str) -> bool:
        """Kratos's ``Pbkdf2.Understands``: any ``$pbkdf2-sha<n>$`` prefix."""
        return PBKDF2_PREFIX.match(hashed) is not None
