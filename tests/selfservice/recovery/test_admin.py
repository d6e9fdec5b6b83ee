"""``POST /admin/recovery/*`` body validation: Go durations, defaults and Kratos's messages."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from phalanx.errors import BadRequestError
from phalanx.selfservice.flow.base import FlowType
from phalanx.selfservice.flow.recovery.admin import (
    AdminRecoveryRequest,
    go_duration_string,
    parse_go_duration,
)

S = 1_000_000_000


@pytest.mark.parametrize(
    ("text", "nanos"),
    [
        ("1h", 3600 * S),
        ("1m30s", 90 * S),
        ("500ms", S // 2),
        ("1.5h", 5400 * S),
        ("-1h", -3600 * S),
        ("+2s", 2 * S),
        ("0", 0),
        ("3us", 3_000),
        ("1h0m0s", 3600 * S),
        ("2562047h", 2562047 * 3600 * S),  # the longest whole-hour Go duration
        ("9223372036854775807ns", (1 << 63) - 1),
        ("-9223372036854775808ns", -(1 << 63)),
        ("1.0000000000000000000000001s", S),  # digits past int64 precision are dropped
    ],
)
def test_parse_go_duration(text: str, nanos: int) -> None:
    assert parse_go_duration(text) == nanos


@pytest.mark.parametrize(
    "text",
    [
        "",
        "h",
        "1",
        "1d",
        "one hour",
        "-",
        "1h 2m",
        ".s",
        # outside Go's time.Duration range (about 292 years): errors, never overflows
        "2562048h",
        "99999999999h",
        "9223372036854775808ns",
        "1" + "0" * 400 + "s",
        "1" + "0" * 5000 + "h",
    ],
)
def test_parse_go_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_go_duration(text)


@pytest.mark.parametrize(
    ("nanos", "text"),
    [
        (-3600 * S, "-1h0m0s"),
        (3600 * S, "1h0m0s"),
        (90 * S, "1m30s"),
        (S // 2, "500ms"),
        (1_500, "1.5µs"),
        (12, "12ns"),
        (0, "0s"),
        (S + S // 4, "1.25s"),
    ],
)
def test_go_duration_string(nanos: int, text: str) -> None:
    assert go_duration_string(nanos) == text


def test_defaults_and_overrides() -> None:
    identity = uuid.uuid4()
    parsed = AdminRecoveryRequest.parse(
        {"identity_id": str(identity)}, method="code", default_lifespan=timedelta(hours=1)
    )
    assert (parsed.identity_id, parsed.lifespan, parsed.flow_type) == (
        identity,
        timedelta(hours=1),
        FlowType.BROWSER,
    )
    parsed = AdminRecoveryRequest.parse(
        {"identity_id": str(identity), "expires_in": "15m", "flow_type": "api"},
        method="code",
        default_lifespan=timedelta(hours=1),
    )
    assert parsed.lifespan == timedelta(minutes=15) and parsed.flow_type == FlowType.API


@pytest.mark.parametrize(
    ("method", "body", "reason"),
    [
        (
            "code",
            {"expires_in": "-5m"},
            'Value from "expires_in" must result to a future time: -5m0s',
        ),
        (
            "link",
            {"expires_in": "-5m"},
            'Value from "expires_in" must be result to a future time: -5m',
        ),
        ("code", {"flow_type": "native"}, 'Value from "flow_type" is not valid: "native"'),
        (
            "link",
            {"expires_in": "soon"},
            'Unable to parse "expires_in" as a duration string (e.g. "1h", "1m30s", "500ms"): soon',
        ),
    ],
)
def test_errors(method: str, body: dict[str, str], reason: str) -> None:
    with pytest.raises(BadRequestError) as caught:
        AdminRecoveryRequest.parse(body, method=method, default_lifespan=timedelta(hours=1))
    assert caught.value.reason == reason
