"""Schema conventions shared by ``tables.py``: constraint names and MySQL table options.

Kratos names its indexes by hand in each dialect's migrations; Phalanx derives them from
one naming convention so every database gets identical names, which later migrations
can rely on when they drop or alter a constraint.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import Table

__all__ = ["MAX_NAME_LENGTH", "MYSQL_TABLE_OPTIONS", "NAMING_CONVENTION", "bounded_name"]

MAX_NAME_LENGTH = 63
"""PostgreSQL's identifier limit (MySQL allows 64, SQLite has none)."""


def bounded_name(kind: str, constraint: Any, table: Table) -> str:
    """``<kind>_<table>_<columns>``, shortened the same way on every dialect.

    SQLAlchemy's own truncation depends on the dialect's limit, which would give the
    same constraint different names on PostgreSQL and MySQL.
    """
    name = f"{kind}_{table.name}_{'_'.join(c.name for c in constraint.columns)}"
    if len(name) <= MAX_NAME_LENGTH:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: MAX_NAME_LENGTH - 9]}_{digest}"


NAMING_CONVENTION: dict[str, Any] = {
    "fk_name": lambda c, t: bounded_name("fk", c, t),
    "uq_name": lambda c, t: bounded_name("uq", c, t),
    "ix_name": lambda c, t: bounded_name("ix", c, t),
    "fk": "%(fk_name)s",
    "uq": "%(uq_name)s",
    "ix": "%(ix_name)s",
    "pk": "pk_%(table_name)s",
}
"""Deterministic constraint names, at most 63 characters on every database."""

MYSQL_TABLE_OPTIONS: dict[str, str] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    # Binary collation: case-sensitive equality and LIKE, as on PostgreSQL and SQLite.
    "mysql_collate": "utf8mb4_bin",
}
"""Options of every table on MySQL/MariaDB (ignored by the other dialects)."""
