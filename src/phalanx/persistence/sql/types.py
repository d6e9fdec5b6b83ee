"""Portable column types shared by every table.

Kratos stores UUIDs natively on PostgreSQL/CockroachDB and as ``CHAR(36)`` on MySQL,
JSON as ``jsonb`` on PostgreSQL and ``JSON``/text elsewhere, and timestamps in UTC.
The types here give the same portability with SQLAlchemy:

* :data:`UUID` — ``sqlalchemy.Uuid``: native ``uuid`` on PostgreSQL (and MariaDB >= 10.7),
  ``CHAR(32)`` hex elsewhere.
* :data:`JSONValue` — ``JSON``, ``JSONB`` on PostgreSQL; Python ``None`` is SQL ``NULL``.
* :class:`UTCDateTime` — timezone-aware on the Python side everywhere. The column type is
  the backend's (``Backend.timestamp_type``): PostgreSQL keeps ``timestamptz``;
  MySQL/MariaDB (``DATETIME(6)``) and SQLite store naive UTC and get ``tzinfo=UTC``
  re-attached on read.

:func:`json_dumps`/:func:`json_loads` are the engine's JSON (de)serializers (orjson with
a stdlib fallback for values orjson refuses, such as integers beyond 64 bits).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import JSON, DateTime, Dialect, Uuid
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import TypeDecorator, TypeEngine

from phalanx.persistence.sql.dialects import backend_for
from phalanx.persistence.sql.value_guard import check_json_text

__all__ = ["UUID", "JSONValue", "UTCDateTime", "json_dumps", "json_loads"]

UUID = Uuid(as_uuid=True)
"""UUID primary and foreign keys (``uuid.UUID`` in Python)."""

JSONValue: TypeEngine[Any] = JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True), "postgresql"
)
"""Any JSON document; ``None`` is stored as SQL ``NULL``."""


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp with microsecond precision on every database.

    Naive datetimes passed in are taken to be UTC already. Values always come back
    as aware datetimes in UTC, which is what Kratos renders (RFC 3339 with ``Z``).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return backend_for(dialect.name).timestamp_type(dialect)

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        if backend_for(dialect.name).aware_timestamps:
            return value
        return value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def json_dumps(value: Any) -> str:
    """Serialize a JSON column value (compact, UTF-8, non-ASCII kept as is)."""
    try:
        text = orjson.dumps(value).decode()
    except TypeError:  # orjson.JSONEncodeError: big ints, non-str keys, ...
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    check_json_text(text)
    return text


def json_loads(value: str | bytes) -> Any:
    """Parse a JSON column value read from the database."""
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        return json.loads(value)
