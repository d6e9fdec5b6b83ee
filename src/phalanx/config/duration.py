"""Go-style durations (``1h``, ``1m30s``, ``500ms``) and byte sizes (``128MB``).

Kratos config durations follow the schema pattern ``^([0-9]+(ns|us|ms|s|m|h))+$``; byte
sizes (argon2 ``memory``, ``dedicated_memory``) follow ``^[0-9]+(B|KB|MB|GB|TB|PB|EB)``
and, like Go's ``inhies/go-bytesize`` that Kratos uses, count in powers of 1024.
``timedelta`` keeps microseconds, so nanoseconds are rounded to the nearest microsecond.
"""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = [
    "BYTE_UNITS",
    "DURATION_PATTERN",
    "format_byte_size",
    "format_duration",
    "parse_byte_size",
    "parse_duration",
]

DURATION_PATTERN = re.compile(r"^(?:[0-9]+(?:ns|us|ms|s|m|h))+$")
_DURATION_PART = re.compile(r"([0-9]+)(ns|us|ms|s|m|h)")
_NS_PER_UNIT = {
    "ns": 1,
    "us": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}

BYTE_UNITS = {
    "B": 1,
    "KB": 1024,
    "MB": 1024**2,
    "GB": 1024**3,
    "TB": 1024**4,
    "PB": 1024**5,
    "EB": 1024**6,
}
_BYTE_SIZE = re.compile(r"^([0-9]+)(B|KB|MB|GB|TB|PB|EB)$")


def parse_duration(value: str | timedelta) -> timedelta:
    """Parse a Kratos/Go duration string such as ``1h``, ``1m30s`` or ``500ms``.

    A ``timedelta`` is returned unchanged. Anything else raises ``ValueError`` with a
    message suitable for a config error.
    """
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError(
            f"invalid duration {_show(value)} (expected a string such as 1h, 15m, 30s)"
        )
    text = value.strip()
    if not DURATION_PATTERN.match(text):
        raise ValueError(f"invalid duration {_show(value)} (expected e.g. 1h, 15m, 30s)")
    nanos = sum(int(n) * _NS_PER_UNIT[unit] for n, unit in _DURATION_PART.findall(text))
    return timedelta(microseconds=round(nanos / 1000))


def format_duration(value: timedelta) -> str:
    """Render a ``timedelta`` in the compact Go syntax ``parse_duration`` accepts.

    ``timedelta(hours=1, minutes=30)`` becomes ``1h30m``; zero becomes ``0s``.
    """
    micros = (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
    if micros < 0:
        raise ValueError("negative durations cannot be written in config syntax")
    if micros == 0:
        return "0s"
    out = []
    hours, rest = divmod(micros, 3_600_000_000)
    minutes, rest = divmod(rest, 60_000_000)
    seconds, rest = divmod(rest, 1_000_000)
    millis, micro = divmod(rest, 1000)
    for amount, unit in (
        (hours, "h"),
        (minutes, "m"),
        (seconds, "s"),
        (millis, "ms"),
        (micro, "us"),
    ):
        if amount:
            out.append(f"{amount}{unit}")
    return "".join(out)


def parse_byte_size(value: str | int) -> int:
    """Parse a byte size such as ``128MB`` into bytes (1 KB = 1024 B).

    An ``int`` is taken as a number of bytes.
    """
    if isinstance(value, bool):
        raise ValueError(f"invalid byte size {_show(value)} (expected e.g. 64MB, 1GB)")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"invalid byte size {value} (must not be negative)")
        return value
    if not isinstance(value, str):
        raise ValueError(f"invalid byte size {_show(value)} (expected e.g. 64MB, 1GB)")
    match = _BYTE_SIZE.match(value.strip())
    if not match:
        raise ValueError(f"invalid byte size {_show(value)} (expected e.g. 64MB, 1GB)")
    return int(match.group(1)) * BYTE_UNITS[match.group(2)]


def format_byte_size(value: int) -> str:
    """Render a byte count with the largest unit that divides it exactly (``128MB``)."""
    for unit in ("EB", "PB", "TB", "GB", "MB", "KB"):
        size = BYTE_UNITS[unit]
        if value and value % size == 0:
            return f"{value // size}{unit}"
    return f"{value}B"


def _show(value: object) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)
