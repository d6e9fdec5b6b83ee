"""Password hashing: every format Kratos imports, and the two it generates.

Generation: :class:`BcryptHasher` (``$2a$``) and :class:`Argon2Hasher` (``$argon2id$``),
chosen from config by :func:`hasher_from_config`; :class:`Pbkdf2Hasher` for tests and tooling.
Verification of any accepted format, recognised by prefix in Kratos's order: :func:`verify`
(login: a bad hash is just no match) and :func:`verify_strict` (raises). Import checks:
:func:`validate_hash`. Rehash on login: :func:`needs_rehash`. Async callers use
:class:`PasswordHashing`, which runs all of it in a bounded thread pool.
"""

from __future__ import annotations

from phalanx.hash.argon2 import Argon2Hasher, default_argon2_parallelism
from phalanx.hash.base import Hasher
from phalanx.hash.bcrypt import BCRYPT_MAX_PASSWORD_BYTES, BcryptHasher
from phalanx.hash.comparator import (
    FORMATS,
    HashFormat,
    identify,
    needs_rehash,
    validate_hash,
    verify,
    verify_strict,
)
from phalanx.hash.errors import (
    HashBoundsError,
    HashError,
    HashParseError,
    PasswordTooLongError,
    UnknownHashFormatError,
)
from phalanx.hash.hashing import PasswordHashing, hasher_from_config
from phalanx.hash.pbkdf2 import Pbkdf2Hasher

__all__ = [
    "BCRYPT_MAX_PASSWORD_BYTES",
    "FORMATS",
    "Argon2Hasher",
    "BcryptHasher",
    "HashBoundsError",
    "HashError",
    "HashFormat",
    "HashParseError",
    "Hasher",
    "PasswordHashing",
    "PasswordTooLongError",
    "Pbkdf2Hasher",
    "UnknownHashFormatError",
    "default_argon2_parallelism",
    "hasher_from_config",
    "identify",
    "needs_rehash",
    "validate_hash",
    "verify",
    "verify_strict",
]
