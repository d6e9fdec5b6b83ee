"""bcrypt: generation and verification of ``$2a$``, ``$2b$``, ``$2y$``, ``$2z$`` and ``$2$``.

Mirrors Kratos's ``hash/hasher_bcrypt.go`` and ``CompareBcrypt``: a password longer than 72
bytes is refused instead of silently truncated, and a cost above
:data:`~phalanx.hash.limits.MAX_BCRYPT_COST` is out of bounds. Go's ``x/crypto/bcrypt`` treats
every minor version alike (the NUL-terminated ``2a`` key schedule) and ignores the unused low
bits of the salt's last character; both are reproduced here on top of the ``bcrypt`` package.
"""

from __future__ import annotations

import re

import bcrypt as _bcrypt

from phalanx.hash.base import Hasher
from phalanx.hash.encoding import constant_time_equal, password_bytes
from phalanx.hash.errors import HashError, HashParseError, PasswordTooLongError
from phalanx.hash.limits import MAX_BCRYPT_COST, check_bcrypt

__all__ = [
    "BCRYPT_MAX_PASSWORD_BYTES",
    "BCRYPT_PREFIX",
    "BcryptHasher",
    "bcrypt_cost",
    "compare_bcrypt",
    "validate_bcrypt",
]

BCRYPT_PREFIX = re.compile(r"^\$2[abzy]?\$")
"""Kratos's ``isBcryptHash``."""
BCRYPT_MAX_PASSWORD_BYTES = 72

_HEADER = re.compile(r"\$2[abzy]?\$([0-9]{2})\$")
_BODY = re.compile(r"[./A-Za-z0-9]{53}")
_ALPHABET = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_MIN_HASH_LENGTH = 59  # Go's bcrypt minHashSize


def _check_length(password: bytes) -> None:
    if len(password) > BCRYPT_MAX_PASSWORD_BYTES:
        raise PasswordTooLongError(len(password))


def _header(hashed: str) -> tuple[int, str]:
    if len(hashed) < _MIN_HASH_LENGTH:
        raise HashParseError("bcrypt hash too short")
    match = _HEADER.match(hashed)
    if match is None:
        raise HashParseError("bcrypt hash has no version and cost")
    cost = int(match[1])
    if not 4 <= cost <= 31:
        raise HashParseError(f"bcrypt cost {cost} outside [4, 31]")
    check_bcrypt(cost)
    return cost, hashed[match.end() :]


def bcrypt_cost(hashed: str) -> int:
    """The cost of a bcrypt hash, checked like Go's ``bcrypt.Cost`` plus Kratos's bound."""
    return _header(hashed)[0]


def validate_bcrypt(hashed: str) -> None:
    """Import-time check (Kratos ``validateBcryptHashCost``): length, version, cost bounds."""
    _header(hashed)


def compare_bcrypt(password: bytes, hashed: str) -> bool:
    """Whether ``password`` matches the bcrypt hash ``hashed``.

    Raises :class:`PasswordTooLongError` for more than 72 bytes, :class:`HashBoundsError` for a
    cost above 15 and :class:`HashParseError` for a malformed hash.
    """
    _check_length(password)
    cost, body = _header(hashed)
    if not _BODY.fullmatch(body):
        raise HashParseError("bcrypt salt and digest must be 53 bcrypt-base64 characters")
    salt = body[:21] + _ALPHABET[_ALPHABET.index(body[21]) & 0x30]
    computed = _bcrypt.hashpw(password, f"$2b${cost:02d}${salt}".encode("ascii"))
    return constant_time_equal(body[22:].encode("ascii"), computed[-31:])


class BcryptHasher(Hasher):
    """Generates ``$2a$<cost>$...`` hashes, as Kratos's bcrypt hasher does.

    Kratos raises a configured cost below 12 to 12 unless ``--dev``; that belongs to the config
    layer, this class takes the cost it is given (4 to 15, so its hashes stay verifiable).
    """

    algorithm = "bcrypt"

    def __init__(self, cost: int = 12) -> None:
        if not 4 <= cost <= MAX_BCRYPT_COST:
            raise ValueError(f"bcrypt cost must be in [4, {MAX_BCRYPT_COST}], got {cost}")
        self.cost = cost

    def __repr__(self) -> str:
        return f"BcryptHasher(cost={self.cost})"

    def hash(self, password: str | bytes) -> str:
        """Hash ``password``; raises :class:`PasswordTooLongError` beyond 72 bytes."""
        raw = password_bytes(password)
        _check_length(raw)
        salt = _bcrypt.gensalt(rounds=self.cost, prefix=b"2a")
        return _bcrypt.hashpw(raw, salt).decode("ascii")

    def understands(self, hashed: str) -> bool:
        """Kratos's ``Bcrypt.Understands``: any ``$2…$`` prefix."""
        return BCRYPT_PREFIX.match(hashed) is not None

    def must_update(self, hashed: str) -> bool:
        """True when the stored cost is lower than the configured one."""
        try:
            return bcrypt_cost(hashed) < self.cost
        except HashError:
            return True
