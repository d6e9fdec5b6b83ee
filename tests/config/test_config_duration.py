"""Go durations and byte sizes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from phalanx.config import format_byte_size, format_duration, parse_byte_size, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1h", timedelta(hours=1)),
        ("15m", timedelta(minutes=15)),
        ("30s", timedelta(seconds=30)),
        ("1m30s", timedelta(minutes=1, seconds=30)),
        ("500ms", timedelta(milliseconds=500)),
        ("1h2m3s4ms5us", timedelta(hours=1, minutes=2, seconds=3, milliseconds=4, microseconds=5)),
        ("1500ns", timedelta(microseconds=2)),
        ("0s", timedelta(0)),
        ("72h", timedelta(days=3)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "1", "1d", "1.5h", "-1h", "1 h", "h1"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(text)


@pytest.mark.parametrize("value", [60, 1.5, True, None])
def test_non_strings_are_rejected(value: object) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(value)


def test_timedelta_passes_through() -> None:
    assert parse_duration(timedelta(seconds=5)) == timedelta(seconds=5)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(hours=1), "1h"),
        (timedelta(minutes=90), "1h30m"),
        (timedelta(milliseconds=500), "500ms"),
        (timedelta(0), "0s"),
        (timedelta(days=1), "24h"),
        (timedelta(seconds=1, microseconds=7), "1s7us"),
    ],
)
def test_format_duration_round_trips(value: timedelta, text: str) -> None:
    assert format_duration(value) == text
    assert parse_duration(text) == value


def test_byte_sizes() -> None:
    assert parse_byte_size("128MB") == 128 * 1024 * 1024
    assert parse_byte_size("1GB") == 1024**3
    assert parse_byte_size("512B") == 512
    assert parse_byte_size("4KB") == 4096
    assert parse_byte_size(2048) == 2048
    assert format_byte_size(128 * 1024 * 1024) == "128MB"
    assert format_byte_size(1500) == "1500B"
    for bad in ("128", "128mb", "1.5GB", "MB", -1, True):
        with pytest.raises(ValueError, match="invalid byte size"):
            parse_byte_size(bad)
