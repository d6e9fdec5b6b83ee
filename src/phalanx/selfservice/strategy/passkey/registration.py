"""Passkey sign-up (Kratos ``passkey/passkey_registration.go``), browser flows only.

The creation options (``passkey_create_data``: the options plus the trait whose value
``webauthn.js`` uses as the passkey's user name) are made once per flow. The new identity's
``passkey`` credential has the 64-character user handle as identifier."""

from __future__ import annotations

import secrets
import string
from typing import Any, ClassVar

from phalanx import text
from phalanx.errors import BadRequestError
from phalanx.identity.model import Identity
from phalanx.selfservice.flow.errors import FlowValidationError
from phalanx.selfservice.flow.registration.flow import RegistrationFlow
from phalanx.selfservice.flow.registration.strategy import RegistrationStrategy
from phalanx.selfservice.request import FlowRequest
from phalanx.selfservice.strategy.webauthn.registration import (
    echo_traits,
    submitted_traits,
)
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
    passkey_create_data,
    passkey_register_input,
    passkey_register_trigger,
)

__all__ = ["PasskeyRegistration", "new_user_handle"]

METHOD = "passkey"
_OPTIONS = f"{METHOD}_session_options"
_ALPHANUMERIC = string.ascii_letters + string.digits


def new_user_handle() -> bytes:
    """64 random ``[A-Za-z0-9]`` bytes (``randx.MustString(64, randx.AlphaNum)``)."""
    return "".join(secrets.choice(_ALPHANUMERIC) for _ in range(64)).encode("ascii")


class PasskeyRegistration(RegistrationStrategy):
    """The ``passkey`` method's registration cell."""

    id = METHOD
    #: ``webauthn.js`` submits the form without the button.
    implicit_fields: ClassVar[tuple[str, ...]] = ("passkey_register",)

    def __init__(self, forms: TraitForms, rp: RelyingParty, public_url: str) -> None:
        self.forms = forms
        self.rp = rp
        self.public_url = public_url

    def populate(self, flow: RegistrationFlow) -> None:
        if not flow.is_browser:
            return
        create_data = flow.internal_context.get(_OPTIONS)
        if not isinstance(create_data, dict):
            options, data = begin_registration(self.rp, new_user_handle())
            put_session(flow, METHOD, data)
            create_data = {
                "credentialOptions": options,
                "displayNameFieldName": self.forms.passkey_display_field(),
            }
            flow.internal_context[_OPTIONS] = create_data
        flow.ui.upsert(passkey_create_data(go_json(create_data)))
        flow.ui.upsert(passkey_register_trigger())
        flow.ui.upsert(script_node(self.public_url))
        flow.ui.upsert(passkey_register_input())

    def check_payload(self, flow: RegistrationFlow, body: dict[str, Any]) -> None:
        """Responsible for a browser flow's non-empty ``passkey_register`` other than
        ``"true"`` (what the React SDK sends for an empty field)."""
        value = body.get("passkey_register")
        if not flow.is_browser or not filled(body, "passkey_register") or value == "true":
            raise FlowValidationError([text.no_strategy("registration")])
        echo_traits(flow, self.forms, body)

    async def register(
        self, req: FlowRequest, flow: RegistrationFlow, body: dict[str, Any]
    ) -> Identity:
        identity = self.forms.new_identity(submitted_traits(req, self.forms, body))
        data = session_of(flow, METHOD)
        user_handle = b64decode((data or {}).get("user_id"))
        if not user_handle:
            raise BadRequestError("Expected WebAuthN session data to contain a user ID")
        key = register_key(self.rp, data, body.get("passkey_register"))
        key.is_passwordless = True
        credential = store_config(
            identity, METHOD, WebAuthnConfig(keys=[key], user_handle=user_handle)
        )
        credential.identifiers = [user_handle.decode("ascii")]
        pop_session(flow, METHOD)
        flow.internal_context.pop(_OPTIONS, None)
        return identity
