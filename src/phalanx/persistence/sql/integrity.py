"""Portable classification of constraint violations (Kratos's ``sqlcon.HandleError``).

Kratos turns a unique-index violation into ``sqlcon.ErrUniqueViolation`` and the identity
handler answers 409 "This identity conflicts with another identity that already exists.".
Each driver reports it differently:

* PostgreSQL (asyncpg): SQLSTATE ``23505``, with ``constraint_name`` on the asyncpg error;
* MySQL/MariaDB: error 1062 ``ER_DUP_ENTRY`` ("Duplicate entry ... for key '<name>'");
* SQLite: extended code ``SQLITE_CONSTRAINT_UNIQUE`` (2067) or ``..._PRIMARYKEY`` (1555),
  "UNIQUE constraint failed: <table>.<column>, ...".
"""

from __future__ import annotations

import re

from sqlalchemy.exc import IntegrityError

from phalanx.errors import ConflictError

__all__ = [
    "IDENTITY_CONFLICT_REASON",
    "identity_conflict",
    "is_unique_violation",
    "violated_constraint",
]

IDENTITY_CONFLICT_REASON = "This identity conflicts with another identity that already exists."

_PG_UNIQUE = "23505"
_MYSQL_DUP_ENTRY = 1062
_SQLITE_UNIQUE_CODES = {1555, 2067}  # SQLITE_CONSTRAINT_PRIMARYKEY, SQLITE_CONSTRAINT_UNIQUE
_MYSQL_KEY = re.compile(r"for key '([^']+)'")
_SQLITE_COLUMNS = re.compile(r"UNIQUE constraint failed: (.+)$")


def is_unique_violation(exc: IntegrityError) -> bool:
    """Whether ``exc`` is a unique or primary-key violation (not a NOT NULL / FK one)."""
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == _PG_UNIQUE or getattr(orig, "pgcode", None) == _PG_UNIQUE:
        return True
    args = getattr(orig, "args", ())
    if args and args[0] == _MYSQL_DUP_ENTRY:
        return True
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None:
        return code in _SQLITE_UNIQUE_CODES
    return "UNIQUE constraint failed" in str(orig)


def violated_constraint(exc: IntegrityError) -> str | None:
    """Best-effort name of the violated constraint, for logs.

    PostgreSQL and MySQL give the constraint/index name; SQLite gives ``table.column`` list.
    """
    orig = exc.orig
    cause = getattr(orig, "__cause__", None)
    name = getattr(cause, "constraint_name", None)
    if isinstance(name, str):
        return name
    text = str(orig)
    match = _MYSQL_KEY.search(text) or _SQLITE_COLUMNS.search(text)
    return match.group(1) if match else None


def identity_conflict(exc: IntegrityError | None = None) -> ConflictError:
    """The 409 Kratos answers when an identity write hits (or would hit) a unique index."""
    error = ConflictError(IDENTITY_CONFLICT_REASON)
    error.__cause__ = exc
    return error
