"""The access log: one line per finished HTTP request, shaped like Kratos's.

Kratos's request logger (``reqlog`` + ``logrusx.WithRequest``) writes
``completed handling request`` with ``http_request`` (``method``, ``path``, ``query``,
``remote``, ``scheme``, ``host``, ``headers``) and ``http_response`` (``status``, ``size``,
``text_status``, ``took`` in nanoseconds). Phalanx writes the same fields once per request
(Kratos also writes a ``started handling request`` line; Phalanx does not), plus
``request_id`` (the client's ``X-Request-Id`` when it is a plain token, else a new one) and
``otel`` (``trace_id``, ``span_id``) when tracing is on. The query is redacted unless
``log.leak_sensitive_values`` is true (it carries flow ids, codes and tokens), request
headers are limited to ``user-agent`` (cookies and authorization never appear), and
``/health/alive`` and ``/health/ready`` are logged at ``trace`` level only, as Kratos.

The line is rendered and written directly (no ``logging`` record): it is on every
request's path, whoami's included.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from http import HTTPStatus
from typing import Any

from phalanx.logs import redact
from phalanx.logs.render import access_text_line, render_text
from phalanx.logs.setup import TRACE, LineWriter, current_writer

__all__ = ["AccessLog", "request_id_of"]

_QUIET_PATHS = frozenset(
    ["/health/alive", "/health/ready", "/admin/health/alive", "/admin/health/ready"]
)
_VALID_ID = re.compile(rb"[A-Za-z0-9._:\-]{1,128}")
_TEXT_STATUS = {s.value: s.phrase for s in HTTPStatus}
_root = logging.getLogger()
_MESSAGE = "completed handling request"


def request_id_of(headers: list[tuple[bytes, bytes]] | Any) -> str:
    """The request's ``X-Request-Id`` when it is a plain token, else a fresh random id."""
    for name, value in headers:
        if name == b"x-request-id":
            if _VALID_ID.fullmatch(value):
                return value.decode()
            break
    return secrets.token_hex(8)


class AccessLog:
    """Writes the access line of finished requests (see the module doc)."""

    __slots__ = ("writer",)

    def __init__(self, writer: LineWriter | None = None) -> None:
        self.writer = writer

    def emit(
        self,
        scope: Any,
        status: int,
        size: int,
        took_ns: int,
        request_id: str,
        otel: dict[str, str] | None = None,
    ) -> None:
        path: str = scope.get("path", "")
        level = TRACE if path in _QUIET_PATHS else logging.INFO
        if not _root.isEnabledFor(level):
            return
        writer = self.writer or current_writer()
        user_agent = host = None
        for name, value in scope["headers"]:
            if name == b"user-agent":
                user_agent = value.decode("latin-1")
            elif name == b"host":
                host = value.decode("latin-1")
        query: bytes = scope.get("query_string", b"")
        client = scope.get("client")
        raw_path: bytes | None = scope.get("raw_path")
        level_name = "trace" if level == TRACE else "info"
        request = {
            "method": scope["method"],
            "path": raw_path.decode("latin-1") if raw_path else path,
            "query": redact.redact(query.decode("latin-1")) if query else None,
            "remote": f"{client[0]}:{client[1]}" if client else None,
            "scheme": scope.get("scheme", "http"),
            "host": host,
            "headers": {"user-agent": user_agent} if user_agent else None,
        }
        response = {
            "status": status,
            "size": size,
            "text_status": _TEXT_STATUS.get(status, ""),
            "took": took_ns,
        }
        if writer.render is render_text:  # the default format: one f-string, no generic walk
            writer.write(access_text_line(level_name, request_id, request, response, otel))
            return
        fields: dict[str, Any] = {
            "request_id": request_id,
            "http_request": request,
            "http_response": response,
        }
        if otel:
            fields["otel"] = otel
        writer.write(writer.render(level_name, _MESSAGE, fields, time.time()))
