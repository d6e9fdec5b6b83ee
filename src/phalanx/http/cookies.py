"""``Set-Cookie`` headers written the way Go's ``net/http`` writes them (Kratos's cookies).

Starlette's ``Response.set_cookie`` goes through :class:`http.cookies.SimpleCookie`, which
wraps any value holding a character outside its "legal" set in double quotes: the CSRF
token is standard base64 (``+``, ``/``, ``=``), so it went out as ``"…"``. Browsers keep
the quotes as part of the value, and clients that compare the cookie with what Kratos
sends see a different token. Go quotes a cookie value only when it contains a space or a
comma (``sanitizeCookieValue``); this module does the same.
"""

from __future__ import annotations

from typing import Literal

from starlette.responses import Response

__all__ = ["SameSite", "set_cookie"]

SameSite = Literal["lax", "strict", "none"]

_SAME_SITE = {"lax": "Lax", "strict": "Strict", "none": "None"}


def _valid_value_byte(char: str) -> bool:
    """Go's ``validCookieValueByte``: printable ASCII except ``"``, ``;`` and ``\\``."""
    return 0x20 <= ord(char) < 0x7F and char not in '";\\'


def _value(value: str) -> str:
    cleaned = "".join(c for c in value if _valid_value_byte(c))
    if " " in cleaned or "," in cleaned:
        return f'"{cleaned}"'
    return cleaned


def set_cookie(
    response: Response,
    name: str,
    value: str,
    *,
    max_age: int | None = None,
    path: str | None = "/",
    domain: str | None = None,
    secure: bool = False,
    httponly: bool = False,
    samesite: SameSite | None = "lax",
) -> None:
    """Append one ``Set-Cookie`` header: ``name=value; Path=…; Domain=…; Max-Age=…;
    HttpOnly; Secure; SameSite=…`` (attributes left out when not given)."""
    parts = [f"{name}={_value(value)}"]
    if path:
        parts.append(f"Path={path}")
    if domain:
        parts.append(f"Domain={domain.lstrip('.')}")
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if httponly:
        parts.append("HttpOnly")
    if secure:
        parts.append("Secure")
    if samesite:
        parts.append(f"SameSite={_SAME_SITE[samesite]}")
    response.raw_headers.append((b"set-cookie", "; ".join(parts).encode("latin-1")))
