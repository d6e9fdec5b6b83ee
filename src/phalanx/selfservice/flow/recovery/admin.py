"""``POST /admin/recovery/{code,link}`` bodies, validated as Kratos does.

Kratos ``strategy_recovery_admin.go`` (code) and ``link/strategy_recovery.go`` (link):
``identity_id`` (required), ``expires_in`` as a Go duration (default: the method's
lifespan, must be positive), ``flow_type`` (code only: ``browser`` default, or ``api``).
Durations are Go's ``time.ParseDuration`` syntax and errors quote them as Go prints them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from phalanx.errors import BadRequestError
from phalanx.identity.decoding import json_type_name
from phalanx.selfservice.flow.base import FlowType

__all__ = ["AdminRecoveryRequest", "go_duration_string", "parse_go_duration"]

_UNITS_NS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "μs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_OVERFLOW = 1 << 63


def _leading_int(text: str, position: int) -> tuple[int, int]:
    """Go's ``leadingInt``: the digits at ``position`` (error past 1<<63)."""
    end = position
    while end < len(text) and text[end].isascii() and text[end].isdigit():
        end += 1
    if end - position > 19 and int(text[position:end]) > _OVERFLOW:
        raise ValueError("bad [0-9]*")
    value = int(text[position:end] or "0")
    if value > _OVERFLOW:
        raise ValueError("bad [0-9]*")
    return value, end


def _leading_fraction(text: str, position: int) -> tuple[int, int, int]:
    """Go's ``leadingFraction``: digits after the dot, dropping those past int64 precision."""
    value, scale, end, overflow = 0, 1, position, False
    while end < len(text) and text[end].isascii() and text[end].isdigit():
        if not overflow:
            if value > (_OVERFLOW - 1) // 10:
                overflow = True
            else:
                value = value * 10 + int(text[end])
                scale *= 10
        end += 1
    return value, scale, end


def parse_go_duration(value: str) -> int:
    """Go ``time.ParseDuration``: nanoseconds of ``"1h"``, ``"-1m30s"``, ``"1.5h"``, ``"0"``;
    ``ValueError`` outside Go's ``time.Duration`` range (about 292 years), as Go."""
    invalid = ValueError(f"time: invalid duration {value!r}")
    text, negative = value, False
    if text[:1] in ("-", "+"):
        negative, text = text[0] == "-", text[1:]
    if text == "0":
        return 0
    if not text:
        raise invalid
    total, position = 0, 0
    while position < len(text):
        char = text[position]
        if not (char == "." or (char.isascii() and char.isdigit())):
            raise invalid
        start = position
        try:
            whole, position = _leading_int(text, position)
        except ValueError:
            raise invalid from None
        has_whole = position != start
        fraction, scale, has_fraction = 0, 1, False
        if position < len(text) and text[position] == ".":
            fraction, scale, end = _leading_fraction(text, position + 1)
            has_fraction = end != position + 1
            position = end
        if not has_whole and not has_fraction:
            raise invalid
        unit_end = position
        while unit_end < len(text) and not (
            text[unit_end] == "." or (text[unit_end].isascii() and text[unit_end].isdigit())
        ):
            unit_end += 1
        unit = _UNITS_NS.get(text[position:unit_end])
        if unit is None:
            raise invalid
        position = unit_end
        if whole > _OVERFLOW // unit:
            raise invalid
        nanos = whole * unit
        if fraction:
            nanos += int(float(fraction) * (float(unit) / scale))
            if nanos > _OVERFLOW:
                raise invalid
        total += nanos
        if total > _OVERFLOW:
            raise invalid
    if negative:
        return -total
    if total > _OVERFLOW - 1:
        raise invalid
    return total


def _fraction(value: int, digits: int) -> str:
    whole, rest = divmod(value, 10**digits)
    if not rest:
        return str(whole)
    return f"{whole}.{str(rest).rjust(digits, '0').rstrip('0')}"


def go_duration_string(nanos: int) -> str:
    """Go ``time.Duration.String``: ``-1h0m0s``, ``1m30s``, ``500ms``, ``0s``."""
    if nanos == 0:
        return "0s"
    sign = "-" if nanos < 0 else ""
    n = abs(nanos)
    if n < 1_000:
        return f"{sign}{n}ns"
    if n < 1_000_000:
        return f"{sign}{_fraction(n, 3)}µs"
    if n < 1_000_000_000:
        return f"{sign}{_fraction(n, 6)}ms"
    hours, rest = divmod(n, 3_600_000_000_000)
    minutes, rest = divmod(rest, 60_000_000_000)
    seconds = _fraction(rest, 9) + "s"
    if hours:
        return f"{sign}{hours}h{minutes}m{seconds}"
    if minutes:
        return f"{sign}{minutes}m{seconds}"
    return sign + seconds


@dataclass(slots=True)
class AdminRecoveryRequest:
    identity_id: uuid.UUID | None
    lifespan: timedelta
    flow_type: FlowType = FlowType.BROWSER

    @classmethod
    def parse(cls, body: Any, *, method: str, default_lifespan: timedelta) -> AdminRecoveryRequest:
        if not isinstance(body, dict):
            raise BadRequestError("Unable to decode JSON payload: expected a JSON object.")
        struct = f"createRecovery{method.capitalize()}ForIdentityBody"
        go_types = {"identity_id": "uuid.UUID", "expires_in": "string"}
        if method == "code":
            go_types["flow_type"] = "flow.Type"
        for name, go_type in go_types.items():
            value = body.get(name)
            if value is not None and not isinstance(value, str):
                raise BadRequestError(
                    f"Unable to decode JSON payload: json: cannot unmarshal "
                    f"{json_type_name(value)} into Go struct field {struct}.{name} of type "
                    f"{go_type}"
                )
        raw_id = body.get("identity_id")
        identity_id = None
        if raw_id is not None:
            try:
                identity_id = uuid.UUID(str(raw_id))
            except ValueError:
                raise BadRequestError(
                    f"Unable to decode JSON payload: invalid identity_id {raw_id!r}."
                ) from None
        lifespan = default_lifespan
        raw = body.get("expires_in")
        if isinstance(raw, str) and raw:
            try:
                nanos = parse_go_duration(raw)
            except ValueError:
                raise BadRequestError(
                    'Unable to parse "expires_in" as a duration string (e.g. "1h", "1m30s", '
                    f'"500ms"): {raw}'
                ) from None
            lifespan = timedelta(microseconds=nanos / 1000)
        else:
            nanos = int(lifespan.total_seconds() * 1_000_000_000)
        if nanos <= 0:
            if method == "code":
                shown = go_duration_string(nanos)
                raise BadRequestError(
                    f'Value from "expires_in" must result to a future time: {shown}'
                )
            raise BadRequestError(
                f'Value from "expires_in" must be result to a future time: {raw or ""}'
            )
        flow_type = FlowType.BROWSER
        if method == "code" and body.get("flow_type") is not None:
            value = body.get("flow_type")
            if value not in (FlowType.API.value, FlowType.BROWSER.value):
                raise BadRequestError(f'Value from "flow_type" is not valid: "{value}"')
            flow_type = FlowType(value)
        return cls(identity_id=identity_id, lifespan=lifespan, flow_type=flow_type)
