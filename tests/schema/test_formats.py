"""Format checks behave as Kratos's validator (Go net/mail, RFC 3339, ...)."""

from __future__ import annotations

from typing import Any

import pytest

from phalanx.schema import FORMATS, format_checker, is_email


@pytest.mark.parametrize(
    "value",
    [
        "a@b.c",
        "a@localhost",
        "first.last+tag@example.com",
        '"john doe"@example.com',
        " a@b.c",
        "ü@b.c",
        "a@b.-c",
    ],
)
def test_valid_emails(value: str) -> None:
    assert is_email(value)


@pytest.mark.parametrize(
    "value",
    [
        "notanemail",
        "a@",
        "@b",
        "@b.c",
        "a..b@c.d",
        ".a@b.c",
        "a.@b.c",
        "a@b..c",
        "a@b.c.",
        "a b@c.d",
        "a@b@c.d",
        "a@-b.c",
        "a@b_c.d",
        '""@b.c',
        "John <a@b.c>",
        "a@b.c (comment)",
        "x" * 65 + "@b.c",
        "a@" + "b" * 64 + ".c",
        5,
    ],
)
def test_invalid_emails(value: Any) -> None:
    assert not is_email(value)


@pytest.mark.parametrize(
    ("fmt", "good", "bad"),
    [
        (
            "tel",
            ["+4917612345678", "+1 (415) 555-2671", "+44 20 7946 0958"],
            ["0176", "+0123456789", "+1", "phone", "+12345678901234567"],
        ),
        (
            "date",
            ["2021-07-09", "2024-02-29"],
            ["2021-02-30", "21-07-09", "2021-7-9", "2021-07-09T00:00:00Z"],
        ),
        (
            "date-time",
            ["2021-07-09T09:36:34Z", "2021-07-09T09:36:34.043100Z", "2021-07-09T09:36:34+02:00"],
            [
                "2021-07-09 09:36:34Z",
                "2021-07-09t09:36:34Z",
                "2021-07-09T24:00:00Z",
                "2021-07-09T09:36:34",
            ],
        ),
        ("time", ["09:36:34Z", "09:36:34.5+01:00"], ["9:36:34Z", "09:36:60Z", "09:36:34"]),
        (
            "uri",
            ["https://example.com/a?b#c", "mailto:a@b.c", "urn:isbn:0451450523"],
            ["example.com", "/relative", "http://exa mple.com", "http://a/%zz", ":nope"],
        ),
        ("uri-reference", ["/relative", "https://x", "a/b"], ["1a:b", "%zz"]),
        (
            "hostname",
            ["example.com", "localhost", "a-b.c."],
            ["-a.com", "a..b", "a_b.com", "a-.com"],
        ),
        ("ipv4", ["127.0.0.1", "255.255.255.255"], ["256.0.0.1", "1.2.3", "a.b.c.d"]),
        ("ipv6", ["::1", "fe80::1"], ["127.0.0.1", "fe80::1%eth0", "::g"]),
        ("regex", ["^[a-z]+$"], ["(", "(?=a)"]),
        ("json-pointer", ["", "/a/b~0c~1"], ["a", "/~2"]),
        ("relative-json-pointer", ["0", "1/a", "2#"], ["", "-1", "01"]),
    ],
)
def test_formats(fmt: str, good: list[str], bad: list[str]) -> None:
    check = FORMATS[fmt]
    for value in good:
        assert check(value), (fmt, value)
    for value in bad:
        assert not check(value), (fmt, value)


def test_no_validate_and_unknown_formats() -> None:
    checker = format_checker()
    assert checker.conforms(12, "no-validate")
    assert checker.conforms("anything", "password")
    assert not checker.conforms(12, "email")
