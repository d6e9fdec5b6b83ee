"""Binding the provider round-trip to the browser that started it (Kratos's continuity
container ``ory_kratos_oidc_auth_code_session`` under the ``ory_kratos_continuity`` cookie).

Starting the redirect stores a container in the flow's ``internal_context``: the state sent
to the provider, the submitted traits and transient payload, and the SHA-256 of a random
token that goes into the ``ory_kratos_continuity`` cookie. The callback must present that
cookie; the container lives 30 minutes and, once used, one more minute (Kratos expires it
instead of deleting it).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from phalanx.clock import utcnow
from phalanx.selfservice.flow.base import Flow

__all__ = ["COOKIE_NAME", "LIFESPAN", "AuthCodeContainer", "pause", "take"]

COOKIE_NAME = "ory_kratos_continuity"
LIFESPAN = timedelta(minutes=30)
_AFTER_USE = timedelta(minutes=1)
_KEY = "oidc_auth_code_session"


@dataclass(slots=True)
class AuthCodeContainer:
    """Kratos ``AuthCodeContainer``."""

    state: str
    traits: dict[str, Any] = field(default_factory=dict)
    transient_payload: dict[str, Any] | None = None
    identity_schema: str | None = None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def pause(flow: Flow, container: AuthCodeContainer) -> str:
    """Store ``container`` on ``flow``; the cookie value to set."""
    token = secrets.token_urlsafe(32)
    flow.internal_context[_KEY] = {
        "digest": _digest(token),
        "state": container.state,
        "traits": container.traits,
        "transient_payload": container.transient_payload,
        "identity_schema": container.identity_schema,
        "expires_at": (utcnow() + LIFESPAN).timestamp(),
    }
    return token


def take(flow: Flow, cookie: str | None) -> AuthCodeContainer | None:
    """The container if ``cookie`` opens it and it has not expired; marks it used (it stays
    valid for one more minute)."""
    stored = flow.internal_context.get(_KEY)
    if not isinstance(stored, dict) or not cookie:
        return None
    if not hmac.compare_digest(str(stored.get("digest", "")), _digest(cookie)):
        return None
    now = utcnow().timestamp()
    if float(stored.get("expires_at", 0)) < now:
        return None
    stored["expires_at"] = min(float(stored["expires_at"]), now + _AFTER_USE.total_seconds())
    traits = stored.get("traits")
    return AuthCodeContainer(
        state=str(stored.get("state", "")),
        traits=traits if isinstance(traits, dict) else {},
        transient_payload=stored.get("transient_payload"),
        identity_schema=stored.get("identity_schema"),
    )
