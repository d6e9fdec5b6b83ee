"""Errors raised while parsing, bounding and comparing password hashes.

Exception tree::

    HashError                       anything wrong with a hash or a password for it
     ├── UnknownHashFormatError      no known prefix matches (Kratos: ErrUnknownHashAlgorithm)
     ├── HashParseError              a known prefix, but the rest is garbled
     ├── HashBoundsError             cost parameters beyond the bounds Kratos enforces
     │                               (Kratos: ErrHashParametersOutOfBounds, hash/hash_limits.go)
     └── PasswordTooLongError        bcrypt cannot take more than 72 bytes

Each class carries the reason Kratos's admin import answers with (identity/handler_import.go)
as the class attribute ``reason``; ``detail`` says what exactly was wrong and is meant for logs.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "HashBoundsError",
    "HashError",
    "HashParseError",
    "PasswordTooLongError",
    "UnknownHashFormatError",
]


class HashError(Exception):
    """Base class of every error raised by :mod:`phalanx.hash`."""

    reason: ClassVar[str] = "The password hash could not be processed."

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or self.reason)
        self.detail = detail


class UnknownHashFormatError(HashError):
    """The hash matches none of the prefixes Kratos recognises (``hash.IsValidHashFormat``)."""

    reason = "The imported password does not match any known hash format."


class HashParseError(HashError):
    """The hash has a known prefix but its parameters, salt or digest cannot be decoded."""

    reason = "The imported password hash could not be parsed."


class HashBoundsError(HashError):
    """The hash declares cost parameters outside the bounds of Kratos's ``hash_limits.go``.

    Kratos rejects these both on import and at login so that a poisoned hash cannot exhaust
    memory or CPU when compared.
    """

    reason = (
        "The imported password hash declares cost parameters that exceed the bounds enforced "
        "by Ory. Re-hash the password with a more conservative configuration before importing."
    )


class PasswordTooLongError(HashError):
    """A bcrypt password longer than 72 bytes.

    Kratos refuses to hash or compare it (bcrypt would silently truncate) and reports a
    password policy violation (``text.NewErrorValidationPasswordMaxLength(72, n)``); the
    attributes carry the two numbers that message needs.
    """

    reason = "The password is too long for bcrypt."

    def __init__(self, actual_length: int, max_length: int = 72) -> None:
        super().__init__(
            f"password is {actual_length} bytes long, bcrypt accepts at most {max_length}"
        )
        self.actual_length = actual_length
        self.max_length = max_length
