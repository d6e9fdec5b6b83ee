"""Recognise a hash by its prefix and verify a password against it.

Mirrors Kratos's ``hash/hash_comparator.go``: :data:`FORMATS` is its ``supportedHashers``
table, in its order (the first prefix that matches wins), and :func:`validate_hash` is
``IsValidHashFormat`` followed by ``ValidateImportedHash`` from ``hash_limits.go``, the checks
the admin identity import runs on a ``hashed_password``. Like Kratos, the import check fully
decodes only the families whose parameters cost memory or CPU (bcrypt, argon2, pbkdf2, scrypt,
firebase-scrypt); the others are checked when a password is compared.

Where Kratos answers an error, :func:`verify_strict` raises one of :mod:`phalanx.hash.errors`
and :func:`verify` returns ``False``; neither truncates a password.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from phalanx.hash.argon2 import (
    ARGON2I_PREFIX,
    ARGON2ID_PREFIX,
    compare_argon2i,
    compare_argon2id,
    validate_argon2,
)
from phalanx.hash.base import Hasher
from phalanx.hash.bcrypt import BCRYPT_PREFIX, compare_bcrypt, validate_bcrypt
from phalanx.hash.crypt import (
    MD5_CRYPT_PREFIX,
    SHA256_CRYPT_PREFIX,
    SHA512_CRYPT_PREFIX,
    compare_md5_crypt,
    compare_sha256_crypt,
    compare_sha512_crypt,
)
from phalanx.hash.encoding import password_bytes
from phalanx.hash.errors import HashError, HashParseError, UnknownHashFormatError
from phalanx.hash.firebase import (
    FIREBASE_SCRYPT_PREFIX,
    compare_firebase_scrypt,
    validate_firebase_scrypt,
)
from phalanx.hash.hmac import HMAC_PREFIX, compare_hmac
from phalanx.hash.md5 import MD5_PREFIX, compare_md5
from phalanx.hash.pbkdf2 import PBKDF2_PREFIX, compare_pbkdf2, validate_pbkdf2
from phalanx.hash.scrypt import SCRYPT_PREFIX, compare_scrypt, validate_scrypt
from phalanx.hash.sha import SHA_PREFIX, compare_sha
from phalanx.hash.ssha import SSHA_PREFIX, compare_ssha

__all__ = [
    "FORMATS",
    "HashFormat",
    "hash_format",
    "identify",
    "needs_rehash",
    "validate_hash",
    "verify",
    "verify_strict",
]


@dataclass(frozen=True, slots=True)
class HashFormat:
    """One row of Kratos's ``supportedHashers`` table."""

    name: str
    """Kratos's name for the family (its tracing attribute ``hash.type``)."""
    prefix: re.Pattern[str]
    compare: Callable[[bytes, str], bool]
    """Compare password bytes with a hash; raises :class:`HashError` where Kratos errs."""
    validate: Callable[[str], None] | None = None
    """Import-time parameter check, for the families Kratos checks at import."""


FORMATS: tuple[HashFormat, ...] = (
    HashFormat("md5crypt", MD5_CRYPT_PREFIX, compare_md5_crypt),
    HashFormat("bcrypt", BCRYPT_PREFIX, compare_bcrypt, validate_bcrypt),
    HashFormat("sha256crypt", SHA256_CRYPT_PREFIX, compare_sha256_crypt),
    HashFormat("sha512crypt", SHA512_CRYPT_PREFIX, compare_sha512_crypt),
    HashFormat("argon2id", ARGON2ID_PREFIX, compare_argon2id, validate_argon2),
    HashFormat("argon2i", ARGON2I_PREFIX, compare_argon2i, validate_argon2),
    HashFormat("pbkdf2", PBKDF2_PREFIX, compare_pbkdf2, validate_pbkdf2),
    HashFormat("scrypt", SCRYPT_PREFIX, compare_scrypt, validate_scrypt),
    HashFormat("ssha", SSHA_PREFIX, compare_ssha),
    HashFormat("sha", SHA_PREFIX, compare_sha),
    HashFormat("firebasescrypt", FIREBASE_SCRYPT_PREFIX, compare_firebase_scrypt,
               validate_firebase_scrypt),
    HashFormat("md5", MD5_PREFIX, compare_md5),
    HashFormat("hmac", HMAC_PREFIX, compare_hmac),
)  # fmt: skip
"""Every accepted format, in Kratos's order."""


def hash_format(hashed: str) -> HashFormat:
    """The format ``hashed`` belongs to; raises :class:`UnknownHashFormatError` if none."""
    for candidate in FORMATS:
        if candidate.prefix.match(hashed):
            return candidate
    raise UnknownHashFormatError(f"no known hash prefix in {hashed[:16]!r}")


def identify(hashed: str) -> str | None:
    """Kratos's name of the format of ``hashed`` (``"bcrypt"``, ``"pbkdf2"``, …), or None."""
    try:
        return hash_format(hashed).name
    except UnknownHashFormatError:
        return None


def validate_hash(hashed: str) -> None:
    """Check a hash handed to the admin identity import, as Kratos does.

    Raises :class:`UnknownHashFormatError` (no known prefix), :class:`HashBoundsError`
    (parameters out of bounds) or :class:`HashParseError` (a bounded family fails to decode).
    Each carries the 400 ``reason`` Kratos answers with.
    """
    found = hash_format(hashed)
    if found.validate is not None:
        found.validate(hashed)


def verify_strict(password: str | bytes, hashed: str) -> bool:
    """Compare ``password`` with ``hashed``; True on a match, False on a plain mismatch.

    Raises :class:`UnknownHashFormatError`, :class:`HashParseError`, :class:`HashBoundsError`
    or :class:`PasswordTooLongError` wherever Kratos's ``hash.Compare`` returns an error other
    than "passwords do not match". Comparisons of digests are constant-time.
    """
    found = hash_format(hashed)
    try:
        return found.compare(password_bytes(password), hashed)
    except HashError:
        raise
    except (ValueError, UnicodeError, OverflowError) as exc:
        raise HashParseError(f"{found.name} hash cannot be compared: {exc}") from exc


def verify(password: str | bytes, hashed: str) -> bool:
    """Whether ``password`` matches ``hashed``; any problem with the hash counts as no match.

    The login path: Kratos turns every comparison error into "invalid credentials". Blocking
    and CPU-heavy; async code goes through :class:`phalanx.hash.PasswordHashing`.
    """
    try:
        return verify_strict(password, hashed)
    except HashError:
        return False


def needs_rehash(hashed: str, hasher: Hasher, *, check_params: bool = True) -> bool:
    """Whether a successful login should store a fresh hash from ``hasher``.

    Kratos re-hashes exactly when the configured hasher does not understand the stored hash
    (``!Hasher.Understands``): imported md5, pbkdf2, … and bcrypt vs. argon2 switches. With
    ``check_params`` (the default) Phalanx also re-hashes, like Django's ``must_update``, a
    bcrypt hash of lower cost or an argon2id hash of other memory, iterations, parallelism or
    key length than configured; pass ``check_params=False`` for Kratos's exact behaviour.
    """
    if not hasher.understands(hashed):
        return True
    return check_params and hasher.must_update(hashed)
