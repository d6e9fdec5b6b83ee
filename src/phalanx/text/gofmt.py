"""Go formatting verbs that leak into Kratos's wire texts.

Kratos builds message texts with Go's ``fmt`` and JSON with ``encoding/json``; a few of
their renderings show up verbatim in UI texts and contexts, so they are reproduced here:

* :func:`go_quote` -- ``%q`` / ``strconv.Quote`` (``"notanemail"``),
* :func:`go_float` -- ``%v`` of a ``float64`` (``5``, ``2.5``, ``1e+06``),
* :func:`go_sharp_v` -- ``%#v`` of a decoded JSON scalar (``"a"``, ``true``, ``<nil>``),
* :func:`go_time_json` -- a ``time.Time`` marshalled to JSON (RFC 3339 with nanoseconds),
* :func:`go_time_string` -- ``%s`` of a ``time.Time`` (``2006-01-02 15:04:05 +0000 UTC``),
* :func:`json_number` -- a ``float64`` as ``encoding/json`` writes it (``5`` not ``5.0``).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

__all__ = [
    "go_float",
    "go_quote",
    "go_sharp_v",
    "go_time_json",
    "go_time_string",
    "json_number",
]

_SIMPLE_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    "\\": "\\\\",
    '"': '\\"',
}


def go_quote(value: str) -> str:
    """``strconv.Quote``: a double-quoted Go string literal; printable runes stay as they are."""
    out = ['"']
    for ch in value:
        escaped = _SIMPLE_ESCAPES.get(ch)
        if escaped is not None:
            out.append(escaped)
        elif ch == " " or ch.isprintable():
            out.append(ch)
        else:
            code = ord(ch)
            if code < 0x20 or code == 0x7F:
                out.append(f"\\x{code:02x}")
            elif code < 0x10000:
                out.append(f"\\u{code:04x}")
            else:
                out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def _shortest_digits(value: float) -> tuple[str, int]:
    """Shortest round-trip decimal digits of ``abs(value)`` and the decimal point position."""
    dec = Decimal(repr(abs(value))).normalize()
    _sign, digits, exponent = dec.as_tuple()
    text = "".join(str(d) for d in digits)
    return text, len(text) + int(exponent)


def go_float(value: float) -> str:
    """``fmt.Sprintf("%v", float64)``: shortest ``%g`` with exponent from 1e+06 / below 1e-04."""
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    sign = "-" if value < 0 else ""
    digits, point = _shortest_digits(value)
    exp = point - 1
    if exp < -4 or exp >= 6:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        exp_sign = "-" if exp < 0 else "+"
        return f"{sign}{mantissa}e{exp_sign}{abs(exp):02d}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return f"{sign}{digits}{'0' * (point - len(digits))}"
    return f"{sign}{digits[:point]}.{digits[point:]}"


def json_number(value: float) -> float | int:
    """A ``float64`` as Go's ``encoding/json`` renders it: integral values without ``.0``."""
    value = float(value)
    if math.isfinite(value) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    return value


def go_sharp_v(value: Any) -> str:
    """``%#v`` of a JSON scalar decoded with ``UseNumber`` (numbers are quoted strings there)."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return go_quote(str(value))
    if isinstance(value, float):
        return go_quote(repr(value))
    if isinstance(value, str):
        return go_quote(value)
    return repr(value)


def _as_aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _fraction(value: datetime) -> str:
    if not value.microsecond:
        return ""
    return "." + f"{value.microsecond:06d}".rstrip("0")


def _offset(value: datetime, *, colon: bool) -> tuple[int, str]:
    delta = value.utcoffset()
    seconds = int(delta.total_seconds()) if delta is not None else 0
    sign = "-" if seconds < 0 else "+"
    hours, minutes = divmod(abs(seconds) // 60, 60)
    sep = ":" if colon else ""
    return seconds, f"{sign}{hours:02d}{sep}{minutes:02d}"


def go_time_json(value: datetime) -> str:
    """A ``time.Time`` marshalled by ``encoding/json`` (RFC 3339, trailing zeros trimmed)."""
    value = _as_aware(value)
    seconds, offset = _offset(value, colon=True)
    zone = "Z" if seconds == 0 else offset
    return value.strftime("%Y-%m-%dT%H:%M:%S") + _fraction(value) + zone


def go_time_string(value: datetime) -> str:
    """``fmt.Sprintf("%s", time.Time)``: ``2006-01-02 15:04:05.999999999 -0700 MST``."""
    value = _as_aware(value)
    seconds, offset = _offset(value, colon=False)
    name = value.tzname() or ""
    if value.tzinfo is UTC or (seconds == 0 and name in ("UTC", "UTC+00:00", "")):
        name = "UTC"
    elif name.startswith("UTC"):
        name = offset
    return value.strftime("%Y-%m-%d %H:%M:%S") + _fraction(value) + f" {offset} {name}"
