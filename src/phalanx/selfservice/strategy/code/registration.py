"""The ``code`` method in the registration flow (Kratos ``code/strategy_registration.go``).

* create: a ``code/method`` button "Send sign up code" next to the traits;
* ``{method: code, traits}`` (``choose_method``, or any state with ``resend: code``) ->
  the traits are validated (no ``code`` identifier in the schema: 4000009), one code per
  ``code`` address is sent -> ``sent_email`` (JSON **400** + flow, browsers 303): the
  trait fields hidden, the code field, "Continue", "Resend code" and, with
  ``profile_first``, "Back" (``screen=credential-selection``);
* ``{method: code, traits, code}`` (``sent_email``) -> traits that differ from the hidden
  ones answer 4000036, a wrong code 4040003; a right one returns the identity with the
  address the code reached already verified (the flow's hooks then run as for any
  registration).

With ``security.account_enumeration.mitigate`` (Phalanx goes beyond Kratos here) an
address that has an account gets no code: its owner is mailed a notice, the answer is
the one a new address gets, and any code entered afterwards is wrong (4040003).
"""

from __future__ import annotations

from typing import Any, ClassVar

from phalanx import text
from phalanx.clock import utcnow
from phalanx.identity.model import AddressStatus, Identity
from phalanx.identity.pool import IdentityPool
from phalanx.limits.keys import Action
from phalanx.selfservice.flow.base import FlowState
from phalanx.selfservice.flow.errors import ChallengeExpired, FlowValidationError
from phalanx.selfservice.flow.registration.flow import RegistrationFlow
from phalanx.selfservice.flow.registration.strategy import (
    RegistrationOutcome,
    RegistrationStrategy,
    first_value,
)
from phalanx.selfservice.flow.results import ShowFlow
from phalanx.selfservice.request import FlowRequest
from phalanx.selfservice.strategy.code.form import GROUP, code_sent_nodes, hide
from phalanx.selfservice.strategy.code.login import code_addresses, resend_button
from phalanx.selfservice.strategy.code.sender import CodeSender
from phalanx.selfservice.strategy.code.store import (
    CodeExpiredError,
    CodeNotFoundError,
    CodeStore,
)
from phalanx.selfservice.strategy.profile.registration import back_to_credentials
from phalanx.selfservice.traits import TraitForms
from phalanx.ui import InputType, NodeGroup, UiNode, flatten_values, input_node
from phalanx.ui.attributes import InputAttributes

__all__ = ["CodeRegistration"]


def _send_button() -> UiNode:
    return input_node(
        "method", InputType.SUBMIT, group=GROUP, value="code", label=text.registration_code()
    )


class CodeRegistration(RegistrationStrategy):
    """The ``code`` method's registration cell (shares the sender and store)."""

    id: ClassVar[str] = "code"

    def __init__(
        self,
        sender: CodeSender,
        store: CodeStore,
        forms: TraitForms,
        *,
        max_submissions: int,
        two_step: bool,
        pool: IdentityPool | None = None,
        mitigate: bool = False,
    ) -> None:
        self.sender = sender
        self.store = store
        self.forms = forms
        self.max_submissions = max_submissions
        self.two_step = two_step
        #: security.account_enumeration.mitigate: taken addresses get a notice, no code
        self.pool = pool
        self.mitigate = mitigate and pool is not None

    # -- forms ----------------------------------------------------------------------------
    def populate(self, flow: RegistrationFlow) -> None:
        flow.ui.append(_send_button())

    def _remove_code_screen(self, flow: RegistrationFlow) -> None:
        for node in (
            resend_button(),
            back_to_credentials(),
            input_node("method", InputType.SUBMIT, group=GROUP, value="code"),
            input_node("method", InputType.HIDDEN, group=GROUP, value="code"),
        ):
            flow.ui.remove_matching(node)
        flow.ui.remove("code")

    def populate_profile(self, flow: RegistrationFlow, traits: Any) -> None:
        self._remove_code_screen(flow)

    def populate_credentials(self, flow: RegistrationFlow, traits: Any) -> None:
        self._remove_code_screen(flow)
        flow.ui.append(_send_button())

    # -- submit ----------------------------------------------------------------------------
    @staticmethod
    def _show_submitted(flow: RegistrationFlow, body: dict[str, Any]) -> None:
        """``HandleRegistrationError``: the submitted traits back onto their nodes."""
        traits = body.get("traits")
        if isinstance(traits, dict):
            for name, value in flatten_values(traits, "traits").items():
                node = flow.ui.find(name)
                if node is not None:
                    node.attributes.set_value(value)

    def check_payload(self, flow: RegistrationFlow, body: dict[str, Any]) -> None:
        traits = body.get("traits")
        errors = list(self.forms.trait_errors(traits if traits is not None else {}))
        if errors:
            self._show_submitted(flow, body)
            raise FlowValidationError(node_messages=errors)

    async def register(
        self, req: FlowRequest, flow: RegistrationFlow, body: dict[str, Any]
    ) -> RegistrationOutcome:
        try:
            return await self._register(req, flow, body)
        except FlowValidationError:
            # Once a code is out, the hidden traits stay those it was sent for (Kratos
            # overwrites them with the rejected submission, so that a second try with the
            # changed traits passes its own mismatch check).
            if flow.state != FlowState.SENT_EMAIL:
                self._show_submitted(flow, body)
            raise

    async def _register(
        self, req: FlowRequest, flow: RegistrationFlow, body: dict[str, Any]
    ) -> RegistrationOutcome:
        if first_value(body.get("resend")) == "code":
            flow.state = FlowState.CHOOSE_METHOD
        if flow.state == FlowState.CHOOSE_METHOD:
            return await self._send(req, flow, body)
        if flow.state == FlowState.SENT_EMAIL:
            return await self._verify(req, flow, body)
        raise FlowValidationError([text.registration_no_strategy()])

    def _identity(self, req: FlowRequest, body: dict[str, Any]) -> tuple[Any, Identity]:
        raw = body.get("traits")
        if not raw:
            raise FlowValidationError(
                node_messages=[("traits", text.validation_required("traits"))]
            )
        traits = self.forms.submitted_traits(req, body)
        identity = self.forms.new_identity(traits if isinstance(traits, dict) else {})
        if not code_addresses(identity):
            raise FlowValidationError([text.identifier_missing()])
        return traits, identity

    async def _send(
        self, req: FlowRequest, flow: RegistrationFlow, body: dict[str, Any]
    ) -> ShowFlow:
        traits, identity = self._identity(req, body)
        addresses = code_addresses(identity)
        for address in addresses:
            await self.sender.limiter.hit(Action.SENDING, req, address.to)
        await self.store.delete_registration_codes(flow.id)
        if self.mitigate and self.pool is not None:
            # Phalanx: an address that has an account gets its owner a notice instead of
            # a code; the answer is the same, and any code entered then is wrong.
            fresh = []
            for address in addresses:
                if await self.pool.find_by_identifier("code", address.to) is None:
                    fresh.append(address)
                else:
                    await self.sender.registration_taken(flow, address)
            addresses = fresh
        await self.sender.send_registration_codes(flow, traits, addresses)
        kept: list[UiNode] = []
        for node in flow.ui.nodes:
            attributes = node.attributes
            if isinstance(attributes, InputAttributes) and attributes.type == InputType.SUBMIT:
                continue
            if node.group == NodeGroup.DEFAULT:
                kept.append(node if node.messages else hide(node))
        back = back_to_credentials() if self.two_step else None
        flow.ui.nodes = code_sent_nodes(
            kept, text.label_registration_code(), resend=resend_button(), back=back
        )
        flow.ui.update_values(traits, prefix="traits", group=NodeGroup.DEFAULT)
        flow.ui.messages = [text.registration_code_sent()]
        flow.state = FlowState.SENT_EMAIL
        flow.active = self.id
        return ShowFlow(status=400)

    async def _verify(
        self, req: FlowRequest, flow: RegistrationFlow, body: dict[str, Any]
    ) -> Identity:
        code = first_value(body.get("code"))
        if not isinstance(code, str) or not code:
            raise FlowValidationError(node_messages=[("code", text.validation_required("code"))])
        await self.sender.limiter.hit(Action.CODE_SUBMISSION, req, str(flow.id))
        traits, identity = self._identity(req, body)
        for name, value in flatten_values(traits, "traits").items():
            node = flow.ui.find(name)
            if node is not None and node.value != value:
                raise FlowValidationError([text.traits_mismatch()])
        addresses = [a.to for a in code_addresses(identity)]
        try:
            secret = await self.store.use_registration_code(
                flow.id, code.strip(), addresses, max_submissions=self.max_submissions
            )
        except CodeExpiredError as expired:
            raise ChallengeExpired(expired.expires_at) from None
        except CodeNotFoundError:
            raise FlowValidationError([text.registration_code_invalid()]) from None
        for address in identity.verifiable_addresses:
            if address.value == secret.address and (
                secret.via is None or address.via == secret.via
            ):
                address.verified = True
                address.verified_at = utcnow()
                address.status = AddressStatus.COMPLETED
                break
        flow.state = FlowState.PASSED_CHALLENGE
        return identity
