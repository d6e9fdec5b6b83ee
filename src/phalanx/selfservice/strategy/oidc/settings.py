"""The ``oidc`` settings cell (Kratos ``strategy_settings.go``): link and unlink buttons,
starting a link (the callback finishes it) and unlinking."""

from __future__ import annotations

from typing import Any

from phalanx import text
from phalanx.identity.credentials import count_first_factors, oidc_identifier
from phalanx.identity.model import CredentialType, Identity
from phalanx.selfservice.flow.errors import FlowValidationError
from phalanx.selfservice.flow.results import ExternalRedirect
from phalanx.selfservice.flow.settings.flow import SettingsFlow
from phalanx.selfservice.flow.settings.strategy import (
    SettingsContext,
    SettingsResult,
    SettingsStrategy,
)
from phalanx.selfservice.request import FlowRequest
from phalanx.selfservice.strategy.oidc.core import OidcCore, linked_provider_ids
from phalanx.selfservice.strategy.oidc.nodes import link_node, unlink_node

__all__ = ["OidcSettings"]


def _invalid(reason: str) -> FlowValidationError:
    return FlowValidationError([text.validation_generic(reason)])


class OidcSettings(SettingsStrategy):
    id = "oidc"
    group = "oidc"

    def __init__(self, core: OidcCore) -> None:
        self.core = core

    def handles(self, body: dict[str, Any]) -> bool:
        """``method: oidc``, or no method and a ``link``/``unlink`` button (Kratos's
        strategy decides by the fields it finds)."""
        method = body.get("method")
        return method == self.id or (not method and bool(body.get("link") or body.get("unlink")))

    def _count(self, identity: Identity) -> int:
        return count_first_factors(identity, self.core.deps.identities.factors)

    def populate(self, flow: SettingsFlow, identity: Identity) -> None:
        if not flow.is_browser:
            return
        flow.ui.remove("link", "unlink")
        linked = set(linked_provider_ids(identity))
        for provider in self.core.providers.values():
            if provider.id not in linked and not provider.config.organization_id:
                flow.ui.append(link_node(provider.id, provider.label))
        if identity.credentials and self._count(identity) > 1:
            for provider in self.core.providers.values():
                if provider.id in linked:
                    flow.ui.append(unlink_node(provider.id, provider.label))

    def decode(self, req: FlowRequest, flow: SettingsFlow, body: dict[str, Any]) -> dict[str, Any]:
        payload: dict[str, Any] = {}
        for key in ("link", "unlink"):
            value = body.get(key) or req.query.get(key)
            if value:
                payload[key] = str(value)
        if isinstance(body.get("upstream_parameters"), dict):
            payload["upstream_parameters"] = body["upstream_parameters"]
        if isinstance(body.get("traits"), dict):
            payload["traits"] = body["traits"]
        return payload

    async def apply(
        self, ctx: SettingsContext, payload: dict[str, Any]
    ) -> SettingsResult | ExternalRedirect:
        link, unlink = payload.get("link"), payload.get("unlink")
        if link and unlink:
            raise _invalid("it is not possible to link and unlink providers in the same request")
        if link:
            self._check_linkable(ctx.identity, str(link))
            ctx.require_privileged()
            provider = self.core.provider(str(link))
            return await self.core.start(
                ctx.req,
                ctx.flow,
                provider,
                traits=payload.get("traits"),
                upstream=payload.get("upstream_parameters"),
            )
        if unlink:
            ctx.require_privileged()
            return SettingsResult(identity=self._unlink(ctx.identity, str(unlink)))
        raise FlowValidationError([text.settings_no_strategy()])

    def _check_linkable(self, identity: Identity, provider_id: str) -> None:
        if provider_id not in self.core.providers or provider_id in linked_provider_ids(identity):
            raise _invalid("can not link unknown or already existing OpenID Connect connection")

    def linkable(self, identity: Identity, provider_id: str) -> bool:
        try:
            self._check_linkable(identity, provider_id)
        except FlowValidationError:
            return False
        return True

    def _unlink(self, identity: Identity, provider_id: str) -> Identity:
        if self._count(identity) < 2:
            raise _invalid(
                "can not unlink OpenID Connect connection because it is the last remaining"
                " first factor credential"
            )
        credential = identity.credentials.get(CredentialType.OIDC)
        entries = (credential.config.get("providers") or []) if credential else []
        kept = [e for e in entries if isinstance(e, dict) and e.get("provider") != provider_id]
        if (
            credential is None
            or provider_id not in self.core.providers
            or len(kept) == len(entries)
        ):
            raise _invalid("can not unlink non-existing OpenID Connect connection")
        credential.config = {**credential.config, "providers": kept}
        credential.identifiers = [
            oidc_identifier(str(e.get("provider")), str(e.get("subject"))) for e in kept
        ]
        return identity
