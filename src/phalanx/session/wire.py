"""Session JSON exactly as the spec's ``session`` schema."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from phalanx.clock import isoformat
from phalanx.identity.model import Identity
from phalanx.session.model import Device, Session
from phalanx.wire_json import dumps

__all__ = ["SessionRenderer", "device_json"]


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
        out["devices"] = [device_json(d) for d in session.devices] if include_devices else []
        return out

    def session_bytes(self, session: Session) -> bytes:
        """The whoami body: :meth:`session` serialized byte for byte as the HTTP layer's
        ``JSONResponse`` would (orjson, UTC ``Z``)."""
        return dumps(self.session(session))


def device_json(device: Device) -> dict[str, Any]:
    """``sessionDevice``: Kratos writes ``null`` for an unknown user agent; Phalanx leaves
    such keys out (the spec types them as strings)."""
    out: dict[str, Any] = {"id": str(device.id)}
    for key, value in (
        ("ip_address", device.ip_address),
        ("user_agent", device.user_agent),
        ("location", device.location),
    ):
        if value is not None:
            out[key] = value
    return out
