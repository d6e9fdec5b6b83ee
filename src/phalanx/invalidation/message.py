"""The text of one cross-host invalidation message: ``<origin> <ids>``.

``origin`` names the sending host (:attr:`RevocationEpoch.origin
<phalanx.session.epoch.RevocationEpoch.origin>`), so a host skips its own messages;
``ids`` is a comma-separated list of identity ids, or ``*`` for "possibly anyone" (also
sent instead of long lists: PostgreSQL caps a ``NOTIFY`` payload at 8000 bytes).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

__all__ = ["CHANNEL", "MAX_IDS", "decode", "encode"]

CHANNEL = "phalanx_whoami"
"""The PostgreSQL ``LISTEN`` channel and the Redis pub/sub channel."""

MAX_IDS = 100
"""Above this many identities a message says ``*`` (everyone)."""


def encode(origin: str, identity_ids: Sequence[uuid.UUID] | None) -> str:
    if identity_ids is None:
        return f"{origin} *"
    unique = dict.fromkeys(identity_ids)
    if len(unique) > MAX_IDS:
        return f"{origin} *"
    return f"{origin} " + ",".join(str(i) for i in unique)


def decode(payload: str) -> tuple[str, list[uuid.UUID] | None]:
    """``(origin, ids)``; ids None for everyone. Raises ``ValueError`` for a bad message."""
    origin, _, ids = payload.partition(" ")
    if not origin or not ids:
        raise ValueError("not an invalidation message")
    if ids == "*":
        return origin, None
    return origin, [uuid.UUID(i) for i in ids.split(",")]
