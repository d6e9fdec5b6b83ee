"""HMAC digests: ``$hmac-<md4|md5|sha1|sha224|sha256|sha384|sha512>$<digest>$<key>``.

Mirrors Kratos's ``CompareHMAC``/``decodeHMACHash``: ``<digest>`` is padded standard base64 of
the *lowercase hex* HMAC of the password, ``<key>`` padded standard base64 of the HMAC key;
the hex strings are compared.

MD4 comes from PyCryptodome (``pycryptodomex``, C implementation): OpenSSL 3 moved MD4 to
its legacy provider, so ``hashlib.new("md4")`` is usually missing, and ``cryptography``
has no MD4.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable
from typing import Any

from Cryptodome.Hash import MD4

from phalanx.hash.encoding import b64decode_std, constant_time_equal
from phalanx.hash.errors import HashParseError

__all__ = ["HMAC_PREFIX", "compare_hmac"]

HMAC_PREFIX = re.compile(r"^\$hmac-(md4|md5|sha1|sha224|sha256|sha384|sha512)\$")

_DIGESTS: dict[str, Callable[..., Any] | str] = {
    "md4": MD4.new,
    "md5": "md5",
    "sha1": "sha1",
    "sha224": "sha224",
    "sha256": "sha256",
    "sha384": "sha384",
    "sha512": "sha512",
}


def compare_hmac(password: bytes, hashed: str) -> bool:
    """Whether ``password`` matches an ``$hmac-…$`` hash (Kratos ``CompareHMAC``)."""
    parts = hashed.split("$")
    if len(parts) != 4:
        raise HashParseError("hmac hash must be $hmac-<fn>$<digest>$<key>")
    match = HMAC_PREFIX.match(hashed)
    if match is None:
        raise HashParseError("unknown hmac hash function")
    digest = b64decode_std(parts[2])
    key = b64decode_std(parts[3])
    computed = hmac.new(key, password, _DIGESTS[match[1]]).hexdigest()
    return constant_time_equal(digest, computed.encode("ascii"))
