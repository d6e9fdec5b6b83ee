"""Identifier and address normalisation."""

from __future__ import annotations

import pytest

from phalanx.schema import (
    InvalidPhoneNumberError,
    graceful_normalization,
    normalize_email,
    normalize_identifier,
    normalize_phone,
)


def test_identifiers_are_trimmed_folded_and_lowercased() -> None:
    assert normalize_identifier(" Foo@Example.COM ") == "foo@example.com"
    assert normalize_identifier("\uff26\uff4f\uff4f") == "foo"  # full-width
    assert normalize_identifier("ǅ") == "dž"


def test_email() -> None:
    assert normalize_email(" A@B.C ") == "a@b.c"
    assert normalize_email(" NoAt ") == " NoAt "


@pytest.mark.parametrize(
    ("value", "expected"),
    [("+49 176 1234-5678", "+4917612345678"), ("+1 (415) 555.2671", "+14155552671")],
)
def test_phone(value: str, expected: str) -> None:
    assert normalize_phone(value) == expected


@pytest.mark.parametrize("value", ["0176 12345678", "+0 123 456 789", "+1", "call me"])
def test_invalid_phone(value: str) -> None:
    with pytest.raises(InvalidPhoneNumberError, match="not a valid phone number"):
        normalize_phone(value)


def test_graceful() -> None:
    assert graceful_normalization("+49 176 12345678") == "+4917612345678"
    assert graceful_normalization(" A@B.c") == "a@b.c"
    assert graceful_normalization(" User ") == "User"
