"""WebAuthn login (Kratos ``webauthn/login.go``): browser flows only.

* ``passwordless: true`` -- a first factor (aal1) in two steps: the identifier, then the
  security key (the flow is rebuilt with the key's options and shown again).
* ``passwordless: false`` -- a second factor (aal2) for the session's identity.
* refresh -- the session identity's keys for the requested level; any key is accepted.

An unknown identifier waits like a password hash would and answers as an identity
without keys (4000015). The challenge lives in the flow's internal context and is
forgotten once answered, so a replayed response fails.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from phalanx import text
from phalanx.identity.model import Identity
from phalanx.identity.pool import IdentityPool
from phalanx.schema import normalize_identifier
from phalanx.selfservice.flow.errors import FlowValidationError
from phalanx.selfservice.flow.login.flow import LoginFlow
from phalanx.selfservice.flow.login.strategy import LoginOutcome, LoginResult, LoginStrategy
from phalanx.selfservice.flow.results import ShowFlow
from phalanx.selfservice.request import FlowRequest
from phalanx.selfservice.strategy.password.login import string_field_errors
from phalanx.selfservice.strategy.webauthn.support import (
    credential_config,
    filled,
    parse_error,
    pop_session,
    put_session,
    random_delay,
    save_sign_count,
    session_of,
    verifier_wrong,
)
from phalanx.selfservice.traits import TraitForms
from phalanx.session.model import AAL, AuthenticationMethod, Session
from phalanx.text import UiText
from phalanx.ui import input_node
from phalanx.webauthnx import (
    CeremonyError,
    RelyingParty,
    ResponseParseError,
    begin_login,
    finish_login,
    parse_assertion,
    script_node,
)
from phalanx.webauthnx.nodes import go_json, webauthn_login_input, webauthn_login_trigger

__all__ = ["WebAuthnLogin", "WebAuthnLoginSettings"]

METHOD = "webauthn"


@dataclass(frozen=True, slots=True)
class WebAuthnLoginSettings:
    """``passwordless`` and the timing of the unknown-identifier answer (argon2's
    ``expected_duration`` ± ``expected_deviation``, seconds)."""

    passwordless: bool
    public_url: str
    delay: float = 0.5
    deviation: float = 0.5


class WebAuthnLogin(LoginStrategy):
    """The ``webauthn`` method's login cell."""

    id = METHOD
    #: ``webauthn.js`` submits the form without the button: a non-empty ``webauthn_login``
    #: makes this method responsible.
    implicit_fields: ClassVar[tuple[str, ...]] = ("webauthn_login",)

    def __init__(
        self,
        pool: IdentityPool,
        forms: TraitForms,
        rp: RelyingParty,
        settings: WebAuthnLoginSettings,
    ) -> None:
        self.pool = pool
        self.forms = forms
        self.rp = rp
        self.settings = settings
        # A first factor joins aal1 flows; a second factor only aal2 flows (login.CheckAAL).
        self.levels = frozenset({AAL.AAL1 if settings.passwordless else AAL.AAL2})

    @property
    def passwordless(self) -> bool:
        return self.settings.passwordless

    # -- form ---------------------------------------------------------------------------
    def populate(self, flow: LoginFlow, session: Session | None) -> None:
        if not flow.is_browser:
            return
        if session is not None and session.identity is not None:
            if flow.refresh:
                self._populate_refresh(flow, session.identity)
            elif flow.requested_aal == "aal2" and not self.passwordless:
                self._offer_keys(flow, session.identity, text.login_webauthn(), passwordless=False)
            return
        if flow.requested_aal != "aal1" or not self.passwordless:
            return
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
        flow.ui.append(
            input_node("method", "submit", group=METHOD, label=text.login_webauthn(), value=METHOD)
        )

    def _populate_refresh(self, flow: LoginFlow, identity: Identity) -> None:
        credential = identity.credentials.get(METHOD)
        identifier = credential.identifiers[0] if credential and credential.identifiers else ""
        if not identifier:
            return
        passwordless = flow.requested_aal == "aal1"
        if self._offer_keys(flow, identity, text.login_webauthn(), passwordless=passwordless):
            flow.ui.upsert(input_node("identifier", "hidden", group="default", value=identifier))

    def _offer_keys(
        self, flow: LoginFlow, identity: Identity, label: UiText, *, passwordless: bool
    ) -> bool:
        """``populateLoginMethod``: options for the identity's keys of that kind, the
        script, the trigger and the result input. False when it has no such key."""
        credential = identity.credentials.get(METHOD)
        config = credential_config(identity, METHOD)
        keys = config.filtered(passwordless=passwordless)
        if credential is None or not keys:
            return False
        options, data = begin_login(self.rp, config.user_handle, [k.id for k in keys])
        put_session(flow, METHOD, data)
        if credential.identifiers:
            flow.ui.upsert(
                input_node("identifier", "hidden", group="default", value=credential.identifiers[0])
            )
        flow.ui.upsert(script_node(self.settings.public_url))
        flow.ui.remove("webauthn_login_trigger")
        flow.ui.append(webauthn_login_trigger(go_json(options), label))
        flow.ui.upsert(webauthn_login_input())
        return True

    # -- submit -------------------------------------------------------------------------
    def check_payload(self, flow: LoginFlow, body: dict[str, Any]) -> None:
        """Browser flows only; ``login.schema.json``: ``identifier`` is a required
        non-empty string."""
        if not flow.is_browser:
            raise FlowValidationError([text.no_strategy("login")])
        errors = string_field_errors(body, "identifier", required=True)
        if errors:
            raise FlowValidationError(node_messages=errors)

    async def login(
        self, req: FlowRequest, flow: LoginFlow, body: dict[str, Any], session: Session | None
    ) -> LoginOutcome:
        if self.passwordless or (flow.refresh and flow.requested_aal == "aal1"):
            return await self._first_factor(flow, body)
        if session is None or flow.requested_aal != "aal2":
            raise FlowValidationError([text.no_strategy("login")])
        identity = await self.pool.get(session.identity_id, with_credentials=True)
        if identity is None:
            raise FlowValidationError([text.no_webauthn_device()])
        return await self._authenticate(flow, body, identity, aal="aal2")

    async def _first_factor(self, flow: LoginFlow, body: dict[str, Any]) -> LoginOutcome:
        if flow.requested_aal != "aal1":
            raise FlowValidationError([text.no_strategy("login")])
        identifier = str(body.get("identifier") or "")
        identity = await self.pool.find_by_identifier(METHOD, normalize_identifier(identifier))
        if identity is None:
            await random_delay(self.settings.delay, self.settings.deviation)
            raise FlowValidationError([text.no_webauthn_user()])
        if not filled(body, "webauthn_login"):
            previous = flow.ui.nodes
            flow.ui.nodes = []
            if not self._offer_keys(flow, identity, text.login_continue(), passwordless=True):
                flow.ui.nodes = previous
                raise FlowValidationError([text.no_webauthn_user()])
            flow.ui.set_csrf(flow.csrf_token or "")
            flow.ui.messages = [text.login_webauthn_passwordless()]
            flow.ui.upsert(
                input_node("identifier", "hidden", group="default", value=identifier, required=True)
            )
            return ShowFlow(relocate=True)
        return await self._authenticate(flow, body, identity, aal="aal1")

    async def _authenticate(
        self, flow: LoginFlow, body: Mapping[str, Any], identity: Identity, *, aal: str
    ) -> LoginResult:
        config = credential_config(identity, METHOD)
        if identity.credentials.get(METHOD) is None or not config.keys:
            raise FlowValidationError([text.no_webauthn_device()])
        try:
            assertion = parse_assertion(body.get("webauthn_login"))
        except ResponseParseError:
            raise parse_error() from None
        keys = config.keys if flow.refresh else config.filtered(passwordless=aal == "aal1")
        try:
            result = finish_login(
                self.rp,
                session_of(flow, METHOD),
                assertion,
                keys,
                user_handle=config.user_handle,
            )
        except CeremonyError:
            raise verifier_wrong() from None
        pop_session(flow, METHOD)
        await save_sign_count(self.pool, identity, METHOD, result)
        level = "aal1" if self.passwordless else "aal2"
        return LoginResult(identity=identity, method=AuthenticationMethod(method=METHOD, aal=level))
