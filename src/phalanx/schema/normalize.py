"""Identifier and address normalisation (``ory/kratos:x/normalize.go``).

* :func:`normalize_identifier` -- login identifiers (password, webauthn, code): trimmed,
  NFKC-folded and lower-cased, so ``" Foo@Example.COM "`` and ``foo@example.com``
  typed in full-width letters collide as Kratos's graceful PRECIS handling intends.
* :func:`normalize_email` -- e-mail addresses: trimmed and lower-cased when they contain ``@``.
* :func:`normalize_phone` -- phone numbers to E.164 (``+4917612345678``). Kratos uses
  libphonenumber; Phalanx applies a simpler rule: visual separators (spaces, ``-``, ``.``,
  ``/``, parentheses) are dropped and the rest must be ``+`` followed by 7 to 15 digits, the
  first not ``0``. Anything else is not a phone number.
* :func:`graceful_normalization` -- an identifier of unknown kind (code login): phone if it
  parses as one, else e-mail if it has an ``@``, else trimmed.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "InvalidPhoneNumberError",
    "graceful_normalization",
    "is_phone_number",
    "normalize_email",
    "normalize_identifier",
    "normalize_phone",
    "parse_phone_number",
]

_SEPARATORS = re.compile(r"[\s\-./()]")
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")


class InvalidPhoneNumberError(ValueError):
    """The value is not a phone number in international (``+``) form."""

    def __init__(self, value: str) -> None:
        super().__init__("the provided number is not a valid phone number")
        self.value = value


def parse_phone_number(value: str) -> str | None:
    """The E.164 form of ``value``, or ``None`` when it is not a phone number."""
    compact = _SEPARATORS.sub("", value.strip())
    return compact if _E164.fullmatch(compact) else None


def is_phone_number(value: str) -> bool:
    """Whether ``value`` is a phone number in international form (the ``tel`` format)."""
    return parse_phone_number(value) is not None


def normalize_phone(value: str) -> str:
    """E.164 form of ``value``; raises :class:`InvalidPhoneNumberError` if it is none."""
    parsed = parse_phone_number(value)
    if parsed is None:
        raise InvalidPhoneNumberError(value)
    return parsed


def normalize_email(value: str) -> str:
    """``NormalizeEmailIdentifier``: trimmed and lower-cased if it contains ``@``."""
    if "@" in value:
        return value.strip().lower()
    return value


def normalize_identifier(value: str) -> str:
    """A credential identifier as stored and looked up: trim, NFKC, lower-case."""
    return unicodedata.normalize("NFKC", value.strip()).strip().lower()


def graceful_normalization(value: str) -> str:
    """``GracefulNormalization``: phone -> E.164, e-mail -> lower-case, else trimmed."""
    parsed = parse_phone_number(value)
    if parsed is not None:
        return parsed
    if "@" in value:
        return normalize_email(value)
    return value.strip()
