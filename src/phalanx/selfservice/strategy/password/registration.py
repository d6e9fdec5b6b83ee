"""Password registration (Kratos ``password/registration.go``): traits + password.

Order as Kratos: the whole payload is validated first (traits against the identity schema,
``password`` a required non-empty string), then CSRF (by the flow service), then the
identity's identifiers are derived, then the password policy runs for every identifier,
then the password is hashed (bcrypt refuses more than 72 bytes with 4000033).
"""

from __future__ import annotations

from typing import Any

from phalanx import text
from phalanx.hash import PasswordHashing, PasswordTooLongError
from phalanx.identity.model import Credential, Identity
from phalanx.selfservice.flow.errors import FlowValidationError
from phalanx.selfservice.flow.registration.flow import RegistrationFlow
from phalanx.selfservice.flow.registration.strategy import RegistrationStrategy
from phalanx.selfservice.request import FlowRequest
from phalanx.selfservice.strategy.password.login import string_field_errors
from phalanx.selfservice.strategy.password.policy import PasswordPolicy
from phalanx.selfservice.traits import TraitForms
from phalanx.ui import flatten_values, input_node

__all__ = ["PasswordRegistration"]


class PasswordRegistration(RegistrationStrategy):
    """The ``password`` method's registration cell (the traits' nodes come from here too)."""

    id = "password"

    def __init__(self, forms: TraitForms, hashing: PasswordHashing, policy: PasswordPolicy) -> None:
        self.forms = forms
        self.hashing = hashing
        self.policy = policy

    def populate(self, flow: RegistrationFlow) -> None:
        for node in self.forms.trait_nodes(group="default"):
            flow.ui.upsert(node)
        flow.ui.upsert(
            input_node(
                "password",
                "password",
                group="password",
                label=text.label_password(),
                required=True,
                autocomplete="new-password",
            )
        )
        flow.ui.upsert(
            input_node(
                "method", "submit", group="password", label=text.registration(), value="password"
            )
        )

    def traits_of(self, req: FlowRequest, body: dict[str, Any]) -> Any:
        """The submitted traits (a form's already typed by the registration service)."""
        traits = body.get("traits")
        return {} if traits is None else traits

    def check_payload(self, flow: RegistrationFlow, body: dict[str, Any]) -> None:
        """The registration schema: traits per identity schema, ``password`` required."""
        traits = body.get("traits")
        if traits is None:
            traits = {}
        if isinstance(traits, dict):
            # handleRegistrationError: typed values go back onto the existing nodes only.
            for name, value in flatten_values(traits, "traits").items():
                node = flow.ui.find(name)
                if node is not None:
                    node.attributes.set_value(value)
        flow.ui.reset_values("password")
        errors = list(self.forms.trait_errors(traits))
        errors += string_field_errors(body, "password", required=True)
        if errors:
            raise FlowValidationError(node_messages=errors)

    async def register(
        self, req: FlowRequest, flow: RegistrationFlow, body: dict[str, Any]
    ) -> Identity:
        password = body.get("password")
        assert isinstance(password, str)
        traits = self.traits_of(req, body)
        identity = self.forms.new_identity(traits)
        identifiers = self.forms.password_identifiers(identity)
        if not identifiers:
            raise FlowValidationError([text.identifier_missing()])
        for identifier in identifiers:
            violation = await self.policy.check(password, [identifier])
            if violation is not None:
                raise FlowValidationError(node_messages=[("password", violation)])
        try:
            hashed = await self.hashing.hash(password)
        except PasswordTooLongError as exc:  # bcrypt never truncates: more than 72 bytes
            message = text.password_too_long(exc.max_length, exc.actual_length)
            raise FlowValidationError(node_messages=[("password", message)]) from exc
        identity.credentials["password"] = Credential(
            type="password",
            identifiers=identifiers,
            config={"hashed_password": hashed},
            version=1,
        )
        return identity
