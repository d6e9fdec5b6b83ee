"""Security keys in the settings flow (Kratos ``webauthn/settings.go``), browser flows only.

Nodes: one ``webauthn_remove`` per key (disabled for the last passwordless key of an
identity with fewer than two first factors), then a name field, the "Add security key"
trigger carrying creation options for the identity (user id = identity UUID bytes) and the
hidden result input. Adding or removing needs a privileged session.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from phalanx import text
from phalanx.identity.credentials import FactorPolicy, count_first_factors
from phalanx.identity.model import Identity
from phalanx.selfservice.flow.errors import FlowValidationError
from phalanx.selfservice.flow.settings.flow import SettingsFlow
from phalanx.selfservice.flow.settings.strategy import (
    SettingsContext,
    SettingsResult,
    SettingsStrategy,
)
from phalanx.selfservice.request import FlowRequest
from phalanx.selfservice.strategy.webauthn.support import (
    credential_config,
    filled,
    pop_session,
    put_session,
    register_key,
    remove_key,
    session_of,
    store_config,
    string_field,
)
from phalanx.session.model import AuthenticationMethod
from phalanx.webauthnx import (
    RelyingParty,
    begin_registration,
    script_node,
)
from phalanx.webauthnx.nodes import (
    go_json,
    webauthn_display_name,
    webauthn_register_input,
    webauthn_register_trigger,
    webauthn_remove,
)

__all__ = ["WebAuthnSettings"]

METHOD = "webauthn"


class WebAuthnSettings(SettingsStrategy):
    """The ``webauthn`` cell of the settings flow."""

    id = METHOD
    group = METHOD

    def __init__(
        self, rp: RelyingParty, public_url: str, *, passwordless: bool, factors: FactorPolicy
    ) -> None:
        self.rp = rp
        self.public_url = public_url
        self.passwordless = passwordless
        self.factors = factors

    def handles(self, body: dict[str, Any]) -> bool:
        """Responsible when a key is added or removed, whatever ``method`` says (browser
        flows only: an API flow's submission is refused in :meth:`decode`)."""
        return filled(body, "webauthn_register") or filled(body, "webauthn_remove")

    def populate(self, flow: SettingsFlow, identity: Identity) -> None:
        if not flow.is_browser:
            return
        first_factors = count_first_factors(identity, self.factors)
        for key in credential_config(identity, METHOD).keys:
            disabled = key.is_passwordless and first_factors < 2
            flow.ui.append(webauthn_remove(key, disabled=disabled))
        options, data = begin_registration(self.rp, identity.id.bytes)
        put_session(flow, METHOD, data)
        flow.ui.upsert(script_node(self.public_url))
        flow.ui.upsert(webauthn_display_name())
        flow.ui.upsert(
            webauthn_register_trigger(go_json(options), text.settings_register_webauthn())
        )
        flow.ui.upsert(webauthn_register_input())

    def decode(self, req: FlowRequest, flow: SettingsFlow, body: dict[str, Any]) -> dict[str, Any]:
        if not flow.is_browser:
            raise FlowValidationError([text.settings_no_strategy()])
        return {
            "method": METHOD,
            "webauthn_register": string_field(body, "webauthn_register"),
            "webauthn_register_displayname": string_field(body, "webauthn_register_displayname"),
            "webauthn_remove": string_field(body, "webauthn_remove"),
        }

    async def apply(self, ctx: SettingsContext, payload: dict[str, Any]) -> SettingsResult:
        ctx.require_privileged()
        if payload.get("webauthn_register"):
            return self._add(ctx, payload)
        return self._remove(ctx, str(payload.get("webauthn_remove") or ""))

    def _add(self, ctx: SettingsContext, payload: Mapping[str, Any]) -> SettingsResult:
        identity = ctx.identity
        key = register_key(self.rp, session_of(ctx.flow, METHOD), payload.get("webauthn_register"))
        key.display_name = str(payload.get("webauthn_register_displayname") or "")
        key.is_passwordless = self.passwordless
        config = credential_config(identity, METHOD)
        config.keys.append(key)
        config.user_handle = identity.id.bytes
        store_config(identity, METHOD, config)
        pop_session(ctx.flow, METHOD)
        level = "aal1" if self.passwordless else "aal2"
        return SettingsResult(
            identity=identity,
            authenticated=AuthenticationMethod(method=METHOD, aal=level),
        )

    def _remove(self, ctx: SettingsContext, hex_id: str) -> SettingsResult:
        identity = ctx.identity
        removed = [k for k in credential_config(identity, METHOD).keys if k.hex_id == hex_id]
        remove_key(
            identity,
            METHOD,
            hex_id,
            factors=self.factors,
            missing="You tried to remove a WebAuthn credential which does not exist.",
            last_factor_guard=any(k.is_passwordless for k in removed),
        )
        return SettingsResult(identity=identity)
