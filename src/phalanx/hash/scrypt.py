"""scrypt: verification of ``$scrypt$ln=<N>,r=<r>,p=<p>$<salt>$<key>``.

Mirrors Kratos's ``CompareScrypt``/``decodeScryptHash``: despite its name ``ln`` carries N
itself, not its logarithm; salt and key are padded standard base64; the key length is that of
the stored key. N must be a power of two above 1 to compute (Go's ``scrypt.Key`` refuses
others too), but that is only found out when comparing, as in Kratos.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from phalanx.hash.encoding import b64decode_std, constant_time_equal
from phalanx.hash.errors import HashParseError
from phalanx.hash.limits import check_scrypt

__all__ = [
    "SCRYPT_PREFIX",
    "ScryptHash",
    "compare_scrypt",
    "decode_scrypt",
    "parse_scrypt_params",
    "scrypt_key",
    "validate_scrypt",
]

SCRYPT_PREFIX = re.compile(r"^\$scrypt\$")

_PARAMS = re.compile(r"ln=([0-9]+),r=([0-9]+),p=([0-9]+)")


@dataclass(frozen=True, slots=True)
class ScryptHash:
    """The decoded parts of a scrypt hash string."""

    n: int
    r: int
    p: int
    salt: bytes
    key: bytes


def parse_scrypt_params(field: str, what: str) -> tuple[int, int, int]:
    """Parse ``ln=…,r=…,p=…`` (Go ``Sscanf`` into uint32s)."""
    params = _PARAMS.match(field)
    if params is None:
        raise HashParseError(f"{what} hash has no ln, r, p parameters")
    values = tuple(int(v) for v in params.groups())
    if any(v >= 1 << 32 for v in values):
        raise HashParseError(f"{what} parameter overflows uint32")
    return values[0], values[1], values[2]


def decode_scrypt(hashed: str) -> ScryptHash:
    """Decode a scrypt hash; raises :class:`HashParseError` or :class:`HashBoundsError`."""
    parts = hashed.split("$")
    if len(parts) != 5:
        raise HashParseError("scrypt hash must have 5 $-separated parts")
    n, r, p = parse_scrypt_params(parts[2], "scrypt")
    check_scrypt(n, r, p)
    return ScryptHash(n=n, r=r, p=p, salt=b64decode_std(parts[3]), key=b64decode_std(parts[4]))


def validate_scrypt(hashed: str) -> None:
    """Import-time check: the hash decodes and N, r, p are in bounds."""
    decode_scrypt(hashed)


def scrypt_key(password: bytes, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    """Derive a scrypt key, allowing the memory the (bounded) parameters need.

    Raises :class:`HashParseError` for parameters scrypt cannot compute (N not a power of 2).
    """
    maxmem = 128 * r * (n + p + 2) + (1 << 20)
    try:
        return hashlib.scrypt(password, salt=salt, n=n, r=r, p=p, maxmem=maxmem, dklen=length)
    except ValueError as exc:
        raise HashParseError(f"scrypt parameters cannot be computed: {exc}") from exc


def compare_scrypt(password: bytes, hashed: str) -> bool:
    """Whether ``password`` matches a ``$scrypt$`` hash (Kratos ``CompareScrypt``)."""
    decoded = decode_scrypt(hashed)
    if not decoded.key:
        return False
    computed = scrypt_key(password, decoded.salt, decoded.n, decoded.r, decoded.p, len(decoded.key))
    return constant_time_equal(decoded.key, computed)
