"""The recovery flow model (``recoveryFlow`` in the spec; Kratos ``recovery.Flow``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from phalanx.selfservice.flow.base import Flow, FlowKind, FlowState

__all__ = ["RecoveryFlow"]


@dataclass(kw_only=True)
class RecoveryFlow(Flow):
    """``choose_method`` -> ``sent_email`` -> ``passed_challenge``.

    ``skip_csrf_check`` is Kratos's ``DangerousSkipCSRFCheck`` (flows an administrator
    created: the user may open them in any browser). ``continue_with`` is transient:
    rendered only in the answer to the submission that produced it.
    """

    kind = FlowKind.RECOVERY

    state: str = FlowState.CHOOSE_METHOD
    recovered_identity_id: uuid.UUID | None = None
    skip_csrf_check: bool = False
    continue_with: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out = self.base_dict()
        if self.continue_with:
            out["continue_with"] = list(self.continue_with)
        return out
