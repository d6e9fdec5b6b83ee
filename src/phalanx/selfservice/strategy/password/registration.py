"""Password registration (Kratos ``password/registration.go``): traits + password."""

from __future__ import annotations

from typing import Any

from phalanx import text
from phalanx.hash import PasswordHashing
from phalanx.identity.model import Credential, Identity
from phalanx.selfservice.flow.errors import FlowValidationError
from phalanx.selfservice.flow.registration.flow import RegistrationFlow
from phalanx.selfservice.flow.registration.strategy import RegistrationStrategy
from phalanx.selfservice.request import FlowRequest
from phalanx.selfservice.strategy.password.policy import PasswordPolicy
from phalanx.selfservice.traits import TraitForms
from phalanx.ui import input_node

__all__ = ["PasswordRegistration"]


class PasswordRegistration(RegistrationStrategy):
    id = "password"

    def __init__(self, forms: TraitForms, hashing: PasswordHashing, policy: PasswordPolicy) -> None:
        self.forms = forms
        self.hashing = hashing
        self.policy = policy

    def populate(self, flow: RegistrationFlow) -> None:
        flow.ui.nodes.extend(self.forms.trait_nodes(group="default"))
        flow.ui.nodes.append(
            input_node(
                "password",
                "password",
                group="password",
                label=text.label_password(),
                required=True,
                autocomplete="new-password",
            )
        )
        flow.ui.nodes.append(
            input_node(
                "method", "submit", group="password", label=text.registration(), value="password"
            )
        )

    async def register(
        self, req: FlowRequest, flow: RegistrationFlow, body: dict[str, Any]
    ) -> Identity:
        traits = body.get("traits")
        if not isinstance(traits, dict):
            traits = {}
        password = body.get("password")
        flow.ui.update_values(traits, prefix="traits", group="default")
        errors = self.forms.trait_errors(traits)
        if not isinstance(password, str) or not password:
            errors.append(("password", text.validation_required("password")))
        if errors:
            raise FlowValidationError(node_messages=errors)
        assert isinstance(password, str)
        identity = self.forms.new_identity(traits)
        identifiers = self.forms.password_identifiers(identity)
        if not identifiers:
            raise FlowValidationError([text.identifier_missing()])
        violation = await self.policy.check(password, identifiers)
        if violation is not None:
            raise FlowValidationError(node_messages=[("password", violation)])
        identity.credentials["password"] = Credential(
            type="password",
            identifiers=identifiers,
            config={"hashed_password": await self.hashing.hash(password)},
            version=1,
        )
        return identity
