"""Log lines as Kratos (logrus through ``logrusx``) writes them: ``json`` or ``text``.

A line is a level, a message and structured fields. Every line carries the fields
``logrusx`` adds (``audience: application``, ``service_name``, ``service_version``); the
JSON form is one object per line with ``level``, ``msg`` and ``time`` (RFC 3339 with
nanoseconds, UTC), the text form is logrus's ``TextFormatter`` with full timestamps and
unquoted values: ``time=… level=info msg=… key=value``, nested fields as ``a.b=value``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from phalanx import __version__
from phalanx.logs.redact import Sensitive

__all__ = [
    "SERVICE_NAME",
    "Renderer",
    "access_text_line",
    "render_json",
    "render_text",
    "renderer",
    "rfc3339_nano",
]

SERVICE_NAME = "Phalanx"
_BASE = {"audience": "application", "service_name": SERVICE_NAME, "service_version": __version__}

Renderer = Callable[[str, str, Mapping[str, Any], float | None], bytes]


_second_cache: list[Any] = [-1, ""]


def rfc3339_nano(epoch: float) -> str:
    """``2024-01-02T03:04:05.123456Z`` (Go's RFC3339Nano trims trailing zeros; so do we)."""
    seconds = int(epoch)
    if _second_cache[0] != seconds:  # one strftime per second, not per line
        _second_cache[0] = seconds
        _second_cache[1] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    micros = int((epoch - seconds) * 1_000_000)
    if not micros:
        return f"{_second_cache[1]}Z"
    return f"{_second_cache[1]}.{micros:06d}".rstrip("0") + "Z"


def _default(value: Any) -> Any:
    if isinstance(value, Sensitive):
        return value.for_json()
    return str(value)


def render_json(level: str, msg: str, fields: Mapping[str, Any], at: float | None = None) -> bytes:
    """One JSON line (``\\n``-terminated)."""
    stamp = rfc3339_nano(time.time() if at is None else at)
    record = {**_BASE, **fields, "level": level, "msg": msg, "time": stamp}
    return orjson.dumps(record, default=_default, option=orjson.OPT_APPEND_NEWLINE)


_NEEDS_QUOTES = re.compile(r'[ ="\n\t]')


def _text_value(value: Any) -> str:
    text = value if type(value) is str else str(value)
    if text == "" or _NEEDS_QUOTES.search(text):
        return orjson.dumps(text).decode()
    return text


_BASE_TEXT = " ".join(f"{k}={v}" for k, v in _BASE.items())


def _flatten(prefix: str, value: Any, out: list[str]) -> None:
    for key, sub in value.items():
        if sub is None:
            continue
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(sub, Mapping):
            _flatten(name, sub, out)
        elif type(sub) is int:
            out.append(f"{name}={sub}")
        else:
            out.append(f"{name}={_text_value(sub)}")


def render_text(level: str, msg: str, fields: Mapping[str, Any], at: float | None = None) -> bytes:
    """One logfmt-style line: ``time=… level=… msg=… audience=… key=value …``."""
    stamp = rfc3339_nano(time.time() if at is None else at)
    parts = [f"time={stamp} level={level} msg={_text_value(msg)} {_BASE_TEXT}"]
    trace = None
    error = fields.get("error")
    if isinstance(error, Mapping) and "stack_trace" in error:
        trace = error["stack_trace"]
        fields = {**fields, "error": {k: v for k, v in error.items() if k != "stack_trace"}}
    _flatten("", fields, parts)
    line = " ".join(parts)
    if trace:
        line += "\n" + str(trace).rstrip("\n")
    return (line + "\n").encode()


def access_text_line(
    level: str,
    request_id: str,
    request: Mapping[str, Any],
    response: Mapping[str, Any],
    otel: Mapping[str, str] | None,
) -> bytes:
    """The access line in ``text`` format, as :func:`render_text` would write it (faster)."""
    q = _text_value
    parts = [
        f"time={rfc3339_nano(time.time())} level={level} "
        f'msg="completed handling request" {_BASE_TEXT} request_id={q(request_id)} '
        f"http_request.method={q(request['method'])} http_request.path={q(request['path'])}"
    ]
    if request["query"] is not None:
        parts.append(f"http_request.query={q(request['query'])}")
    if request["remote"] is not None:
        parts.append(f"http_request.remote={request['remote']}")
    parts.append(f"http_request.scheme={request['scheme']}")
    if request["host"] is not None:
        parts.append(f"http_request.host={q(request['host'])}")
    if request["headers"]:
        parts.append(f"http_request.headers.user-agent={q(request['headers']['user-agent'])}")
    parts.append(
        f"http_response.status={response['status']} http_response.size={response['size']} "
        f"http_response.text_status={q(response['text_status'])} "
        f"http_response.took={response['took']}"
    )
    if otel:
        parts.append(f"otel.trace_id={otel['trace_id']} otel.span_id={otel['span_id']}")
    return (" ".join(parts) + "\n").encode()


def renderer(fmt: str | None) -> Renderer:
    """The renderer for ``log.format`` (``text`` when unset, as Kratos)."""
    return render_json if fmt == "json" else render_text
