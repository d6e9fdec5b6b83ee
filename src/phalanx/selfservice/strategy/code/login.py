"""The ``code`` method in the login flow (Kratos ``code/strategy_login.go``), passwordless.

* create: ``default/identifier`` and a ``code/method`` button "Send sign in code";
* ``{method: code, identifier}`` (state ``choose_method``, or any state with
  ``resend: code``) -> one 6-digit code per address of the identity's ``code`` credential
  (only the address typed, if it is one of them), by mail or SMS -> ``sent_email``:
  JSON clients get the flow with **400**, browsers a 303 to the login UI;
* ``{method: code, identifier, code}`` (``sent_email``) -> the session; the address the
  code went to is marked verified. Wrong code 4010008, too many attempts and used codes
  4000001, an expired code answers the flow as expired.

An unknown identifier answers 4000035 (Kratos's code method does not hide it). With
``security.account_enumeration.mitigate`` Phalanx goes further: the answer is the one a
known identifier gets (``sent_email``, nothing mailed, the same work done), and any code
entered then is simply wrong (4010008), attempts counted as for a real code.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from phalanx import text
from phalanx.clock import utcnow
from phalanx.errors import AAL1RequiredError, BadRequestError
from phalanx.identity.model import AddressStatus, Identity
from phalanx.identity.pool import IdentityPool
from phalanx.limits.keys import Action, identity_subject
from phalanx.schema.normalize import graceful_normalization
from phalanx.selfservice.flow.base import FlowState
from phalanx.selfservice.flow.errors import ChallengeExpired, FlowValidationError
from phalanx.selfservice.flow.login.flow import LoginFlow
from phalanx.selfservice.flow.login.strategy import LoginOutcome, LoginResult, LoginStrategy
from phalanx.selfservice.flow.results import ShowFlow
from phalanx.selfservice.request import FlowRequest
from phalanx.selfservice.strategy.code.form import GROUP, code_sent_nodes, hide
from phalanx.selfservice.strategy.code.sender import CodeAddress, CodeSender
from phalanx.selfservice.strategy.code.store import (
    CodeExpiredError,
    CodeNotFoundError,
    CodeStore,
)
from phalanx.selfservice.strategy.password.login import string_field_errors
from phalanx.selfservice.traits import TraitForms
from phalanx.session.model import AAL, AuthenticationMethod, Session
from phalanx.ui import InputType, NodeGroup, input_node
from phalanx.ui.attributes import InputAttributes

__all__ = ["CodeLogin", "CodeLoginConfig", "code_addresses", "resend_button"]

_FIELDS = ("code", "identifier", "address", "resend", "method")


@dataclass(frozen=True, slots=True)
class CodeLoginConfig:
    """``selfservice.methods.code``: what the login cell needs of it."""

    max_submissions: int
    fallback: bool = False  # config.missing_credential_fallback_enabled
    mitigate: bool = False  # security.account_enumeration.mitigate
    mfa: bool = False  # mfa_enabled: a second factor (aal2) instead of a first one


def resend_button() -> Any:
    """Login and registration's "Resend code": ``resend=code``."""
    return input_node(
        "resend", InputType.SUBMIT, group=GROUP, value="code", label=text.label_resend_otp()
    )


def code_addresses(identity: Identity) -> list[CodeAddress]:
    """The addresses of the identity's ``code`` credential (Kratos ``CredentialsCode``)."""
    credential = identity.credentials.get("code")
    config = credential.config if credential is not None else {}
    found: list[CodeAddress] = []
    for entry in config.get("addresses") or []:
        if isinstance(entry, dict) and entry.get("address"):
            found.append(CodeAddress(str(entry.get("channel") or "email"), str(entry["address"])))
    return found


def _lower_email(value: str) -> str:
    """Kratos ``maybeNormalizeEmail``: phones capitalise the first letter of e-mails."""
    return value.lower() if "@" in value else value


class CodeLogin(LoginStrategy):
    """The ``code`` method's login cell (shares the sender and store with the other cells)."""

    id: ClassVar[str] = "code"

    def __init__(
        self,
        sender: CodeSender,
        store: CodeStore,
        pool: IdentityPool,
        forms: TraitForms,
        config: CodeLoginConfig,
    ) -> None:
        self.sender = sender
        self.store = store
        self.pool = pool
        self.forms = forms
        self.config = config
        #: passwordless: first factor (aal1); mfa_enabled: second factor (aal2)
        self.levels = frozenset({AAL.AAL2 if config.mfa else AAL.AAL1})
        self.aal = AAL.AAL2 if config.mfa else AAL.AAL1

    def handles(self, body: dict[str, Any]) -> bool:
        """``method: code``; as a second factor also a bare ``address`` (Kratos accepts
        ``{"address": ..., "csrf_token": ...}`` without ``method`` when MFA is on)."""
        if super().handles(body):
            return True
        method = body.get("method")
        return self.config.mfa and not method and bool(body.get("address"))

    # -- form ---------------------------------------------------------------------------
    def mfa_addresses(self, identity: Identity) -> list[CodeAddress]:
        """Where a second-factor code may go: the ``code`` credential's addresses, else
        (``missing_credential_fallback_enabled``) the verifiable addresses."""
        found = code_addresses(identity)
        if not found and self.config.fallback:
            found = [CodeAddress(a.via, a.value) for a in identity.verifiable_addresses if a.value]
        return sorted(found, key=lambda a: (a.to, a.via))

    def populate(self, flow: LoginFlow, session: Session | None) -> None:
        if self.config.mfa:
            identity = session.identity if session is not None else None
            addresses = self.mfa_addresses(identity) if identity is not None else []
            via = _query_value(flow.request_url, "via")
            if via and identity is not None and addresses:
                addresses = [_via_address(identity, via, addresses)]
            for address in addresses:
                flow.ui.append(
                    input_node(
                        "address",
                        InputType.SUBMIT,
                        group=GROUP,
                        value=address.to,
                        label=text.login_aal2_code_address(address.via, address.to),
                    )
                )
            return
        if flow.requested_aal != "aal1":
            return
        flow.ui.upsert(
            input_node(
                "identifier",
                InputType.TEXT,
                group=NodeGroup.DEFAULT,
                value="",
                required=True,
                label=self.forms.identifier_label(),
            )
        )
        flow.ui.append(
            input_node(
                "method", InputType.SUBMIT, group=GROUP, value=self.id, label=text.login_code()
            )
        )

    def populate_identified(
        self, flow: LoginFlow, identity: Identity | None, mitigate: bool
    ) -> bool:
        """Identifier-first step 2: "Send sign in code" for any known identity (Kratos
        does not look at its credentials), for everyone with enumeration mitigation."""
        if identity is None and not mitigate:
            return False
        flow.ui.append(
            input_node(
                "method", InputType.SUBMIT, group=GROUP, value=self.id, label=text.login_code()
            )
        )
        return True

    # -- submit -------------------------------------------------------------------------
    def check_payload(self, flow: LoginFlow, body: dict[str, Any]) -> None:
        """``code/.schema/login.schema.json``: every field a string, ``resend`` only
        ``"code"``; the typed identifier goes back onto its node."""
        errors = []
        for name in _FIELDS:
            value = body.get(name)
            if value is not None and not isinstance(value, str | list):
                errors += string_field_errors(body, name, required=False)
        resend = body.get("resend")
        if isinstance(resend, str) and resend and resend != "code":
            errors.append(("resend", text.validation_generic('value must be "code"')))
        identifier = body.get("address") or body.get("identifier")
        if isinstance(identifier, str):
            flow.ui.set_value("identifier", identifier)
        if errors:
            raise FlowValidationError(node_messages=errors)

    async def login(
        self, req: FlowRequest, flow: LoginFlow, body: dict[str, Any], session: Session | None
    ) -> LoginOutcome:
        if flow.requested_aal != self.aal:
            raise FlowValidationError([text.no_strategy("login")])
        if body.get("resend") == "code" or not flow.state:
            flow.state = FlowState.CHOOSE_METHOD
        if self.config.mfa:
            if session is None or session.identity is None:
                raise AAL1RequiredError()
            if flow.state == FlowState.CHOOSE_METHOD:
                return await self._send_second_factor(req, flow, body, session.identity)
            if flow.state == FlowState.SENT_EMAIL:
                return await self._verify_second_factor(req, flow, body, session.identity)
            raise FlowValidationError([text.no_strategy("login")])
        if flow.state == FlowState.CHOOSE_METHOD:
            return await self._send(req, flow, body, session if flow.refresh else None)
        if flow.state == FlowState.SENT_EMAIL:
            return await self._verify(req, flow, body)
        raise FlowValidationError([text.no_strategy("login")])

    # -- second factor (mfa_enabled) ----------------------------------------------------
    def _session_address(self, identity: Identity, identifier: str) -> CodeAddress:
        """The session identity's address ``identifier`` names. Only the session's own
        addresses are accepted (Kratos v25.4 looked the address up among every identity,
        so a code could be sent to another account's address; ory/kratos#4194)."""
        if not identifier:
            raise FlowValidationError(
                node_messages=[("identifier", text.validation_required("identifier"))]
            )
        wanted = graceful_normalization(identifier)
        for address in self.mfa_addresses(identity):
            if address.to in (identifier, wanted):
                return address
        if self.config.fallback:
            raise FlowValidationError([text.login_address_unknown()])
        raise FlowValidationError([text.no_code_user()])

    async def _send_second_factor(
        self, req: FlowRequest, flow: LoginFlow, body: dict[str, Any], identity: Identity
    ) -> ShowFlow:
        identifier = self._identifier(body, "identifier", "address")
        address = self._session_address(identity, identifier)
        await self.sender.limiter.hit(Action.SENDING, req, address.to)
        await self.store.delete_login_codes(flow.id)
        await self.sender.send_login_codes(flow, identity, [address])
        self.show_code_sent(req, flow, address.to)
        return ShowFlow(status=400)

    async def _verify_second_factor(
        self, req: FlowRequest, flow: LoginFlow, body: dict[str, Any], identity: Identity
    ) -> LoginResult:
        code = body.get("code")
        if isinstance(code, list) and code:
            code = code[0]
        if not isinstance(code, str) or not code:
            raise FlowValidationError(node_messages=[("code", text.validation_required("code"))])
        # The code is looked up for the session's identity only, whatever was typed.
        async with self.sender.limiter.sign_in(req, identity_subject(identity.id)):
            try:
                secret = await self.store.use_login_code(
                    flow.id, identity.id, code.strip(), max_submissions=self.config.max_submissions
                )
            except CodeExpiredError as expired:
                raise ChallengeExpired(expired.expires_at) from None
            except CodeNotFoundError:
                raise FlowValidationError([text.login_code_invalid()]) from None
        flow.state = FlowState.PASSED_CHALLENGE
        await mark_verified(self.pool, identity, secret.address, secret.via)
        return LoginResult(
            identity=identity, method=AuthenticationMethod(method=self.id, aal=AAL.AAL2)
        )

    def _identifier(self, body: dict[str, Any], *first: str) -> str:
        for name in first:
            value = body.get(name)
            if isinstance(value, str) and value:
                return _lower_email(value)
        return ""

    async def find(self, identifier: str) -> tuple[Identity, list[CodeAddress]]:
        """Kratos ``findIdentityForIdentifier`` (first factor): the identity with a
        ``code`` credential for ``identifier`` and its addresses; with the fallback, an
        identity whose verifiable address it is. Else 4000035."""
        if not identifier:
            raise FlowValidationError(
                node_messages=[("identifier", text.validation_required("identifier"))]
            )
        normalized = graceful_normalization(identifier)
        identity = await self.pool.find_by_identifier("code", normalized)
        if identity is not None:
            addresses = code_addresses(identity)
            if addresses:
                return identity, addresses
            raise FlowValidationError([text.no_code_user()])
        if self.config.fallback:
            address = await self.pool.find_verifiable_address("email", normalized)
            fallback = await self.pool.get(address.identity_id) if address else None
            if fallback is not None:
                return fallback, [CodeAddress("email", identifier)]
        raise FlowValidationError([text.no_code_user()])

    async def _find_or_hide(self, identifier: str) -> tuple[Identity, list[CodeAddress]] | None:
        """:meth:`find`; None instead of 4000035 when enumeration is mitigated."""
        try:
            return await self.find(identifier)
        except FlowValidationError as error:
            if self.config.mitigate and identifier and error.messages:
                return None
            raise

    async def _send(
        self,
        req: FlowRequest,
        flow: LoginFlow,
        body: dict[str, Any],
        session: Session | None = None,
    ) -> ShowFlow:
        identifier = self._identifier(body, "identifier", "address")
        if identifier:
            await self.sender.limiter.hit(Action.SENDING, req, identifier)
        found = await self._find_or_hide(identifier)
        if session is not None and found is not None and found[0].id != session.identity_id:
            # A refresh proves the session's identity: another account's address gets no
            # code (Kratos v25.4 sent one and let the refresh switch identities).
            raise FlowValidationError([text.no_code_user()])
        await self.store.delete_login_codes(flow.id)
        if found is None:
            await self.sender.login_stand_in(flow, identifier)
        else:
            identity, addresses = found
            typed = graceful_normalization(identifier)
            chosen = [a for a in addresses if a.to == typed][:1] or addresses
            await self.sender.send_login_codes(flow, identity, chosen)
        self.show_code_sent(req, flow, identifier)
        return ShowFlow(status=400)

    def show_code_sent(self, req: FlowRequest, flow: LoginFlow, identifier: str) -> None:
        """``sent_email``: the identifier kept (hidden), the code field and buttons."""
        kept = [hide(node) for node in flow.ui.nodes if node.id in ("identifier", "address")]
        for node in kept:
            if isinstance(node.attributes, InputAttributes):
                node.attributes.name = "identifier"
        if kept:
            kept[0].attributes.set_value(identifier)
        csrf = flow.ui.find("csrf_token")
        flow.ui.nodes = code_sent_nodes(kept, text.label_login_code(), resend=resend_button())
        if flow.is_browser and csrf is not None:
            flow.ui.append(csrf)
        flow.ui.messages = [text.login_code_sent()]
        flow.state = FlowState.SENT_EMAIL
        flow.active = self.id

    async def _verify(self, req: FlowRequest, flow: LoginFlow, body: dict[str, Any]) -> LoginResult:
        identifier = self._identifier(body, "address", "identifier")
        flow.ui.upsert(
            input_node("identifier", InputType.HIDDEN, group=NodeGroup.DEFAULT, value=identifier)
        )
        code = body.get("code")
        if not isinstance(code, str) or not code:
            raise FlowValidationError(node_messages=[("code", text.validation_required("code"))])
        async with self.sender.limiter.sign_in(req, identifier):
            return await self._use_code(flow, identifier, code)

    async def _use_code(self, flow: LoginFlow, identifier: str, code: str) -> LoginResult:
        found = await self._find_or_hide(identifier)
        # Nobody (mitigated): a code for no identity is counted and matches nothing.
        owner = found[0].id if found is not None else uuid.uuid4()
        try:
            secret = await self.store.use_login_code(
                flow.id, owner, code.strip(), max_submissions=self.config.max_submissions
            )
        except CodeExpiredError as expired:
            raise ChallengeExpired(expired.expires_at) from None
        except CodeNotFoundError:
            raise FlowValidationError([text.login_code_invalid()]) from None
        used = await self.pool.get(secret.identity_id or owner, with_credentials=True)
        if used is None:
            raise FlowValidationError([text.login_code_invalid()])
        flow.state = FlowState.PASSED_CHALLENGE
        await mark_verified(self.pool, used, secret.address, secret.via)
        return LoginResult(identity=used, method=AuthenticationMethod(method=self.id))


async def mark_verified(
    pool: IdentityPool, identity: Identity, address: str | None, via: str | None
) -> None:
    """A code that reached ``address`` proves it: verify the identity's matching address
    (Kratos ``verifyAddress`` + the update in ``loginVerifyCode``)."""
    for candidate in identity.verifiable_addresses:
        if candidate.verified or candidate.value != address:
            continue
        if via is not None and candidate.via != via:
            continue
        candidate.verified = True
        candidate.verified_at = utcnow()
        candidate.status = AddressStatus.COMPLETED
        await pool.update_verifiable_address(candidate)
        return


def _query_value(url: str, name: str) -> str:
    """The first ``name`` query parameter of ``url`` ("" when absent)."""
    return parse_qs(urlsplit(url).query).get(name, [""])[0]


def _via_address(identity: Identity, via: str, addresses: Sequence[CodeAddress]) -> CodeAddress:
    """The deprecated ``?via=<trait path>`` of an aal2 login flow: only the address that
    trait holds (normalised as Kratos's ``GracefulNormalization``); a trait without a value
    or one that is no code address answers 400 as Kratos does."""
    value: Any = identity.traits
    for part in via.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            value = None
    if value is None or value == "" or isinstance(value, dict | list):
        raise BadRequestError(f"No value found for trait {via} in the current identity.")
    wanted = graceful_normalization(str(value))
    for address in addresses:
        if address.to == wanted:
            return address
    raise BadRequestError(
        "You can only reference a trait that matches a verification email address in the via "
        "parameter, or a registered credential."
    )
