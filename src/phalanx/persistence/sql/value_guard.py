"""Values a database cannot store answer 400, never 500: NUL characters (refused the same
way on every database) and the data errors a driver reports (too long, out of range).

PostgreSQL cannot store U+0000 in ``text`` (``invalid byte sequence for encoding
"UTF8": 0x00``) nor in ``jsonb`` (``unsupported Unicode escape sequence``); SQLite and
MariaDB store it silently. The HTTP edge (:mod:`phalanx.http.guard`) already refuses such
input; this is the defence behind it for any path that reaches SQL anyway:

* every ``str`` statement parameter is checked before the cursor executes;
* JSON column values are checked when serialized (:func:`check_json_text`, called by
  :func:`phalanx.persistence.sql.types.json_dumps`), since a NUL only shows there as the
  escape ``\\u0000``;
* a driver error that still reports a NUL (PostgreSQL) is translated too.

All three raise :class:`phalanx.errors.NulCharacterError` (400). Any other *data
exception* of the driver -- which errors those are is the backend's knowledge
(``Backend.data_error``: PostgreSQL's SQLSTATE class 22, MySQL/MariaDB's 1264, 1366, 1406,
3140 and 4025) -- is caused by a value of the request as well and becomes a
:class:`StoredValueError` (400). The transaction rolls back, so nothing is half-written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.ext.asyncio import AsyncEngine

from phalanx.errors import BadRequestError, NulCharacterError
from phalanx.persistence.sql.dialects import backend_for

__all__ = ["StoredValueError", "check_json_text", "install_value_guard"]

# ``\u0000`` preceded by an even number of backslashes (an odd number escapes the "\").
_JSON_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")
_DRIVER_NUL = ('encoding "UTF8": 0x00', "u0000 cannot be converted")


class StoredValueError(BadRequestError):
    """400: the database refused a value of the request (too long, out of range)."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"A value of the request cannot be stored: {detail}")


def check_json_text(text: str) -> None:
    """Raise if serialized JSON ``text`` encodes a NUL character."""
    if "\\u0000" in text and _JSON_NUL.search(text):
        raise NulCharacterError("a JSON value")


def _has_nul(parameters: Any) -> bool:
    if isinstance(parameters, str):
        return "\x00" in parameters
    if isinstance(parameters, Mapping):
        return any(_has_nul(value) for value in parameters.values())
    if isinstance(parameters, Sequence) and not isinstance(parameters, bytes | bytearray):
        return any(_has_nul(value) for value in parameters)
    return False


def _before_cursor_execute(
    conn: Any,
    cursor: Any,
    statement: str,
    parameters: Any,
    context: Any,
    executemany: bool,
) -> None:
    if parameters and _has_nul(parameters):
        raise NulCharacterError("a stored value")


def _handle_error(context: ExceptionContext) -> None:
    original = context.original_exception
    if isinstance(original, NulCharacterError):
        raise original  # unwrapped: SQLAlchemy would wrap it in a StatementError
    text = str(original)
    if any(marker in text for marker in _DRIVER_NUL):
        raise NulCharacterError("a stored value") from original
    detail = backend_for(context.dialect.name).data_error(original)
    if detail is not None:
        raise StoredValueError(detail) from original


def install_value_guard(engine: AsyncEngine) -> None:
    """Attach the checks to ``engine`` (all dialects)."""
    sync_engine = engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", _before_cursor_execute)
    event.listen(sync_engine, "handle_error", _handle_error)
