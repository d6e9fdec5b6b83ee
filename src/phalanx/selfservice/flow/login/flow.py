"""The login flow model (``loginFlow`` in the spec)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from phalanx.clock import isoformat
from phalanx.selfservice.flow.base import Flow, FlowKind, FlowState

__all__ = ["LoginFlow"]


@dataclass(kw_only=True)
class LoginFlow(Flow):
    kind = FlowKind.LOGIN

    refresh: bool = False
    requested_aal: str = "aal1"
    identity_schema: str | None = None

    def __post_init__(self) -> None:
        if not self.state:
            self.state = FlowState.CHOOSE_METHOD

    def to_dict(self) -> dict[str, Any]:
        out = self.base_dict()
        out["created_at"] = isoformat(self.created_at)
        out["updated_at"] = isoformat(self.updated_at)
        out["refresh"] = self.refresh
        out["requested_aal"] = self.requested_aal
        return out
