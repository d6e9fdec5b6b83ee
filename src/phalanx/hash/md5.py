"""Plain and salted MD5: ``$md5$<digest>`` and ``$md5$pf=<pattern>$<salt>$<digest>``.

Mirrors Kratos's ``CompareMD5``/``decodeMD5Hash``: every part is padded standard base64; the
salted form hashes the salting pattern of :mod:`phalanx.hash.sha` with salt and password
substituted, the plain form hashes the password alone.
"""

from __future__ import annotations

import hashlib
import re

from phalanx.hash.encoding import b64decode_std, constant_time_equal
from phalanx.hash.errors import HashParseError
from phalanx.hash.sha import apply_salting_pattern, decode_salting_pattern

__all__ = ["MD5_PREFIX", "compare_md5"]

MD5_PREFIX = re.compile(r"^\$md5\$")


def compare_md5(password: bytes, hashed: str) -> bool:
    """Whether ``password`` matches an ``$md5$`` hash (Kratos ``CompareMD5``)."""
    parts = hashed.split("$")
    if len(parts) == 3:
        digest = b64decode_std(parts[2])
        raw = password
    elif len(parts) == 5:
        pattern = decode_salting_pattern(parts[2])
        salt = b64decode_std(parts[3])
        digest = b64decode_std(parts[4])
        raw = apply_salting_pattern(pattern, salt, password)
    else:
        raise HashParseError("md5 hash must be $md5$<digest> or $md5$pf=<pattern>$<salt>$<digest>")
    return constant_time_equal(digest, hashlib.md5(raw, usedforsecurity=False).digest())
