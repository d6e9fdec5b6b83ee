"""Firebase scrypt: verification of Firebase Authentication password exports.

Format (Kratos ``decodeFirebaseScryptHash``)::

    $firescrypt$ln=<mem_cost>,r=<rounds>,p=<parallelization>$<salt>$<hash>$<salt_separator>$<signer_key>

all four binary parts in padded standard base64. Here ``ln`` *is* a logarithm: N = 1 << ln.
Mirrors Kratos's ``CompareFirebaseScrypt`` (itself after github.com/Aoang/firebase-scrypt):
derive a 32-byte key with scrypt over ``salt + salt_separator``, encrypt the signer key with
AES-256-CTR under it with an all-zero IV, and compare the result with the stored hash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from phalanx.hash.encoding import b64decode_std, constant_time_equal
from phalanx.hash.errors import HashParseError
from phalanx.hash.limits import check_firebase_scrypt
from phalanx.hash.scrypt import parse_scrypt_params, scrypt_key

__all__ = [
    "FIREBASE_SCRYPT_PREFIX",
    "FirebaseScryptHash",
    "compare_firebase_scrypt",
    "decode_firebase_scrypt",
    "validate_firebase_scrypt",
]

FIREBASE_SCRYPT_PREFIX = re.compile(r"^\$firescrypt\$")


@dataclass(frozen=True, slots=True)
class FirebaseScryptHash:
    """The decoded parts of a firebase-scrypt hash string."""

    log_n: int
    r: int
    p: int
    salt: bytes
    digest: bytes
    salt_separator: bytes
    signer_key: bytes


def decode_firebase_scrypt(hashed: str) -> FirebaseScryptHash:
    """Decode a firebase-scrypt hash; raises :class:`HashParseError` or :class:`HashBoundsError`."""
    parts = hashed.split("$")
    if len(parts) != 7:
        raise HashParseError("firescrypt hash must have 7 $-separated parts")
    log_n, r, p = parse_scrypt_params(parts[2], "firescrypt")
    check_firebase_scrypt(log_n, r, p)
    return FirebaseScryptHash(
        log_n=log_n,
        r=r,
        p=p,
        salt=b64decode_std(parts[3]),
        digest=b64decode_std(parts[4]),
        salt_separator=b64decode_std(parts[5]),
        signer_key=b64decode_std(parts[6]),
    )


def validate_firebase_scrypt(hashed: str) -> None:
    """Import-time check: the hash decodes and ln, r, p are in bounds."""
    decode_firebase_scrypt(hashed)


def compare_firebase_scrypt(password: bytes, hashed: str) -> bool:
    """Whether ``password`` matches a ``$firescrypt$`` hash (Kratos ``CompareFirebaseScrypt``)."""
    decoded = decode_firebase_scrypt(hashed)
    key = scrypt_key(
        password,
        decoded.salt + decoded.salt_separator,
        1 << decoded.log_n,
        decoded.r,
        decoded.p,
        32,
    )
    encryptor = Cipher(algorithms.AES(key), modes.CTR(bytes(16))).encryptor()
    signed = encryptor.update(decoded.signer_key) + encryptor.finalize()
    return constant_time_equal(decoded.digest, signed)
