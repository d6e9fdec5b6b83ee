"""Anti-CSRF tokens exactly as Kratos (ory/nosurf) makes them.

The cookie holds the real token (32 random bytes, standard base64). Forms carry a
masked copy: base64(key ‖ real XOR key) with a fresh 32-byte key each time, so the
value differs per page (BREACH) while still verifying against the cookie.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

__all__ = [
    "cookie_name",
    "mask_token",
    "new_real_token",
    "parse_real_token",
    "tokens_match",
    "unmask_token",
]

TOKEN_BYTES = 32


def cookie_name(public_base_url: str) -> str:
    """``csrf_token_`` + sha256 of the configured public base URL (lowercase hex)."""
    return "csrf_token_" + hashlib.sha256(public_base_url.encode()).hexdigest()


def new_real_token() -> str:
    return base64.b64encode(secrets.token_bytes(TOKEN_BYTES)).decode()


def _decode(value: str) -> bytes | None:
    try:
        return base64.b64decode(value.encode(), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return None


def parse_real_token(value: str | None) -> str | None:
    """The cookie value if it is a well-formed real token, else None."""
    if not value:
        return None
    raw = _decode(value)
    return value if raw is not None and len(raw) == TOKEN_BYTES else None


def mask_token(real: str) -> str:
    raw = _decode(real)
    if raw is None or len(raw) != TOKEN_BYTES:
        raise ValueError("not a real CSRF token")
    key = secrets.token_bytes(TOKEN_BYTES)
    return base64.b64encode(key + bytes(a ^ b for a, b in zip(raw, key, strict=True))).decode()


def unmask_token(value: str) -> bytes | None:
    """The 32 real bytes of a masked (64-byte) or plain (32-byte) token."""
    raw = _decode(value)
    if raw is None:
        return None
    if len(raw) == 2 * TOKEN_BYTES:
        key, masked = raw[:TOKEN_BYTES], raw[TOKEN_BYTES:]
        return bytes(a ^ b for a, b in zip(masked, key, strict=True))
    if len(raw) == TOKEN_BYTES:
        return raw
    return None


def tokens_match(real: str | None, sent: str | None) -> bool:
    """Constant-time check that ``sent`` (masked or plain) carries the cookie's ``real`` token."""
    if not real or not sent:
        return False
    a = unmask_token(real)
    b = unmask_token(sent)
    if a is None or b is None:
        return False
    return hmac.compare_digest(a, b)
