"""Passkeys in the settings flow (Kratos ``passkey/passkey_settings.go``), browser only.

Nodes: one ``passkey_remove`` per passkey (disabled with fewer than two first factors),
then "Add passkey" with creation options for a new 64-character user handle, named after
the identity's passkey display-name trait (no trait value: no add button, message 4000009).
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
from phalanx.selfservice.strategy.passkey.registration import new_user_handle
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
from phalanx.selfservice.traits import TraitForms
from phalanx.session.model import AuthenticationMethod
from phalanx.webauthnx import (
    RelyingParty,
    begin_registration,
    script_node,
)
from phalanx.webauthnx.credentials import b64decode
from phalanx.webauthnx.nodes import (
    go_json,
    passkey_create_data,
    passkey_remove,
    passkey_settings_register_input,
    passkey_settings_register_trigger,
)

__all__ = ["PasskeySettings"]

METHOD = "passkey"


class PasskeySettings(SettingsStrategy):
    """The ``passkey`` cell of the settings flow."""

    id = METHOD
    group = METHOD

    def __init__(
        self, forms: TraitForms, rp: RelyingParty, public_url: str, *, factors: FactorPolicy
    ) -> None:
        self.forms = forms
        self.rp = rp
        self.public_url = public_url
        self.factors = factors

    def handles(self, body: dict[str, Any]) -> bool:
        """Responsible when a key is added or removed, whatever ``method`` says (browser
        flows only: an API flow's submission is refused in :meth:`decode`)."""
        return filled(body, "passkey_settings_register") or filled(body, "passkey_remove")

    def populate(self, flow: SettingsFlow, identity: Identity) -> None:
        if not flow.is_browser:
            return
        disabled = count_first_factors(identity, self.factors) < 2
        for key in credential_config(identity, METHOD).keys:
            flow.ui.append(passkey_remove(key, disabled=disabled))
        name = self.forms.passkey_display_name(identity)
        if not name:
            flow.ui.add_message(text.identifier_missing())
            return
        options, data = begin_registration(self.rp, new_user_handle(), name)
        put_session(flow, METHOD, data)
        flow.ui.upsert(script_node(self.public_url))
        flow.ui.upsert(passkey_settings_register_trigger())
        flow.ui.upsert(passkey_settings_register_input())
        flow.ui.upsert(passkey_create_data(go_json(options)))

    def decode(self, req: FlowRequest, flow: SettingsFlow, body: dict[str, Any]) -> dict[str, Any]:
        if not flow.is_browser:
            raise FlowValidationError([text.settings_no_strategy()])
        return {
            "method": METHOD,
            "passkey_settings_register": string_field(body, "passkey_settings_register"),
            "passkey_remove": string_field(body, "passkey_remove"),
        }

    async def apply(self, ctx: SettingsContext, payload: dict[str, Any]) -> SettingsResult:
        ctx.require_privileged()
        if payload.get("passkey_remove"):
            return self._remove(ctx, str(payload["passkey_remove"]))
        return self._add(ctx, payload)

    def _add(self, ctx: SettingsContext, payload: Mapping[str, Any]) -> SettingsResult:
        identity = ctx.identity
        data = session_of(ctx.flow, METHOD)
        key = register_key(self.rp, data, payload.get("passkey_settings_register"))
        user_handle = b64decode((data or {}).get("user_id"))
        key.is_passwordless = True
        config = credential_config(identity, METHOD)
        config.keys.append(key)
        config.user_handle = user_handle
        credential = store_config(identity, METHOD, config)
        identifier = user_handle.decode("ascii")
        if identifier not in credential.identifiers:
            credential.identifiers = [*credential.identifiers, identifier]
        pop_session(ctx.flow, METHOD)
        return SettingsResult(identity=identity, authenticated=AuthenticationMethod(method=METHOD))

    def _remove(self, ctx: SettingsContext, hex_id: str) -> SettingsResult:
        remove_key(
            ctx.identity,
            METHOD,
            hex_id,
            factors=self.factors,
            missing="You tried to remove a passkey which does not exist.",
            last_factor_guard=True,
        )
        return SettingsResult(identity=ctx.identity)
