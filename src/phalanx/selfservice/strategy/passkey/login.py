"""Passkey login (Kratos ``passkey/passkey_login.go``): a discoverable WebAuthn login at
aal1, browser flows only. The response's user handle names the identity (the passkey
credential's identifier); only that identity's passkeys are accepted."""

from __future__ import annotations

from typing import Any, ClassVar

from phalanx import text
from phalanx.identity.model import Identity
from phalanx.identity.pool import IdentityPool
from phalanx.selfservice.flow.errors import FlowValidationError
from phalanx.selfservice.flow.login.flow import LoginFlow
from phalanx.selfservice.flow.login.strategy import LoginOutcome, LoginResult, LoginStrategy
from phalanx.selfservice.flow.results import ShowFlow
from phalanx.selfservice.request import FlowRequest
from phalanx.selfservice.strategy.webauthn.support import (
    credential_config,
    filled,
    parse_error,
    pop_session,
    put_session,
    save_sign_count,
    session_of,
    verifier_wrong,
)
from phalanx.selfservice.traits import TraitForms
from phalanx.session.model import AuthenticationMethod, Session
from phalanx.ui import input_node
from phalanx.webauthnx import (
    CeremonyError,
    RelyingParty,
    ResponseParseError,
    begin_login,
    finish_login,
    parse_assertion,
    response_user_handle,
    script_node,
)
from phalanx.webauthnx.nodes import (
    go_json,
    passkey_challenge,
    passkey_login_input,
    passkey_login_trigger,
)

__all__ = ["PasskeyLogin"]

METHOD = "passkey"


class PasskeyLogin(LoginStrategy):
    """The ``passkey`` method's login cell."""

    id = METHOD
    #: ``webauthn.js`` submits the form without the button.
    implicit_fields: ClassVar[tuple[str, ...]] = ("passkey_login",)

    def __init__(
        self, pool: IdentityPool, forms: TraitForms, rp: RelyingParty, public_url: str
    ) -> None:
        self.pool = pool
        self.forms = forms
        self.rp = rp
        self.public_url = public_url

    # -- form ---------------------------------------------------------------------------
    def populate(self, flow: LoginFlow, session: Session | None) -> None:
        if not flow.is_browser:
            return
        if session is not None and session.identity is not None:
            if flow.refresh and flow.requested_aal == "aal1":
                self._populate_refresh(flow, session.identity)
            return
        if flow.requested_aal != "aal1":
            return
        self._first_factor_nodes(flow)
        flow.ui.append(passkey_login_trigger())

    def _first_factor_nodes(self, flow: LoginFlow) -> None:
        options, data = begin_login(self.rp)
        put_session(flow, METHOD, data)
        flow.ui.upsert(
            input_node(
                "identifier",
                "text",
                group="default",
                label=self.forms.identifier_label(),
                value="",
                required=True,
                autocomplete="username webauthn",
            )
        )
        flow.ui.upsert(passkey_challenge(go_json(options)))
        flow.ui.upsert(script_node(self.public_url))
        flow.ui.upsert(passkey_login_input())

    def _populate_refresh(self, flow: LoginFlow, identity: Identity) -> None:
        config = credential_config(identity, METHOD)
        if not config.keys:
            return
        options, data = begin_login(self.rp, config.user_handle, [k.id for k in config.keys])
        put_session(flow, METHOD, data)
        flow.ui.upsert(passkey_challenge(go_json(options)))
        flow.ui.append(script_node(self.public_url))
        flow.ui.upsert(passkey_login_input(autocomplete=False))
        flow.ui.append(passkey_login_trigger())
        name = self.forms.passkey_display_name(identity)
        flow.ui.upsert(input_node("identifier", "hidden", group="default", value=name))

    # -- submit -------------------------------------------------------------------------
    def check_payload(self, flow: LoginFlow, body: dict[str, Any]) -> None:
        """Browser flows only (Kratos: "not responsible" for API flows)."""
        if not flow.is_browser:
            raise FlowValidationError([text.no_strategy("login")])

    async def login(
        self, req: FlowRequest, flow: LoginFlow, body: dict[str, Any], session: Session | None
    ) -> LoginOutcome:
        if flow.requested_aal != "aal1":
            raise FlowValidationError([text.no_strategy("login")])
        if not filled(body, "passkey_login"):
            flow.ui.nodes = []
            flow.ui.set_csrf(flow.csrf_token or "")
            self._first_factor_nodes(flow)
            flow.ui.append(passkey_login_trigger())
            return ShowFlow(relocate=True)
        try:
            assertion = parse_assertion(body.get("passkey_login"))
        except ResponseParseError:
            raise parse_error() from None
        handle = response_user_handle(assertion)
        identity = None
        if handle:
            try:
                identifier = handle.decode("ascii")
            except UnicodeDecodeError:
                identifier = ""
            if identifier:
                identity = await self.pool.find_by_identifier(METHOD, identifier)
        config = credential_config(identity, METHOD)
        if identity is None or not config.keys:
            raise FlowValidationError([text.no_webauthn_user()])
        try:
            result = finish_login(
                self.rp,
                session_of(flow, METHOD),
                assertion,
                config.filtered(passwordless=True),
                user_handle=handle,  # one of the identity's passkey handles (its identifiers)
                discoverable=True,
            )
        except CeremonyError:
            raise verifier_wrong() from None
        pop_session(flow, METHOD)
        await save_sign_count(self.pool, identity, METHOD, result)
        return LoginResult(identity=identity, method=AuthenticationMethod(method=METHOD))
