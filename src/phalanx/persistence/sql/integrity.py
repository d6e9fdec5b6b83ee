"""Portable classification of constraint violations (Kratos's ``sqlcon.HandleError``).

Kratos turns a unique-index violation into ``sqlcon.ErrUniqueViolation`` and the identity
handler answers 409 "This identity conflicts with another identity that already exists.".
Each driver reports it differently; each backend of :mod:`phalanx.persistence.sql.dialects`
recognizes its own (``Backend.is_unique_violation``, ``Backend.violated_constraint``).
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from phalanx.errors import ConflictError
from phalanx.persistence.sql.dialects import BACKENDS

__all__ = [
    "IDENTITY_CONFLICT_REASON",
    "identity_conflict",
    "is_unique_violation",
    "violated_constraint",
]

IDENTITY_CONFLICT_REASON = "This identity conflicts with another identity that already exists."


def is_unique_violation(exc: IntegrityError) -> bool:
    """Whether ``exc`` is a unique or primary-key violation (not a NOT NULL / FK one)."""
    orig = exc.orig
    return orig is not None and any(backend.is_unique_violation(orig) for backend in BACKENDS)


def violated_constraint(exc: IntegrityError) -> str | None:
    """Best-effort name of the violated constraint, for logs.

    PostgreSQL and MySQL give the constraint/index name; SQLite gives ``table.column`` list.
    """
    if exc.orig is None:
        return None
    for backend in BACKENDS:
        name = backend.violated_constraint(exc.orig)
        if name is not None:
            return name
    return None


def identity_conflict(exc: IntegrityError | None = None) -> ConflictError:
    """The 409 Kratos answers when an identity write hits (or would hit) a unique index."""
    error = ConflictError(IDENTITY_CONFLICT_REASON)
    error.__cause__ = exc
    return error
