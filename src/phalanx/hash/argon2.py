"""argon2: generation of ``$argon2id$`` and verification of ``$argon2id$`` and ``$argon2i$``.

Mirrors Kratos's ``hash/hasher_argon2.go`` (format
``$argon2id$v=19$m=<KiB>,t=<iterations>,p=<parallelism>$<salt>$<digest>``, both in unpadded
standard base64) and ``CompareArgon2id``/``CompareArgon2i`` (version must be 19, bounds from
``hash_limits.go``, key length taken from the stored digest).

libargon2, which argon2-cffi binds, refuses a few parameter sets Go's ``x/crypto/argon2``
silently adjusts (memory below 8 KiB per lane, salts shorter than 8 bytes, digests shorter than
4 bytes). No real-world generator emits those; they fail to verify here.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass

from argon2.exceptions import HashingError
from argon2.low_level import Type, hash_secret_raw

from phalanx.hash.base import Hasher
from phalanx.hash.encoding import (
    b64decode_raw,
    b64encode_raw,
    constant_time_equal,
    password_bytes,
)
from phalanx.hash.errors import HashError, HashParseError
from phalanx.hash.limits import (
    MAX_ARGON2_ITERATIONS,
    MAX_ARGON2_MEMORY_KIB,
    MAX_ARGON2_PARALLELISM,
    check_argon2,
)

__all__ = [
    "ARGON2ID_PREFIX",
    "ARGON2I_PREFIX",
    "ARGON2_VERSION",
    "Argon2Hash",
    "Argon2Hasher",
    "compare_argon2i",
    "compare_argon2id",
    "decode_argon2",
    "default_argon2_parallelism",
    "validate_argon2",
]

ARGON2ID_PREFIX = re.compile(r"^\$argon2id\$")
ARGON2I_PREFIX = re.compile(r"^\$argon2i\$")
ARGON2_VERSION = 19

_VERSION = re.compile(r"v=([0-9]+)")
_PARAMS = re.compile(r"m=([0-9]+),t=([0-9]+),p=([0-9]+)")
_UINT32 = 1 << 32


@dataclass(frozen=True, slots=True)
class Argon2Hash:
    """The decoded parts of an argon2 hash string."""

    memory_kib: int
    iterations: int
    parallelism: int
    salt: bytes
    digest: bytes


def decode_argon2(hashed: str) -> Argon2Hash:
    """Decode an ``$argon2id$``/``$argon2i$`` hash like Kratos's ``decodeArgon2idHash``.

    Raises :class:`HashParseError` or :class:`HashBoundsError`.
    """
    parts = hashed.split("$")
    if len(parts) != 6:
        raise HashParseError("argon2 hash must have 6 $-separated parts")
    version = _VERSION.match(parts[2])
    if version is None:
        raise HashParseError("argon2 hash has no version")
    if int(version[1]) != ARGON2_VERSION:
        raise HashParseError(f"incompatible argon2 version {version[1]}")
    params = _PARAMS.match(parts[3])
    if params is None:
        raise HashParseError("argon2 hash has no m, t, p parameters")
    memory, iterations, parallelism = (int(v) for v in params.groups())
    # Go scans m and t as uint32 and p as uint8: larger values are scan errors there.
    if memory >= _UINT32 or iterations >= _UINT32 or parallelism > 0xFF:
        raise HashParseError("argon2 parameter overflows its integer type")
    check_argon2(memory, iterations, parallelism)
    return Argon2Hash(
        memory_kib=memory,
        iterations=iterations,
        parallelism=parallelism,
        salt=b64decode_raw(parts[4]),
        digest=b64decode_raw(parts[5]),
    )


def validate_argon2(hashed: str) -> None:
    """Import-time check: the hash decodes and its parameters are in bounds."""
    decode_argon2(hashed)


def _compare(password: bytes, hashed: str, kind: Type) -> bool:
    decoded = decode_argon2(hashed)
    if not decoded.digest:
        return False
    try:
        computed = hash_secret_raw(
            password,
            decoded.salt,
            time_cost=decoded.iterations,
            memory_cost=decoded.memory_kib,
            parallelism=decoded.parallelism,
            hash_len=len(decoded.digest),
            type=kind,
            version=ARGON2_VERSION,
        )
    except HashingError as exc:
        raise HashParseError(f"argon2 parameters not supported by libargon2: {exc}") from exc
    return constant_time_equal(decoded.digest, computed)


def compare_argon2id(password: bytes, hashed: str) -> bool:
    """Whether ``password`` matches an ``$argon2id$`` hash (Kratos ``CompareArgon2id``)."""
    return _compare(password, hashed, Type.ID)


def compare_argon2i(password: bytes, hashed: str) -> bool:
    """Whether ``password`` matches an ``$argon2i$`` hash (Kratos ``CompareArgon2i``)."""
    return _compare(password, hashed, Type.I)


def default_argon2_parallelism() -> int:
    """Kratos's default ``hashers.argon2.parallelism``: twice the CPU count.

    Capped at :data:`~phalanx.hash.limits.MAX_ARGON2_PARALLELISM`: Kratos does not cap it and
    so, on hosts with more than 8 CPUs, would write hashes its own bounds refuse at login.
    """
    return max(1, min(2 * (os.cpu_count() or 1), MAX_ARGON2_PARALLELISM))


class Argon2Hasher(Hasher):
    """Generates ``$argon2id$v=19$m=...,t=...,p=...$salt$digest`` exactly as Kratos does.

    Defaults are Kratos's config defaults: 128 MB (131072 KiB), 1 iteration, 2 lanes per CPU,
    16-byte salt, 32-byte key. Parameters outside the verification bounds, or ones libargon2
    cannot compute, are refused at construction so no unverifiable hash is ever written.
    """

    algorithm = "argon2"

    def __init__(
        self,
        memory_kib: int = 128 * 1024,
        iterations: int = 1,
        parallelism: int | None = None,
        salt_length: int = 16,
        key_length: int = 32,
    ) -> None:
        if parallelism is None:
            parallelism = default_argon2_parallelism()
        if not 1 <= iterations <= MAX_ARGON2_ITERATIONS:
            raise ValueError(f"argon2 iterations must be in [1, {MAX_ARGON2_ITERATIONS}]")
        if not 1 <= parallelism <= MAX_ARGON2_PARALLELISM:
            raise ValueError(f"argon2 parallelism must be in [1, {MAX_ARGON2_PARALLELISM}]")
        if not 8 * parallelism <= memory_kib <= MAX_ARGON2_MEMORY_KIB:
            raise ValueError(
                f"argon2 memory must be in [8 KiB x parallelism, {MAX_ARGON2_MEMORY_KIB}] KiB"
            )
        if salt_length < 8:
            raise ValueError("argon2 salt length must be at least 8 bytes")
        if key_length < 4:
            raise ValueError("argon2 key length must be at least 4 bytes")
        self.memory_kib = memory_kib
        self.iterations = iterations
        self.parallelism = parallelism
        self.salt_length = salt_length
        self.key_length = key_length

    def __repr__(self) -> str:
        return (
            f"Argon2Hasher(memory_kib={self.memory_kib}, iterations={self.iterations}, "
            f"parallelism={self.parallelism}, salt_length={self.salt_length}, "
            f"key_length={self.key_length})"
        )

    def hash(self, password: str | bytes) -> str:
        """Hash ``password`` with a fresh salt into Kratos's argon2id string."""
        salt = secrets.token_bytes(self.salt_length)
        digest = hash_secret_raw(
            password_bytes(password),
            salt,
            time_cost=self.iterations,
            memory_cost=self.memory_kib,
            parallelism=self.parallelism,
            hash_len=self.key_length,
            type=Type.ID,
            version=ARGON2_VERSION,
        )
        return (
            f"$argon2id$v={ARGON2_VERSION}$m={self.memory_kib},t={self.iterations},"
            f"p={self.parallelism}${b64encode_raw(salt)}${b64encode_raw(digest)}"
        )

    def understands(self, hashed: str) -> bool:
        """Kratos's ``Argon2.Understands``: the ``$argon2id$`` prefix (not ``$argon2i$``)."""
        return ARGON2ID_PREFIX.match(hashed) is not None

    def must_update(self, hashed: str) -> bool:
        """True when memory, iterations, parallelism or key length differ from the config."""
        try:
            decoded = decode_argon2(hashed)
        except HashError:
            return True
        return (
            decoded.memory_kib != self.memory_kib
            or decoded.iterations != self.iterations
            or decoded.parallelism != self.parallelism
            or len(decoded.digest) != self.key_length
        )
