"""Every way SQL differs per database, one module per backend (see :mod:`.base`)."""

from __future__ import annotations

from phalanx.persistence.sql.dialects.base import (
    Backend,
    NotAvailableError,
    SessionDecoder,
    TokenLookup,
)
from phalanx.persistence.sql.dialects.mysql import MYSQL
from phalanx.persistence.sql.dialects.postgresql import POSTGRESQL
from phalanx.persistence.sql.dialects.sqlite import SQLITE

__all__ = [
    "BACKENDS",
    "Backend",
    "NotAvailableError",
    "SessionDecoder",
    "TokenLookup",
    "backend_for",
]

BACKENDS: tuple[Backend, ...] = (SQLITE, POSTGRESQL, MYSQL)
"""The backends Phalanx runs on; a new database is one module and one entry here."""

_BY_NAME = {name: backend for backend in BACKENDS for name in backend.names}
_PORTABLE = Backend()


def backend_for(dialect_name: str) -> Backend:
    """The backend of a SQLAlchemy dialect name (the portable defaults for others)."""
    return _BY_NAME.get(dialect_name, _PORTABLE)
