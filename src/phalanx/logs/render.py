"""Log lines as Kratos (logrus through ``logrusx``) writes them: ``json`` or ``text``.

A line is a level, a message and structured fields. Every line carries the fields
``logrusx`` adds (``audience: application``, ``service_name``, ``service_version``); the
JSON form is one object per line with ``level``, ``msg`` and ``time`` (RFC 3339 with
nanoseconds, UTC), the text form is logrus's ``TextFormatter`` with full timestamps and
unquoted values: ``time=… level=info msg=… key=value``, nested fields as ``a.b=value``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from phalanx import __version__
from phalanx.logs.redact import Sensitive

__all__ = ["SERVICE_NAME", "Renderer", "render_json", "render_text", "renderer", "rfc3339_nano"]

SERVICE_NAME = "Phalanx"
_BASE = {"audience": "application", "service_name": SERVICE_NAME, "service_version": __version__}

Renderer = Callable[[str, str, Mapping[str, Any], float | None], bytes]


def rfc3339_nano(epoch: float) -> str:
    """``2024-01-02T03:04:05.123456Z`` (Go's RFC3339Nano trims trailing zeros; so do we)."""
    seconds = int(epoch)
    fraction = f"{epoch - seconds:.6f}"[2:].rstrip("0")
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    return f"{stamp}.{fraction}Z" if fraction else f"{stamp}Z"


def _default(value: Any) -> Any:
    if isinstance(value, Sensitive):
        return value.for_json()
    return str(value)


def render_json(level: str, msg: str, fields: Mapping[str, Any], at: float | None = None) -> bytes:
    """One JSON line (``\\n``-terminated)."""
    stamp = rfc3339_nano(time.time() if at is None else at)
    record = {**_BASE, **fields, "level": level, "msg": msg, "time": stamp}
    return orjson.dumps(record, default=_default, option=orjson.OPT_APPEND_NEWLINE)


def _text_value(value: Any) -> str:
    text = str(value)
    if text == "" or any(c in text for c in ' ="\n\t'):
        return orjson.dumps(text).decode()
    return text


def _flatten(prefix: str, value: Any, out: list[str]) -> None:
    if isinstance(value, Mapping):
        for key, sub in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), sub, out)
    elif value is not None:
        out.append(f"{prefix}={_text_value(value)}")


def render_text(level: str, msg: str, fields: Mapping[str, Any], at: float | None = None) -> bytes:
    """One logfmt-style line: ``time=… level=… msg=… audience=… key=value …``."""
    stamp = rfc3339_nano(time.time() if at is None else at)
    parts = [f"time={stamp}", f"level={level}", f"msg={_text_value(msg)}"]
    trace = None
    for key, value in {**_BASE, **fields}.items():
        if key == "error" and isinstance(value, Mapping) and "stack_trace" in value:
            trace = value["stack_trace"]
            value = {k: v for k, v in value.items() if k != "stack_trace"}
        _flatten(key, value, parts)
    line = " ".join(parts)
    if trace:
        line += "\n" + str(trace).rstrip("\n")
    return (line + "\n").encode()


def renderer(fmt: str | None) -> Renderer:
    """The renderer for ``log.format`` (``text`` when unset, as Kratos)."""
    return render_json if fmt == "json" else render_text
