"""Backup recovery codes (Kratos ``lookup_secret``): generating, storing, showing, using.

Kratos makes 12 codes of 8 characters from ``[a-z0-9]`` and stores them in plain text in
the credential (``{"recovery_codes": [{"code", "used_at"}]}``). Phalanx stores each code as
its keyed digest (:mod:`phalanx.hash.keyed`, the secrets of one-time codes) and compares in
constant time, so the credential shape stays Kratos's but ``code`` holds a digest. Hence the
plain codes exist only between "regenerate" and "confirm" in a settings flow, and "reveal"
can list which codes are left and which were used, never the codes themselves.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from phalanx import text
from phalanx.clock import isoformat, utcnow
from phalanx.hash.keyed import hmac_value, matches_any
from phalanx.identity.model import Credential, CredentialType, Identity
from phalanx.text import UiText
from phalanx.ui import NodeGroup, UiNode, text_node

__all__ = [
    "CODE_LENGTH",
    "HIDDEN",
    "NUM_CODES",
    "Match",
    "codes_node",
    "credential_for",
    "find",
    "mark_used",
    "new_codes",
    "recovery_codes",
    "seal",
]

NUM_CODES = 12
CODE_LENGTH = 8
_ALPHABET = string.ascii_lowercase + string.digits
#: How "reveal" shows a code that is left (only its digest is stored).
HIDDEN = "********"


def new_codes() -> list[str]:
    return [
        "".join(secrets.choice(_ALPHABET) for _ in range(CODE_LENGTH)) for _ in range(NUM_CODES)
    ]


def seal(code: str, key: str) -> str:
    return hmac_value(code, key)


def recovery_codes(credential: Credential | None) -> list[dict[str, Any]]:
    if credential is None or not isinstance(credential.config, dict):
        return []
    items = credential.config.get("recovery_codes") or []
    return [dict(item) for item in items if isinstance(item, dict)]


def credential_for(identity: Identity, digests: Sequence[str]) -> Credential:
    """A fresh credential with ``digests`` unused, identified by the identity id."""
    config = {"recovery_codes": [{"code": d, "used_at": None} for d in digests]}
    return Credential(
        type=CredentialType.LOOKUP_SECRET, identifiers=[str(identity.id)], config=config
    )


@dataclass(frozen=True, slots=True)
class Match:
    index: int
    used: bool


def find(codes: Sequence[dict[str, Any]], code: str, keys: Sequence[str]) -> Match | None:
    """The stored entry whose digest is ``code``'s (every entry compared, constant time)."""
    if not code:
        return None
    hits = matches_any((str(c.get("code", "")) for c in codes), code, keys)
    if not hits:
        return None
    index = hits[0]
    return Match(index=index, used=bool(codes[index].get("used_at")))


def mark_used(codes: Sequence[dict[str, Any]], index: int) -> list[dict[str, Any]]:
    """A copy with entry ``index`` used now (UTC, rounded to the second, as Kratos)."""
    now = utcnow()
    rounded = now.replace(microsecond=0) + timedelta(seconds=round(now.microsecond / 1e6))
    out = [dict(c) for c in codes]
    out[index]["used_at"] = isoformat(rounded)
    return out


def _used_at(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def codes_node(entries: Sequence[tuple[str, Any]]) -> UiNode:
    """The ``lookup_secret_codes`` text node for ``(shown code, used_at)`` pairs."""
    messages: list[UiText] = []
    formatted: list[str] = []
    for shown, used_at in entries:
        when = _used_at(used_at)
        if when is None:
            messages.append(text.settings_lookup_secret(shown))
            formatted.append(shown)
        else:
            messages.append(text.settings_lookup_secret_used(when))
            formatted.append("used")
    node = text_node(
        "lookup_secret_codes",
        text.settings_lookup_secret_list(formatted, messages),
        group=NodeGroup.LOOKUP_SECRET,
    )
    node.meta.label = text.settings_lookup_secrets_label()
    return node
