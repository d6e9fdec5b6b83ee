"""Session JSON exactly as the spec's ``session`` schema."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from phalanx.clock import isoformat
from phalanx.identity.model import Identity
from phalanx.session.model import Session

__all__ = ["SessionRenderer"]


class SessionRenderer:
    """Renders sessions; ``identity_json(identity, admin)`` renders the embedded identity."""

    def __init__(self, identity_json: Callable[[Identity, bool], dict[str, Any]]) -> None:
        self.identity_json = identity_json

    def session(
        self,
        session: Session,
        *,
        include_identity: bool = True,
        include_devices: bool = True,
        admin: bool = False,
    ) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": str(session.id),
            "active": session.is_active(),
            "expires_at": isoformat(session.expires_at),
            "authenticated_at": isoformat(session.authenticated_at),
            "authenticator_assurance_level": session.aal,
            "authentication_methods": [m.to_dict() for m in session.authentication_methods],
            "issued_at": isoformat(session.issued_at),
        }
        if include_identity and session.identity is not None:
            out["identity"] = self.identity_json(session.identity, admin)
        if include_devices:
            out["devices"] = [
                {
                    "id": str(d.id),
                    "ip_address": d.ip_address,
                    "user_agent": d.user_agent,
                    "location": d.location,
                }
                for d in session.devices
            ]
        return out
