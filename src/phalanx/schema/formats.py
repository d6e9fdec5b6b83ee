"""JSON-schema ``format`` checks as Kratos's validator (``ory/jsonschema``) performs them.

Differences from python-jsonschema's own checkers that matter on the wire:

* ``email`` is an RFC 5322 ``addr-spec`` (as Go's ``net/mail`` parses it) of at most 254
  bytes, with a local part of at most 64 bytes and a host-name domain: ``a@b.c`` passes,
  ``notanemail``, ``a@`` and ``@b`` do not.
* ``tel`` is a phone number in international form (see :mod:`phalanx.schema.normalize`).
* ``date``, ``date-time`` and ``time`` follow Go's RFC 3339 parser (upper-case ``T``/``Z``,
  real calendar dates, optional fraction).
* ``no-validate`` accepts anything; unknown formats are ignored.
* like ``ory/jsonschema``, a known format rejects values that are not strings.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from datetime import date
from typing import Any

from jsonschema import FormatChecker

from phalanx.schema.normalize import is_phone_number

__all__ = ["FORMATS", "format_checker", "is_email", "is_hostname", "is_uri"]

_SPECIALS = frozenset('()<>[]:;@\\,"')


def _is_vchar(ch: str) -> bool:
    return "!" <= ch <= "~" or ord(ch) >= 0x80


def _is_dot_atom(value: str) -> bool:
    if not value or value.startswith(".") or value.endswith(".") or ".." in value:
        return False
    return all(ch == "." or (_is_vchar(ch) and ch not in _SPECIALS) for ch in value)


def _is_quoted_string(value: str) -> bool:
    if len(value) < 2 or not value.startswith('"') or not value.endswith('"'):
        return False
    inner, escaped, content = value[1:-1], False, 0
    for ch in inner:
        if escaped:
            if not (_is_vchar(ch) or ch in " \t"):
                return False
            escaped, content = False, content + 1
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            return False
        elif _is_vchar(ch) or ch in " \t":
            content += 1
        else:
            return False
    return not escaped and content > 0


def is_hostname(value: Any) -> bool:
    """RFC 1034/1123 host name, as ``ory/jsonschema`` checks it (trailing dot allowed)."""
    if not isinstance(value, str):
        return False
    value = value.removesuffix(".")
    if not value or len(value) > 253 or value[0] == "-":
        return False
    for label in value.split("."):
        if not 1 <= len(label) <= 63 or label.endswith("-"):
            return False
        if not all(ch.isascii() and (ch.isalnum() or ch == "-") for ch in label):
            return False
    return True


def is_email(value: Any) -> bool:
    """An RFC 5322 ``addr-spec`` with a host-name domain (``ory/jsonschema`` ``isEmail``)."""
    if not isinstance(value, str) or len(value.encode()) > 254:
        return False
    at = value.rfind("@")
    if at == -1:
        return False
    local, domain = value[:at], value[at + 1 :]
    if len(local.encode()) > 64 or not is_hostname(domain) or domain.endswith("."):
        return False
    local = local.lstrip(" \t")
    return _is_quoted_string(local) or _is_dot_atom(local)


def _is_phone(value: Any) -> bool:
    return isinstance(value, str) and is_phone_number(value)


_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_TIME = re.compile(r"(\d{2}):(\d{2}):(\d{2})(?:[.,]\d+)?(Z|[+-](\d{2}):(\d{2}))")


def _valid_date(text: str) -> bool:
    match = _DATE.fullmatch(text)
    if not match:
        return False
    try:
        date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return False
    return True


def _valid_time(text: str) -> bool:
    match = _TIME.fullmatch(text)
    if not match:
        return False
    hour, minute, second = int(match[1]), int(match[2]), int(match[3])
    if hour > 23 or minute > 59 or second > 59:
        return False
    return match[4] == "Z" or (int(match[5]) <= 23 and int(match[6]) <= 59)


def _is_date(value: Any) -> bool:
    return isinstance(value, str) and _valid_date(value)


def _is_time(value: Any) -> bool:
    return isinstance(value, str) and _valid_time(value)


def _is_date_time(value: Any) -> bool:
    if not isinstance(value, str) or len(value) < 20 or value[10] != "T":
        return False
    return _valid_date(value[:10]) and _valid_time(value[11:])


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_HOST_CHARS = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:\[\]<>\"%]*")


def _valid_authority(authority: str) -> bool:
    host = authority.rsplit("@", 1)[-1]
    if _BAD_ESCAPE.search(authority) or any(ord(ch) < 0x80 and ch == " " for ch in host):
        return False
    if host.startswith("["):
        end = host.find("]")
        if end == -1:
            return False
        port = host[end + 1 :]
        return not port or re.fullmatch(r":\d*", port) is not None
    if ":" in host:
        host, port = host.rsplit(":", 1)
        if not re.fullmatch(r"\d*", port):
            return False
    ascii_host = "".join(ch for ch in host if ord(ch) < 0x80)
    return _HOST_CHARS.fullmatch(ascii_host) is not None


def _parse_uri(value: str) -> tuple[bool, bool]:
    """(parses, absolute) following Go's ``url.Parse``."""
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return False, False
    rest, _, fragment = value.partition("#")
    if _BAD_ESCAPE.search(fragment):
        return False, False
    rest = rest.partition("?")[0]
    if rest.startswith(":"):
        return False, False
    scheme = _SCHEME.match(rest)
    absolute = scheme is not None and rest[scheme.end() : scheme.end() + 1] == ":"
    if scheme is not None and absolute:
        rest = rest[scheme.end() + 1 :]
        if not rest.startswith("/"):
            return True, True  # opaque, e.g. mailto:a@b.c
    elif ":" in rest.split("/", 1)[0]:
        return False, False  # first path segment in URL cannot contain colon
    if rest.startswith("//"):
        authority, slash, path = rest[2:].partition("/")
        if not _valid_authority(authority):
            return False, False
        rest = slash + path
    return _BAD_ESCAPE.search(rest) is None, absolute


def is_uri(value: Any) -> bool:
    """An absolute URI as Go's ``url.Parse`` + ``IsAbs`` accept it."""
    if not isinstance(value, str):
        return False
    parses, absolute = _parse_uri(value)
    return parses and absolute


def _is_uri_reference(value: Any) -> bool:
    return isinstance(value, str) and _parse_uri(value)[0]


def _is_uri_template(value: Any) -> bool:
    if not _is_uri_reference(value):
        return False
    depth = 0
    for ch in str(value):
        if ch == "{":
            depth += 1
            if depth != 1:
                return False
        elif ch == "}":
            depth -= 1
            if depth != 0:
                return False
    return depth == 0


def _is_ipv4(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    groups = value.split(".")
    return len(groups) == 4 and all(
        re.fullmatch(r"[+-]?\d+", g) is not None and 0 <= int(g) <= 255 for g in groups
    )


def _is_ipv6(value: Any) -> bool:
    if not isinstance(value, str) or ":" not in value or "%" in value:
        return False
    try:
        ipaddress.IPv6Address(value)
    except ValueError:
        return False
    return True


_RE2_UNSUPPORTED = re.compile(r"\(\?<?[=!]|\\[1-9]")


def _is_regex(value: Any) -> bool:
    if not isinstance(value, str) or _RE2_UNSUPPORTED.search(value):
        return False
    try:
        re.compile(value)
    except re.error:
        return False
    return True


def _is_json_pointer(value: Any) -> bool:
    if not isinstance(value, str) or (value and not value.startswith("/")):
        return False
    return re.search(r"~(?![01])", value) is None


def _is_relative_json_pointer(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    match = re.match(r"0|[1-9][0-9]*", value)
    if not match:
        return False
    rest = value[match.end() :]
    return rest == "#" or _is_json_pointer(rest)


def _anything(value: Any) -> bool:
    return True


FORMATS: dict[str, Callable[[Any], bool]] = {
    "date-time": _is_date_time,
    "date": _is_date,
    "time": _is_time,
    "hostname": is_hostname,
    "email": is_email,
    "tel": _is_phone,
    "ip-address": _is_ipv4,
    "ipv4": _is_ipv4,
    "ipv6": _is_ipv6,
    "uri": is_uri,
    "iri": is_uri,
    "uri-reference": _is_uri_reference,
    "uriref": _is_uri_reference,
    "iri-reference": _is_uri_reference,
    "uri-template": _is_uri_template,
    "regex": _is_regex,
    "json-pointer": _is_json_pointer,
    "relative-json-pointer": _is_relative_json_pointer,
    "no-validate": _anything,
}
"""Every format Kratos checks, by name; formats not listed here are not checked."""


def format_checker() -> FormatChecker:
    """A :class:`jsonschema.FormatChecker` with exactly Kratos's formats."""
    checker = FormatChecker(formats=())
    for name, check in FORMATS.items():
        checker.checks(name)(check)
    return checker
