"""The ``ory_kratos_session`` cookie value: the session token, signed with ``secrets.cookie``.

Kratos encodes a gorilla/securecookie map; Phalanx only has to round-trip its own
cookies, so the value is ``base64url(token|expires_unix).base64url(hmac)``. A tampered
or foreign value simply yields no session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence

__all__ = ["decode_session_cookie", "encode_session_cookie", "read_session_cookie"]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(data: str) -> bytes:
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


def _sign(key: str, payload: bytes) -> bytes:
    return hmac.new(key.encode(), b"ory_kratos_session|" + payload, hashlib.sha256).digest()


def encode_session_cookie(token: str, expires_unix: float, key: str) -> str:
    """Sign ``token`` and the session expiry it is issued for (microsecond precision, as
    Kratos keeps ``expires_at`` in RFC 3339 with nanoseconds)."""
    payload = f"{token}|{expires_unix:.6f}".encode()
    return f"{_b64(payload)}.{_b64(_sign(key, payload))}"


def read_session_cookie(value: str, keys: Sequence[str]) -> tuple[str, float | None] | None:
    """``(token, expires_unix)`` of a cookie signed by any of ``keys`` (rotation), else None.

    ``expires_unix`` is the session expiry the cookie was issued for; whoami re-issues the
    cookie when the session was extended past it (Kratos ``RefreshCookie``).
    """
    try:
        payload_b64, sig_b64 = value.split(".", 1)
        payload, sig = _unb64(payload_b64), _unb64(sig_b64)
    except (ValueError, UnicodeDecodeError):
        return None
    for key in keys:
        if hmac.compare_digest(_sign(key, payload), sig):
            token, _, expires = payload.decode(errors="replace").partition("|")
            if not token:
                return None
            try:
                return token, float(expires)
            except ValueError:
                return token, None
    return None


def decode_session_cookie(value: str, keys: Sequence[str]) -> str | None:
    """The token inside a cookie signed by any of ``keys`` (rotation), else None."""
    found = read_session_cookie(value, keys)
    return found[0] if found else None
