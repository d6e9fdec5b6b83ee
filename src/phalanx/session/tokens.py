"""Opaque session and logout tokens (``ory_st_``/``ory_lo_`` + 32 alphanumerics).

32 characters from a 62-letter alphabet carry ~190 bits. The store keeps only a
SHA-256 digest, so a database leak does not hand out live sessions.
"""

from __future__ import annotations

import hashlib
import secrets
import string

__all__ = ["LOGOUT_PREFIX", "SESSION_PREFIX", "digest", "new_logout_token", "new_session_token"]

SESSION_PREFIX = "ory_st_"
LOGOUT_PREFIX = "ory_lo_"
_ALPHABET = string.ascii_letters + string.digits


def _random(length: int = 32) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def new_session_token() -> str:
    return SESSION_PREFIX + _random()


def new_logout_token() -> str:
    return LOGOUT_PREFIX + _random()


def digest(token: str) -> str:
    """What the store keeps and looks up by."""
    return hashlib.sha256(token.encode()).hexdigest()
