"""The registration flow model (``registrationFlow`` in the spec)."""

from __future__ import annotations

from dataclasses import dataclass

from phalanx.selfservice.flow.base import Flow, FlowKind

__all__ = ["RegistrationFlow"]


@dataclass(kw_only=True)
class RegistrationFlow(Flow):
    kind = FlowKind.REGISTRATION

    identity_schema: str | None = None
