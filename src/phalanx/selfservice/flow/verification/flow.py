"""The verification flow model (``verificationFlow`` in the spec; Kratos ``verification.Flow``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from phalanx.selfservice.flow.base import Flow, FlowKind, FlowState

__all__ = ["VerificationFlow"]


@dataclass(kw_only=True)
class VerificationFlow(Flow):
    """``choose_method`` -> ``sent_email`` -> ``passed_challenge``.

    ``identity_id`` and ``session_id`` are set on flows a registration, settings or login
    hook started for an identity (Kratos ``OAuth2LoginChallengeParams``).
    """

    kind = FlowKind.VERIFICATION

    state: str = FlowState.CHOOSE_METHOD
    identity_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None

    def to_dict(self) -> dict[str, Any]:
        return self.base_dict()
