"""The parts every self-service flow shares: identity, type, lifetime, UI, state."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from phalanx.identity.model import utcnow
from phalanx.ui import UiContainer

__all__ = ["Flow", "FlowKind", "FlowState", "FlowType"]


class FlowType(StrEnum):
    """``api`` flows are for native apps (no cookies, no CSRF); ``browser`` for browsers."""

    API = "api"
    BROWSER = "browser"


class FlowKind(StrEnum):
    LOGIN = "login"
    REGISTRATION = "registration"
    SETTINGS = "settings"
    RECOVERY = "recovery"
    VERIFICATION = "verification"


class FlowState(StrEnum):
    CHOOSE_METHOD = "choose_method"
    SENT_EMAIL = "sent_email"
    PASSED_CHALLENGE = "passed_challenge"
    SHOW_FORM = "show_form"
    SUCCESS = "success"


@dataclass(kw_only=True)
class Flow:
    """Base of the five flows. Subclasses add their own fields and JSON keys."""

    kind: ClassVar[FlowKind]

    type: FlowType
    request_url: str
    ui: UiContainer
    expires_at: datetime
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    issued_at: datetime = field(default_factory=utcnow)
    state: str = FlowState.CHOOSE_METHOD
    return_to: str | None = None
    active: str | None = None
    csrf_token: str | None = None
    transient_payload: dict[str, Any] | None = None
    internal_context: dict[str, Any] = field(default_factory=dict)
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)

    @property
    def is_api(self) -> bool:
        return self.type == FlowType.API

    @property
    def is_browser(self) -> bool:
        return self.type == FlowType.BROWSER

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at <= (now or utcnow())

    def expired_since(self, now: datetime | None = None) -> timedelta:
        return (now or utcnow()) - self.expires_at

    def adopt_transient_payload(self, values: Mapping[str, Any]) -> None:
        """Keep a submission's ``transient_payload`` object (hooks and mails see it)."""
        payload = values.get("transient_payload")
        if isinstance(payload, dict):
            self.transient_payload = payload

    def request_return_to(self) -> str | None:
        """``return_to`` given when the flow was created (Kratos derives it from request_url)."""
        if self.return_to:
            return self.return_to
        values = parse_qs(urlsplit(self.request_url).query).get("return_to")
        return values[0] if values else None

    def base_dict(self) -> dict[str, Any]:
        """The JSON keys all flows share, in Kratos's order."""
        from phalanx.clock import isoformat

        out: dict[str, Any] = {
            "id": str(self.id),
            "type": str(self.type),
            "expires_at": isoformat(self.expires_at),
            "issued_at": isoformat(self.issued_at),
            "request_url": self.request_url,
        }
        return_to = self.request_return_to()
        if return_to:
            out["return_to"] = return_to
        if self.active:
            out["active"] = self.active
        out["ui"] = self.ui.to_dict()
        out["state"] = str(self.state)
        if self.transient_payload:
            out["transient_payload"] = self.transient_payload
        return out

    def to_dict(self) -> dict[str, Any]:
        return self.base_dict()
