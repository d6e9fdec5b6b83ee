"""Go formatting helpers reproduce ``fmt`` / ``encoding/json`` renderings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from phalanx.text.gofmt import (
    go_float,
    go_quote,
    go_sharp_v,
    go_time_json,
    go_time_string,
    json_number,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.0, "0"),
        (5.0, "5"),
        (2.5, "2.5"),
        (-3.25, "-3.25"),
        (100000.0, "100000"),
        (1e6, "1e+06"),
        (1234567.0, "1.234567e+06"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (1e21, "1e+21"),
        (0.1, "0.1"),
        (123.456, "123.456"),
        (float("inf"), "+Inf"),
    ],
)
def test_go_float(value: float, expected: str) -> None:
    assert go_float(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("notanemail", '"notanemail"'),
        ('a"b\\c', '"a\\"b\\\\c"'),
        ("tab\there\n", '"tab\\there\\n"'),
        ("\x00\x7f", '"\\x00\\x7f"'),
        ("ümlaut ✓", '"ümlaut ✓"'),
        ("\u200b", '"\\u200b"'),
    ],
)
def test_go_quote(value: str, expected: str) -> None:
    assert go_quote(value) == expected


def test_go_sharp_v() -> None:
    assert go_sharp_v("a") == '"a"'
    assert go_sharp_v(5) == '"5"'
    assert go_sharp_v(True) == "true"
    assert go_sharp_v(None) == "<nil>"


def test_json_number() -> None:
    assert json_number(5.0) == 5
    assert isinstance(json_number(5.0), int)
    assert json_number(2.5) == 2.5


def test_times() -> None:
    t = datetime(2021, 7, 9, 10, 36, 34, 43100, tzinfo=UTC)
    assert go_time_json(t) == "2021-07-09T10:36:34.0431Z"
    assert go_time_json(t.replace(microsecond=0)) == "2021-07-09T10:36:34Z"
    cest = timezone(timedelta(hours=2))
    assert go_time_json(t.astimezone(cest)) == "2021-07-09T12:36:34.0431+02:00"
    assert go_time_json(datetime(2021, 7, 9)) == "2021-07-09T00:00:00Z"
    assert go_time_string(t) == "2021-07-09 10:36:34.0431 +0000 UTC"
    assert go_time_string(t.astimezone(cest)) == "2021-07-09 12:36:34.0431 +0200 +0200"
