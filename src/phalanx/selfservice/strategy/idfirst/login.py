"""Identifier-first login (Kratos ``idfirst/strategy_login.go``,
``selfservice.flows.login.style: identifier_first``).

Step 1 shows only ``identifier_first/identifier`` and "Continue". Submitting
``{method: identifier_first, identifier}`` looks the identifier up among *all* credential
identifiers; every login method then adds its step-2 nodes if the identity can use it
(password field, "Send sign in code" ...), the identifier becomes hidden and the flow is
answered with **400** (JSON) or a 303 to the login UI. Nobody found, or no usable method:
4000037 on ``identifier``. With ``security.account_enumeration.mitigate`` credentials are
not even looked at: the methods that could apply are offered to everyone, so a known and
an unknown identifier get the same answer.
"""

from __future__ import annotations

from typing import Any, ClassVar

from phalanx import text
from phalanx.identity.pool import IdentityPool
from phalanx.selfservice.flow.errors import FlowValidationError
from phalanx.selfservice.flow.login.flow import LoginFlow
from phalanx.selfservice.flow.login.strategy import (
    Identified,
    LoginOutcome,
    LoginStrategy,
)
from phalanx.selfservice.flow.results import ShowFlow
from phalanx.selfservice.request import FlowRequest
from phalanx.selfservice.strategy.password.login import string_field_errors
from phalanx.selfservice.traits import TraitForms
from phalanx.session.model import Session
from phalanx.ui import InputType, NodeGroup, input_node
from phalanx.ui.attributes import InputAttributes

__all__ = ["USERNAME_WEBAUTHN", "IdentifierFirstLogin"]

GROUP = NodeGroup.IDENTIFIER_FIRST
USERNAME_WEBAUTHN = "username webauthn"


class IdentifierFirstLogin(LoginStrategy):
    """The ``identifier_first`` method's login cell."""

    id: ClassVar[str] = "identifier_first"

    def __init__(self, pool: IdentityPool, forms: TraitForms, *, mitigate: bool) -> None:
        self.pool = pool
        self.forms = forms
        self.mitigate = mitigate

    def populate(self, flow: LoginFlow, session: Session | None) -> None:
        return None

    def populate_identification(self, flow: LoginFlow) -> None:
        flow.ui.upsert(
            input_node(
                "identifier",
                InputType.TEXT,
                group=GROUP,
                value="",
                required=True,
                autocomplete=USERNAME_WEBAUTHN,
                label=self.forms.identifier_label(),
            )
        )
        flow.ui.append(
            input_node(
                "method", InputType.SUBMIT, group=GROUP, value=self.id, label=text.label_continue()
            )
        )

    def check_payload(self, flow: LoginFlow, body: dict[str, Any]) -> None:
        """``idfirst/.schema/login.schema.json``: ``identifier`` a non-empty string."""
        identifier = body.get("identifier")
        if isinstance(identifier, str):
            flow.ui.set_value("identifier", identifier)
        errors = string_field_errors(body, "identifier", required=True)
        if errors:
            raise FlowValidationError(node_messages=errors)

    async def login(
        self, req: FlowRequest, flow: LoginFlow, body: dict[str, Any], session: Session | None
    ) -> LoginOutcome:
        if flow.requested_aal != "aal1":
            raise FlowValidationError([text.no_strategy("login")])
        identifier = body.get("identifier")
        assert isinstance(identifier, str)
        identity = await self.pool.find_by_any_identifier(identifier)
        if self.mitigate:
            identity = None  # credentials are not looked at: every account looks alike
        flow.ui.reset_messages()
        flow.ui.set_value("identifier", identifier)
        return Identified(identifier=identifier, identity=identity, mitigate=self.mitigate)

    def finish_identified(self, flow: LoginFlow, populated: bool, mitigate: bool) -> ShowFlow:
        if not populated and not mitigate:
            raise FlowValidationError(node_messages=[("identifier", text.account_not_found())])
        flow.ui.remove_matching(input_node("method", InputType.SUBMIT, group=GROUP, value=self.id))
        for node in flow.ui.nodes:
            if node.id == "identifier" and isinstance(node.attributes, InputAttributes):
                node.attributes.autocomplete = USERNAME_WEBAUTHN
                node.attributes.type = InputType.HIDDEN
        return ShowFlow(status=400)
