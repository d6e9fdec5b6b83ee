"""The ``oidc`` login cell (Kratos ``strategy_login.go``): provider buttons, the redirect to
the provider, and the native ``id_token`` sign-in."""

from __future__ import annotations

from typing import Any, ClassVar

from phalanx import text
from phalanx.identity.model import Identity
from phalanx.selfservice.flow.errors import FlowValidationError, StrategyCompleted
from phalanx.selfservice.flow.login.flow import LoginFlow
from phalanx.selfservice.flow.login.strategy import LoginOutcome, LoginStrategy
from phalanx.selfservice.request import FlowRequest
from phalanx.selfservice.strategy.oidc import continuity
from phalanx.selfservice.strategy.oidc.core import OidcCore, Tokens, linked_provider_ids
from phalanx.session.model import AuthenticationMethod, Session

__all__ = ["OidcLogin", "submitted_provider"]


def submitted_provider(req: FlowRequest, body: dict[str, Any]) -> str:
    """``provider`` from the body or the query (Kratos ``UseQueryAndBody``)."""
    return str(body.get("provider") or req.query.get("provider") or "")


class OidcLogin(LoginStrategy):
    id = "oidc"
    implicit_fields: ClassVar[tuple[str, ...]] = ("provider",)

    def __init__(self, core: OidcCore) -> None:
        self.core = core

    def populate(self, flow: LoginFlow, session: Session | None) -> None:
        if flow.requested_aal != "aal1":
            return
        providers = self.core.buttons()
        if session is not None:
            # A refresh shows only the providers linked to the identity.
            linked = set(linked_provider_ids(session.identity)) if session.identity else set()
            providers = [p for p in providers if p.id in linked]
        self.core.add_buttons(flow.ui, text.login_with, providers)

    async def login(
        self, req: FlowRequest, flow: LoginFlow, body: dict[str, Any], session: Session | None
    ) -> LoginOutcome:
        provider_id = submitted_provider(req, body)
        if not provider_id or flow.requested_aal != "aal1":
            raise FlowValidationError([text.no_strategy("login")])
        provider = self.core.provider(provider_id)
        id_token = body.get("id_token")
        if isinstance(id_token, str) and id_token:
            nonce = body.get("id_token_nonce")
            claims = await self.core.verify_native(
                provider, id_token, nonce if isinstance(nonce, str) else ""
            )
            known = await self.core.find(provider, str(claims["sub"]))
            if known is not None:
                return self.core.login_result(known, provider, str(claims["sub"]))
            raw = body.get("traits")
            traits: dict[str, Any] = raw if isinstance(raw, dict) else {}
            container = continuity.AuthCodeContainer(state="", traits=traits)
            outcome = await self.core.login(req, flow, provider, claims, Tokens(), container)
            raise StrategyCompleted(outcome)
        submitted = body.get("traits")
        return await self.core.start(
            req,
            flow,
            provider,
            traits=submitted if isinstance(submitted, dict) else None,
            upstream=body.get("upstream_parameters"),
            refresh=flow.refresh,
        )

    async def link_pending(self, flow: LoginFlow, identity: Identity) -> list[AuthenticationMethod]:
        return await self.core.link_pending(flow, identity)
