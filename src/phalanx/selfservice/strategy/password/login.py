"""Password login (Kratos ``password/login.go``): identifier + password, constant-ish time."""

from __future__ import annotations

from typing import Any

from phalanx import text
from phalanx.hash import PasswordHashing, needs_rehash
from phalanx.identity.manager import IdentityManager
from phalanx.identity.model import Identity
from phalanx.schema import normalize_identifier
from phalanx.selfservice.flow.errors import FlowValidationError
from phalanx.selfservice.flow.login.flow import LoginFlow
from phalanx.selfservice.flow.login.strategy import LoginResult, LoginStrategy
from phalanx.selfservice.request import FlowRequest
from phalanx.selfservice.traits import TraitForms
from phalanx.session.model import AuthenticationMethod, Session
from phalanx.ui import input_node

__all__ = ["PasswordLogin"]


class PasswordLogin(LoginStrategy):
    id = "password"

    def __init__(
        self, identities: IdentityManager, forms: TraitForms, hashing: PasswordHashing
    ) -> None:
        self.identities = identities
        self.forms = forms
        self.hashing = hashing

    async def find(self, identifier: str) -> Identity | None:
        """The identity whose password identifier is ``identifier`` (normalized as stored)."""
        return await self.identities.pool.find_by_identifier(
            "password", normalize_identifier(identifier)
        )

    def populate(self, flow: LoginFlow, session: Session | None) -> None:
        identifier_value = None
        if session is not None and session.identity is not None:
            identifiers = self.forms.password_identifiers(session.identity)
            if identifiers:
                identifier_value = identifiers[0]
        flow.ui.nodes.append(
            input_node(
                "identifier",
                "hidden" if identifier_value else "text",
                group="default",
                label=self.forms.identifier_label(),
                value=identifier_value,
                required=True,
                autocomplete=None if identifier_value else "username",
            )
        )
        flow.ui.nodes.append(
            input_node(
                "password",
                "password",
                group="password",
                label=text.label_password(),
                required=True,
                autocomplete="current-password",
            )
        )
        flow.ui.nodes.append(
            input_node("method", "submit", group="password", label=text.login(), value="password")
        )

    async def login(
        self, req: FlowRequest, flow: LoginFlow, body: dict[str, Any], session: Session | None
    ) -> LoginResult:
        identifier = body.get("identifier", body.get("password_identifier"))
        password = body.get("password")
        missing = []
        if not isinstance(identifier, str) or not identifier.strip():
            missing.append(("identifier", text.validation_required("identifier")))
        if not isinstance(password, str) or not password:
            missing.append(("password", text.validation_required("password")))
        if missing:
            raise FlowValidationError(node_messages=missing)
        assert isinstance(identifier, str) and isinstance(password, str)
        flow.ui.set_value("identifier", identifier)
        identity = await self.find(identifier)
        credential = identity.credentials.get("password") if identity else None
        hashed = credential.config.get("hashed_password") if credential else None
        if identity is None or credential is None or not isinstance(hashed, str) or not hashed:
            await self.hashing.verify_dummy(password)
            raise FlowValidationError([text.invalid_credentials()])
        if not await self.hashing.verify(password, hashed):
            raise FlowValidationError([text.invalid_credentials()])
        if needs_rehash(hashed, self.hashing.hasher):
            # Imported or outdated hash: store one of the configured hasher (Kratos
            # migratePasswordHash), best effort.
            credential.config = {
                **credential.config,
                "hashed_password": await self.hashing.hash(password),
            }
            credential.config.pop("use_password_migration_hook", None)
            await self.identities.update(identity)
        return LoginResult(identity=identity, method=AuthenticationMethod(method="password"))
