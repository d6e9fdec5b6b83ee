"""The ``oidc`` registration cell (Kratos ``strategy_registration.go``)."""

from __future__ import annotations

from typing import Any, ClassVar

from phalanx import text
from phalanx.selfservice.flow.errors import FlowValidationError, StrategyCompleted
from phalanx.selfservice.flow.registration.flow import RegistrationFlow
from phalanx.selfservice.flow.registration.strategy import (
    RegistrationOutcome,
    RegistrationStrategy,
)
from phalanx.selfservice.request import FlowRequest
from phalanx.selfservice.strategy.oidc import continuity
from phalanx.selfservice.strategy.oidc.core import OidcCore, Tokens
from phalanx.selfservice.strategy.oidc.login import submitted_provider

__all__ = ["OidcRegistration"]


class OidcRegistration(RegistrationStrategy):
    id = "oidc"
    implicit_fields: ClassVar[tuple[str, ...]] = ("provider",)

    def __init__(self, core: OidcCore) -> None:
        self.core = core

    def populate(self, flow: RegistrationFlow) -> None:
        self.core.add_buttons(flow.ui, text.registration_with, self.core.buttons())

    async def register(
        self, req: FlowRequest, flow: RegistrationFlow, body: dict[str, Any]
    ) -> RegistrationOutcome:
        provider_id = submitted_provider(req, body)
        if not provider_id:
            raise FlowValidationError([text.no_strategy("registration")])
        provider = self.core.provider(provider_id)
        raw_traits = body.get("traits")
        traits = raw_traits if isinstance(raw_traits, dict) else {}
        id_token = body.get("id_token")
        if isinstance(id_token, str) and id_token:
            nonce = body.get("id_token_nonce")
            claims = await self.core.verify_native(
                provider, id_token, nonce if isinstance(nonce, str) else ""
            )
            container = continuity.AuthCodeContainer(
                state="", traits=traits, identity_schema=flow.identity_schema
            )
            outcome = await self.core.register(req, flow, provider, claims, Tokens(), container)
            raise StrategyCompleted(outcome)
        return await self.core.start(
            req, flow, provider, traits=traits, upstream=body.get("upstream_parameters")
        )
