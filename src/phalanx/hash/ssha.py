"""LDAP salted SHA: ``{SSHA}``, ``{SSHA256}`` and ``{SSHA512}``.

Format: the prefix, then padded standard base64 of ``digest(password + salt) + salt``, the
digest being SHA-1 (20 bytes), SHA-256 (32) or SHA-512 (64). Mirrors Kratos's ``CompareSSHA``
and ``decodeSSHAHash``, which require at least one byte of salt and decode the base64
leniently (non-zero trailing bits are accepted).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re

from phalanx.hash.encoding import constant_time_equal
from phalanx.hash.errors import HashParseError

__all__ = ["SSHA_PREFIX", "compare_ssha"]

SSHA_PREFIX = re.compile(r"^\{SSHA(256|512)?\}")

_SCHEMES = {"SSHA": ("sha1", 20), "SSHA256": ("sha256", 32), "SSHA512": ("sha512", 64)}
_SCHEME = re.compile(r"\{([^}]*)\}")
_STD = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")


def compare_ssha(password: bytes, hashed: str) -> bool:
    """Whether ``password`` matches an ``{SSHA…}`` hash (Kratos ``CompareSSHA``)."""
    scheme = _SCHEME.search(hashed)
    if scheme is None or scheme[1] not in _SCHEMES:
        raise HashParseError("unknown SSHA scheme")
    algorithm, size = _SCHEMES[scheme[1]]
    encoded = hashed[scheme.end() :]
    if not _STD.fullmatch(encoded):
        raise HashParseError("SSHA payload is not base64")
    try:
        decoded = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise HashParseError("SSHA payload is not base64") from exc
    if len(decoded) <= size:
        raise HashParseError("SSHA payload has no salt")
    digest, salt = decoded[:size], decoded[size:]
    computed = hashlib.new(algorithm, password + salt, usedforsecurity=False).digest()
    return constant_time_equal(digest, computed)
