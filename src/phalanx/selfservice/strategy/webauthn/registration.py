"""WebAuthn sign-up (Kratos ``webauthn/registration.go``): only with ``passwordless: true``
and only for browser flows. The creation options are made once per flow (a reload keeps
the challenge); the submitted attestation is verified against it and becomes the new
identity's first (passwordless) key."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, ClassVar

from phalanx import text
from phalanx.identity.model import Identity
from phalanx.selfservice.flow.errors import FlowValidationError
from phalanx.selfservice.flow.registration.flow import RegistrationFlow
from phalanx.selfservice.flow.registration.strategy import RegistrationStrategy
from phalanx.selfservice.request import FlowRequest
from phalanx.selfservice.strategy.webauthn.support import (
    filled,
    pop_session,
    put_session,
    register_key,
    session_of,
    store_config,
)
from phalanx.selfservice.traits import TraitForms
from phalanx.webauthnx import (
    RelyingParty,
    WebAuthnConfig,
    begin_registration,
    script_node,
)
from phalanx.webauthnx.credentials import b64decode
from phalanx.webauthnx.nodes import (
    go_json,
    webauthn_display_name,
    webauthn_register_input,
    webauthn_register_trigger,
)

__all__ = ["WebAuthnRegistration", "echo_traits", "submitted_traits"]

METHOD = "webauthn"
_OPTIONS = f"{METHOD}_session_options"


def echo_traits(flow: RegistrationFlow, forms: TraitForms, body: Mapping[str, Any]) -> Any:
    """Put the submitted traits back on the flow's nodes and raise their schema errors."""
    from phalanx.ui import flatten_values

    traits = body.get("traits")
    if traits is None:
        traits = {}
    if isinstance(traits, dict):
        for name, value in flatten_values(traits, "traits").items():
            node = flow.ui.find(name)
            if node is not None:
                node.attributes.set_value(value)
    errors = list(forms.trait_errors(traits))
    if errors:
        raise FlowValidationError(node_messages=errors)
    return traits


def submitted_traits(req: FlowRequest, forms: TraitForms, body: Mapping[str, Any]) -> Any:
    """The submitted traits (a form's already typed by the registration service)."""
    traits = body.get("traits")
    return {} if traits is None else traits


class WebAuthnRegistration(RegistrationStrategy):
    """The ``webauthn`` method's registration cell (passwordless only)."""

    id = METHOD
    #: ``webauthn.js`` submits the form without the button.
    implicit_fields: ClassVar[tuple[str, ...]] = ("webauthn_register",)

    def __init__(self, forms: TraitForms, rp: RelyingParty, public_url: str) -> None:
        self.forms = forms
        self.rp = rp
        self.public_url = public_url

    def populate(self, flow: RegistrationFlow) -> None:
        if not flow.is_browser:
            return
        options = flow.internal_context.get(_OPTIONS)
        if not isinstance(options, dict):
            user_id = uuid.uuid4().bytes
            options, data = begin_registration(self.rp, user_id)
            put_session(flow, METHOD, data)
            flow.internal_context[_OPTIONS] = options
        flow.ui.upsert(webauthn_display_name())
        flow.ui.upsert(webauthn_register_trigger(go_json(options), text.registration_webauthn()))
        flow.ui.upsert(script_node(self.public_url))
        flow.ui.upsert(webauthn_register_input())

    def check_payload(self, flow: RegistrationFlow, body: dict[str, Any]) -> None:
        """Responsible for a browser flow's non-empty ``webauthn_register`` only."""
        if not flow.is_browser or not filled(body, "webauthn_register"):
            raise FlowValidationError([text.no_strategy("registration")])
        name = body.get("webauthn_register_displayname")
        if isinstance(name, str):
            flow.ui.set_value("webauthn_register_displayname", name)
        echo_traits(flow, self.forms, body)

    async def register(
        self, req: FlowRequest, flow: RegistrationFlow, body: dict[str, Any]
    ) -> Identity:
        identity = self.forms.new_identity(submitted_traits(req, self.forms, body))
        credential = identity.credentials.get(METHOD)
        if credential is None or not credential.identifiers:
            raise FlowValidationError([text.identifier_missing()])
        data = session_of(flow, METHOD)
        key = register_key(self.rp, data, body.get("webauthn_register"))
        name = body.get("webauthn_register_displayname")
        key.display_name = name if isinstance(name, str) else ""
        key.is_passwordless = True
        user_handle = b64decode((data or {}).get("user_id"))
        store_config(identity, METHOD, WebAuthnConfig(keys=[key], user_handle=user_handle))
        pop_session(flow, METHOD)
        flow.internal_context.pop(_OPTIONS, None)
        return identity
