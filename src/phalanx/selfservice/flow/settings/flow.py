"""The settings flow model (``settingsFlow`` in the spec)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from phalanx.identity.model import Identity
from phalanx.selfservice.flow.base import Flow, FlowKind, FlowState

__all__ = ["SettingsFlow"]


@dataclass(kw_only=True)
class SettingsFlow(Flow):
    """A settings flow belongs to one identity; ``identity`` is loaded for rendering.

    ``continue_with`` is transient (Kratos does not store it): it is only rendered in
    the answer to the submission that produced it.
    """

    kind = FlowKind.SETTINGS

    identity_id: uuid.UUID
    identity: Identity | None = None
    identity_json: dict[str, Any] | None = None
    continue_with: list[dict[str, Any]] = field(default_factory=list)
    state: str = FlowState.SHOW_FORM

    def to_dict(self) -> dict[str, Any]:
        """``settingsFlow``: Kratos's key order; ``continue_with`` only when there is some."""
        base = self.base_dict()
        base.pop("transient_payload", None)  # Kratos never serializes it for settings
        out: dict[str, Any] = {}
        for key, value in base.items():
            if key == "state":
                out["identity"] = self.identity_json or {}
            out[key] = value
        if self.continue_with:
            out["continue_with"] = self.continue_with
        return out
