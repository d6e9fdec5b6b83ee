"""Salted SHA digests with a salting pattern: ``$sha1$``, ``$sha256$``, ``$sha512$``.

Format (Kratos ``decodeSHAHash``, ``CompareSHA``)::

    $sha256$pf=<pattern>$<salt>$<digest>

all three in padded standard base64. The pattern is the byte string that was hashed, with
``{SALT}`` and ``{PASSWORD}`` standing for the salt and the password, e.g. ``{SALT}{PASSWORD}``.
The same pattern syntax serves ``$md5$pf=…`` (:mod:`phalanx.hash.md5`).
"""

from __future__ import annotations

import hashlib
import re

from phalanx.hash.encoding import b64decode_std, constant_time_equal
from phalanx.hash.errors import HashParseError

__all__ = [
    "SHA_PREFIX",
    "apply_salting_pattern",
    "compare_sha",
    "decode_salting_pattern",
]

SHA_PREFIX = re.compile(r"^\$sha(1|256|512)\$")

_PLACEHOLDER = re.compile(rb"\{SALT\}|\{PASSWORD\}")


def decode_salting_pattern(field: str) -> bytes:
    """Decode the ``pf=<base64>`` field (Go ``Sscanf(field, "pf=%s")`` then strict base64)."""
    if not field.startswith("pf="):
        raise HashParseError("salting pattern field must start with pf=")
    token = field[3:].split()
    if not token:
        raise HashParseError("salting pattern is empty")
    return b64decode_std(token[0])


def apply_salting_pattern(pattern: bytes, salt: bytes, password: bytes) -> bytes:
    """Substitute salt and password into ``pattern`` in one pass (Go ``strings.NewReplacer``).

    One pass matters: a salt containing ``{PASSWORD}`` is not expanded again.
    """
    return _PLACEHOLDER.sub(lambda m: salt if m[0] == b"{SALT}" else password, pattern)


def compare_sha(password: bytes, hashed: str) -> bool:
    """Whether ``password`` matches a ``$sha1|sha256|sha512$pf=…`` hash (Kratos ``CompareSHA``)."""
    parts = hashed.split("$")
    if len(parts) != 5:
        raise HashParseError("sha hash must have 5 $-separated parts")
    algorithm = parts[1]
    pattern = decode_salting_pattern(parts[2])
    salt = b64decode_std(parts[3])
    digest = b64decode_std(parts[4])
    if algorithm not in ("sha1", "sha256", "sha512"):
        return False
    raw = apply_salting_pattern(pattern, salt, password)
    return constant_time_equal(digest, hashlib.new(algorithm, raw, usedforsecurity=False).digest())
