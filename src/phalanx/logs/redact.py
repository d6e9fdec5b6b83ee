"""Sensitive values in logs: ``log.leak_sensitive_values`` and ``log.redaction_text``.

Kratos (``logrusx``) replaces sensitive fields with a redaction text unless
``log.leak_sensitive_values`` is true. Phalanx does the same in two ways:

* :func:`sensitive` wraps a value that code logs on purpose (a recipient address, traits):
  it renders as the redaction text, or as the value when leaking is allowed;
* :func:`scrub` is the safety net the formatters apply to every message and exception
  text: e-mail addresses, phone numbers, Ory tokens (``ory_st_…``) and the values of URL
  query parameters (codes, tokens, flow ids) are replaced, so an address inside a
  library's exception (an SMTP refusal, a validation error) never reaches the log.

The policy is process-wide (:func:`configure`, called once by ``logs.setup``).
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "DEFAULT_REDACTION_TEXT",
    "Sensitive",
    "configure",
    "leak_sensitive",
    "redact",
    "redaction_text",
    "scrub",
    "sensitive",
]

#: Kratos's default (``logrusx.New``), word for word.
DEFAULT_REDACTION_TEXT = (
    'Value is sensitive and has been redacted. To see the value set config key "log.leak_'
    'sensitive_values = true" or environment variable "LOG_LEAK_SENSITIVE_VALUES=true".'
)


class _Policy:
    __slots__ = ("leak", "text")

    def __init__(self) -> None:
        self.leak = False
        self.text = DEFAULT_REDACTION_TEXT


_POLICY = _Policy()


def configure(*, leak: bool | None, text: str | None) -> None:
    """Set the process-wide policy (``log.leak_sensitive_values``, ``log.redaction_text``)."""
    _POLICY.leak = bool(leak)
    _POLICY.text = text or DEFAULT_REDACTION_TEXT


def leak_sensitive() -> bool:
    """True when ``log.leak_sensitive_values`` is on."""
    return _POLICY.leak


def redaction_text() -> str:
    """What replaces a sensitive value."""
    return _POLICY.text


def redact(value: Any) -> Any:
    """``value`` when leaking, else the redaction text (``None``/empty stay ``None``, as
    logrusx's ``maybeRedact``)."""
    if value is None or value == "":
        return None
    return value if _POLICY.leak else _POLICY.text


class Sensitive:
    """A value rendered only when ``log.leak_sensitive_values`` is true."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __str__(self) -> str:
        return str(self.value) if _POLICY.leak else _POLICY.text

    __repr__ = __str__

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def for_json(self) -> Any:
        """The JSON form of the value (the value itself when leaking)."""
        return self.value if _POLICY.leak else _POLICY.text


def sensitive(value: Any) -> Sensitive:
    """Mark ``value`` as sensitive for logging: ``log.info("to %s", sensitive(addr))``."""
    return Sensitive(value)


_PATTERNS = re.compile(
    r"""
      (?P<email>[^\s@<>"'(),;:\[\]]+@[A-Za-z0-9\[\]][^\s@<>"'(),;]*\.[A-Za-z0-9\]-]+)
    | (?P<token>\bory_[a-z]{2}_[A-Za-z0-9]+)
    | (?P<query>(?<=[?&])[A-Za-z0-9_.\-\[\]]+=)(?P<qvalue>[^&#\s"'<>]+)
    | (?P<phone>(?<![\w.])\+[1-9][0-9 ()\-]{6,18}[0-9])
    """,
    re.VERBOSE,
)


def _replace(match: re.Match[str]) -> str:
    if match.group("query"):
        return match.group("query") + _POLICY.text
    return _POLICY.text


def scrub(text: str) -> str:
    """``text`` with addresses, phone numbers, tokens and query values redacted (unless
    leaking is allowed)."""
    if _POLICY.leak or not text:
        return text
    return _PATTERNS.sub(_replace, text)
