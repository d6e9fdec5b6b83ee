"""Password change in the settings flow (Kratos ``password/settings.go``). Always privileged."""

from __future__ import annotations

import copy
from typing import Any

from phalanx import text
from phalanx.hash import PasswordHashing
from phalanx.identity.model import Credential, Identity
from phalanx.selfservice.flow.errors import FlowValidationError
from phalanx.selfservice.flow.settings.flow import SettingsFlow
from phalanx.selfservice.flow.settings.strategy import SettingsResult, SettingsStrategy
from phalanx.selfservice.request import FlowRequest
from phalanx.selfservice.strategy.password.policy import PasswordPolicy
from phalanx.selfservice.traits import TraitForms
from phalanx.session.model import Session
from phalanx.ui import input_node

__all__ = ["PasswordSettings"]


class PasswordSettings(SettingsStrategy):
    id = "password"

    def __init__(self, forms: TraitForms, hashing: PasswordHashing, policy: PasswordPolicy) -> None:
        self.forms = forms
        self.hashing = hashing
        self.policy = policy

    def populate(self, flow: SettingsFlow, identity: Identity) -> None:
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
                "method", "submit", group="password", label=text.label_save(), value="password"
            )
        )

    async def update(
        self, req: FlowRequest, flow: SettingsFlow, body: dict[str, Any], session: Session
    ) -> SettingsResult:
        assert session.identity is not None
        if "password" not in body or body.get("password") is None:
            raise FlowValidationError(
                node_messages=[("password", text.validation_required("password"))]
            )
        password = body.get("password")
        if not isinstance(password, str):
            raise FlowValidationError(
                node_messages=[
                    ("password", text.validation_wrong_type(["string"], type(password).__name__))
                ]
            )
        if password == "":
            raise FlowValidationError(
                node_messages=[("password", text.validation_min_length(1, 0))]
            )
        identity = copy.deepcopy(session.identity)
        identifiers = self.forms.password_identifiers(identity)
        violation = await self.policy.check(password, identifiers)
        if violation is not None:
            raise FlowValidationError(node_messages=[("password", violation)])
        existing = identity.credentials.get("password")
        old_hash = existing.config.get("hashed_password") if existing else None
        if isinstance(old_hash, str) and old_hash and await self.hashing.verify(password, old_hash):
            raise FlowValidationError(node_messages=[("password", text.password_same_as_old())])
        hashed = await self.hashing.hash(password)
        if existing is None:
            identity.credentials["password"] = Credential(
                type="password",
                identifiers=identifiers,
                config={"hashed_password": hashed},
                version=1,
            )
        else:
            existing.config = {"hashed_password": hashed}
            existing.identifiers = identifiers or existing.identifiers
        return SettingsResult(identity=identity, privileged=True, update_credentials=True)
