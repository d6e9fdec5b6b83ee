"""Keyed digests of short secrets (one-time codes, link tokens, backup codes).

Such secrets have too little entropy for a plain hash: a leaked table could be brute-forced
offline. Kratos stores recovery/verification codes as ``hex(HMAC-SHA512/256(value,
secret))``; Phalanx uses the same digest for everything of this kind. The first secret
digests, every configured secret is tried when checking (rotation), and every comparison
runs in constant time without an early exit.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Sequence

__all__ = ["hmac_value", "matches_any"]


def hmac_value(value: str, secret: str) -> str:
    """Kratos ``hmacValueWithSecret``: lowercase hex HMAC-SHA512/256."""
    return hmac.new(secret.encode(), value.encode(), "sha512_256").hexdigest()


def matches_any(stored: Iterable[str], value: str, secrets: Sequence[str]) -> list[int]:
    """The indexes of ``stored`` digests equal to ``value``'s digest under any secret."""
    candidates = [hmac_value(value, secret).encode() for secret in secrets]
    found: list[int] = []
    for index, digest in enumerate(stored):
        hit = False
        for candidate in candidates:
            hit = hmac.compare_digest(digest.encode(), candidate) or hit
        if hit:
            found.append(index)
    return found
