"""Bounds on the cost parameters an imported hash may declare.

Mirrors Kratos's ``hash/hash_limits.go``: without them a single imported hash such as
``$firescrypt$ln=31,...`` or ``$argon2id$v=19$m=8388608,...`` makes every login attempt for that
identity allocate gigabytes or run for minutes. The same checks run on import
(:func:`phalanx.hash.validate_hash`) and before every comparison.
"""

from __future__ import annotations

from phalanx.hash.errors import HashBoundsError

__all__ = [
    "MAX_ARGON2_ITERATIONS",
    "MAX_ARGON2_MEMORY_KIB",
    "MAX_ARGON2_PARALLELISM",
    "MAX_BCRYPT_COST",
    "MAX_FIREBASE_SCRYPT_LOG_N",
    "MAX_PBKDF2_ITERATIONS",
    "MAX_SCRYPT_N",
    "MAX_SCRYPT_P",
    "MAX_SCRYPT_R",
    "check_argon2",
    "check_bcrypt",
    "check_firebase_scrypt",
    "check_pbkdf2",
    "check_scrypt",
]

MAX_FIREBASE_SCRYPT_LOG_N = 17
"""firebase-scrypt computes N = 1 << ln; ln=17 at r=8 is about 128 MiB."""
MAX_SCRYPT_N = 1 << 17
"""Plain scrypt's N (not its logarithm): OWASP's recommended minimum, 128 MiB at r=8."""
MAX_SCRYPT_R = 8
MAX_SCRYPT_P = 10
MAX_ARGON2_MEMORY_KIB = 1 << 20
"""1 GiB, Kratos's ``Argon2DefaultDedicatedMemory``."""
MAX_ARGON2_ITERATIONS = 10
MAX_ARGON2_PARALLELISM = 16
MAX_PBKDF2_ITERATIONS = 10_000_000
MAX_BCRYPT_COST = 15
"""About two seconds per comparison; the bcrypt format itself allows up to 31."""


def _in_range(name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise HashBoundsError(f"{name}={value} not in [{low}, {high}]")


def check_scrypt(n: int, r: int, p: int) -> None:
    """Raise :class:`HashBoundsError` unless N, r and p of a ``$scrypt$`` hash are in bounds."""
    _in_range("scrypt N", n, 1, MAX_SCRYPT_N)
    _in_range("scrypt r", r, 1, MAX_SCRYPT_R)
    _in_range("scrypt p", p, 1, MAX_SCRYPT_P)


def check_firebase_scrypt(log_n: int, r: int, p: int) -> None:
    """Raise :class:`HashBoundsError` unless ln, r, p of a ``$firescrypt$`` hash are in bounds."""
    _in_range("firescrypt ln", log_n, 0, MAX_FIREBASE_SCRYPT_LOG_N)
    _in_range("firescrypt r", r, 1, MAX_SCRYPT_R)
    _in_range("firescrypt p", p, 1, MAX_SCRYPT_P)


def check_argon2(memory_kib: int, iterations: int, parallelism: int) -> None:
    """Raise :class:`HashBoundsError` unless m, t and p of an argon2 hash are in bounds."""
    _in_range("argon2 m", memory_kib, 1, MAX_ARGON2_MEMORY_KIB)
    _in_range("argon2 t", iterations, 1, MAX_ARGON2_ITERATIONS)
    _in_range("argon2 p", parallelism, 1, MAX_ARGON2_PARALLELISM)


def check_pbkdf2(iterations: int) -> None:
    """Raise :class:`HashBoundsError` unless the PBKDF2 iteration count is in bounds."""
    _in_range("pbkdf2 i", iterations, 1, MAX_PBKDF2_ITERATIONS)


def check_bcrypt(cost: int) -> None:
    """Raise :class:`HashBoundsError` when a bcrypt cost exceeds :data:`MAX_BCRYPT_COST`."""
    if cost > MAX_BCRYPT_COST:
        raise HashBoundsError(f"bcrypt cost={cost} exceeds max {MAX_BCRYPT_COST}")
