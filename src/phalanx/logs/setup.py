"""Configure process logging from ``log.*``: level, format, redaction.

``configure(config)`` installs one handler on the root logger that renders every record
(Phalanx's, uvicorn's, asyncio's) with :mod:`phalanx.logs.render` and writes it to
standard error in one ``write`` per line (so lines of several ``--workers`` never mix).
Records' ``extra`` fields become structured fields; an exception becomes an ``error``
field (``message``, ``stack_trace``), as logrusx's ``WithError``. Message and exception
texts pass through :func:`phalanx.logs.redact.scrub`.

Levels: Kratos's ``trace`` … ``panic`` map onto Python's (``trace`` is below ``debug``,
``fatal``/``panic`` are ``CRITICAL``). ``LOG_LEVEL``/``LOG_FORMAT``/
``LOG_LEAK_SENSITIVE_VALUES`` reach the config like every Kratos env override.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from typing import TYPE_CHECKING, Any

from phalanx.logs import redact
from phalanx.logs.context import REQUEST_ID
from phalanx.logs.render import Renderer, renderer

if TYPE_CHECKING:
    from phalanx.config import Config

__all__ = ["TRACE", "LineWriter", "StructuredHandler", "configure", "current_writer", "level_name"]

#: Kratos's ``trace`` level, below ``DEBUG``.
TRACE = 5
logging.addLevelName(TRACE, "TRACE")

_LEVELS = {
    "trace": TRACE,
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "fatal": logging.CRITICAL,
    "panic": logging.CRITICAL,
}
# Attributes every LogRecord has; anything else came from ``extra=``.
_STANDARD = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys() | {"message", "asctime"}
)


def level_name(levelno: int) -> str:
    """logrus's name for a Python level number."""
    if levelno >= logging.CRITICAL:
        return "fatal"
    if levelno >= logging.ERROR:
        return "error"
    if levelno >= logging.WARNING:
        return "warning"
    if levelno >= logging.INFO:
        return "info"
    if levelno >= logging.DEBUG:
        return "debug"
    return "trace"


class LineWriter:
    """Writes finished lines to a file descriptor, one ``os.write`` each."""

    __slots__ = ("fd", "render")

    def __init__(self, render: Renderer, fd: int | None = None) -> None:
        self.render = render
        self.fd = sys.stderr.fileno() if fd is None else fd

    def write(self, line: bytes) -> None:
        try:
            view = memoryview(line)
            while view:
                written = os.write(self.fd, view)
                view = view[written:]
        except OSError:  # a closed stderr must never fail a request
            pass


class StructuredHandler(logging.Handler):
    """Renders records as Kratos-style lines and hands them to a :class:`LineWriter`."""

    def __init__(self, writer: LineWriter) -> None:
        super().__init__()
        self.writer = writer

    def fields(self, record: logging.LogRecord) -> dict[str, Any]:
        fields: dict[str, Any] = {"logger": record.name}
        request_id = REQUEST_ID.get()
        if request_id is not None:
            fields["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                fields[key] = value
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            fields["error"] = {
                "message": redact.scrub(str(exc) or type(exc).__name__),
                "stack_trace": redact.scrub(
                    "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
                ),
            }
        return fields

    def emit(self, record: logging.LogRecord) -> None:
        try:
            msg = redact.scrub(record.getMessage())
            line = self.writer.render(
                level_name(record.levelno), msg, self.fields(record), record.created
            )
        except Exception:
            self.handleError(record)
            return
        self.writer.write(line)


_current: LineWriter | None = None


def current_writer() -> LineWriter:
    """The writer :func:`configure` installed (a ``text`` one before that)."""
    global _current
    if _current is None:
        _current = LineWriter(renderer(None))
    return _current


def configure(config: Config | None = None) -> LineWriter:
    """Apply ``log.*`` to this process: one structured handler on the root logger."""
    global _current
    log = config.log if config is not None else None
    level = _LEVELS.get(str(log.level) if log is not None else "info", logging.INFO)
    redact.configure(
        leak=log.leak_sensitive_values if log is not None else False,
        text=log.redaction_text if log is not None else None,
    )
    writer = LineWriter(renderer(log.format if log is not None else None))
    _current = writer
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(StructuredHandler(writer))
    root.setLevel(level)
    logging.getLogger("alembic").setLevel(max(level, logging.WARNING))
    for name in ("uvicorn", "uvicorn.error"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    return writer
