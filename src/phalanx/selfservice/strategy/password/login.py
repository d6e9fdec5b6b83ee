"""Password login (Kratos ``password/login.go``): identifier + password.

No account enumeration: an unknown identifier (or an identity without a password) spends
the time of one real verification against a dummy hash of the configured hasher and gets
the same message 4000006 as a wrong password. Hashes the configured hasher does not
understand (imported md5, pbkdf2, ...) are replaced by a fresh one after a successful
login (Kratos ``migratePasswordHash``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from phalanx import text
from phalanx.errors import MisconfigurationError
from phalanx.hash import PasswordHashing
from phalanx.identity.manager import IdentityManager
from phalanx.identity.model import Identity
from phalanx.limits.limiter import Limiter
from phalanx.schema import normalize_identifier
from phalanx.selfservice.flow.errors import FlowValidationError
from phalanx.selfservice.flow.login.flow import LoginFlow
from phalanx.selfservice.flow.login.strategy import LoginResult, LoginStrategy
from phalanx.selfservice.request import FlowRequest
from phalanx.selfservice.traits import TraitForms
from phalanx.session.model import AuthenticationMethod, Session
from phalanx.text import UiText
from phalanx.ui import input_node

if TYPE_CHECKING:
    from phalanx.selfservice.hook.password_migration import PasswordMigrationHook

__all__ = ["PasswordLogin", "string_field_errors"]

log = logging.getLogger("phalanx.password")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "string"


def string_field_errors(
    body: dict[str, Any], name: str, *, required: bool
) -> list[tuple[str, UiText]]:
    """JSON-schema errors of a ``{"type": "string", "minLength": 1}`` body field, as
    Kratos's ``ParseError`` puts them on the node named like the field."""
    if name not in body:
        return [(name, text.validation_required(name))] if required else []
    value = body[name]
    if not isinstance(value, str):
        return [(name, text.validation_wrong_type(["string"], _json_type(value)))]
    if not value:
        return [(name, text.validation_min_length(1, 0))]
    return []


class PasswordLogin(LoginStrategy):
    """The ``password`` method's login cell."""

    id = "password"

    def __init__(
        self,
        identities: IdentityManager,
        forms: TraitForms,
        hashing: PasswordHashing,
        migration: PasswordMigrationHook | None = None,
        limiter: Limiter | None = None,
    ) -> None:
        self.identities = identities
        #: ``phalanx.rate_limits``: sign-in budgets and lockout, checked before the hash.
        self.limiter = limiter or Limiter.off()
        self.forms = forms
        self.hashing = hashing
        #: ``migrate_hook`` when enabled (identities imported without a hash).
        self.migration = migration

    async def find(self, identifier: str) -> Identity | None:
        """The identity whose password identifier is ``identifier`` (normalized as stored)."""
        return await self.identities.pool.find_by_identifier(
            "password", normalize_identifier(identifier)
        )

    # -- form ---------------------------------------------------------------------------
    def populate(self, flow: LoginFlow, session: Session | None) -> None:
        if session is not None:
            self._populate_refresh(flow, session)
            return
        flow.ui.upsert(
            input_node(
                "identifier",
                "text",
                group="default",
                label=self.forms.identifier_label(),
                value="",
                required=True,
            )
        )
        flow.ui.upsert(self._password_node())
        flow.ui.append(
            input_node(
                "method", "submit", group="password", label=text.login_password(), value="password"
            )
        )

    def _populate_refresh(self, flow: LoginFlow, session: Session) -> None:
        """``PopulateLoginMethodFirstFactorRefresh``: the session's identifier, hidden;
        nothing at all when the identity has no password."""
        identity = session.identity
        if identity is None:
            return
        credential = identity.credentials.get("password")
        identifiers = list(credential.identifiers) if credential else []
        if not identifiers:
            identifiers = self.forms.password_identifiers(identity)
        if credential is None or not identifiers:
            return
        flow.ui.upsert(input_node("identifier", "hidden", group="default", value=identifiers[0]))
        flow.ui.upsert(self._password_node())
        flow.ui.append(
            input_node("method", "submit", group="password", label=text.login(), value="password")
        )

    def populate_identified(
        self, flow: LoginFlow, identity: Identity | None, mitigate: bool
    ) -> bool:
        """Identifier-first step 2: the password field and "Sign in with password" when
        the identity has a password (always, with enumeration mitigation)."""
        credential = identity.credentials.get("password") if identity is not None else None
        has = bool(
            credential is not None
            and credential.identifiers
            and credential.config.get("hashed_password")
        )
        if has or mitigate:
            flow.ui.upsert(self._password_node())
            flow.ui.append(
                input_node(
                    "method",
                    "submit",
                    group="password",
                    label=text.login_password(),
                    value="password",
                )
            )
        return has

    @staticmethod
    def _password_node() -> Any:
        return input_node(
            "password",
            "password",
            group="password",
            label=text.label_password(),
            required=True,
            autocomplete="current-password",
        )

    # -- submit -------------------------------------------------------------------------
    def check_payload(self, flow: LoginFlow, body: dict[str, Any]) -> None:
        """``login.schema.json``: ``password`` and ``identifier`` (or the legacy
        ``password_identifier``) are required non-empty strings."""
        flow.ui.reset_values("password")
        legacy = body.get("password_identifier")
        identifier = body.get("identifier")
        shown = identifier if isinstance(identifier, str) and identifier else legacy
        if isinstance(shown, str):
            flow.ui.set_value("identifier", shown)
        errors = string_field_errors(body, "password", required=True)
        if isinstance(legacy, str) and legacy:
            pass
        else:
            errors += string_field_errors(body, "identifier", required=True)
        if errors:
            raise FlowValidationError(node_messages=errors)

    async def login(
        self, req: FlowRequest, flow: LoginFlow, body: dict[str, Any], session: Session | None
    ) -> LoginResult:
        identifier = body.get("identifier") or body.get("password_identifier")
        password = body.get("password")
        assert isinstance(identifier, str) and isinstance(password, str)
        async with self.limiter.sign_in(req, identifier):
            return await self._login(req, flow, identifier, password)

    async def _login(
        self, req: FlowRequest, flow: LoginFlow, identifier: str, password: str
    ) -> LoginResult:
        identity = await self.find(identifier)
        credential = identity.credentials.get("password") if identity else None
        hashed = credential.config.get("hashed_password") if credential else None
        migrating = credential is not None and credential.config.get("use_password_migration_hook")
        if identity is not None and migrating and not hashed:
            await self._ask_legacy_system(req, flow, identity, identifier, password)
            return LoginResult(identity=identity, method=AuthenticationMethod(method="password"))
        if identity is None or credential is None or not isinstance(hashed, str) or not hashed:
            await self.hashing.verify_dummy(password)
            raise FlowValidationError([text.invalid_credentials()])
        if not await self.hashing.verify(password, hashed):
            raise FlowValidationError([text.invalid_credentials()])
        if self.hashing.needs_rehash(hashed, check_params=False):
            await self._migrate_hash(identity, password)
        return LoginResult(identity=identity, method=AuthenticationMethod(method="password"))

    async def _ask_legacy_system(
        self, req: FlowRequest, flow: LoginFlow, identity: Identity, identifier: str, password: str
    ) -> None:
        """Kratos ``ShouldUsePasswordMigrationHook``: the old system decides; on a match the
        password is hashed and stored (the flag dropped), so it is asked only once."""
        if self.migration is None:
            raise MisconfigurationError(
                "Password migration hook is not enabled but password migration is requested."
            )
        if not await self.migration.verify(req, flow, identity, identifier, password):
            raise FlowValidationError([text.invalid_credentials()])
        credential = identity.credentials["password"]
        credential.config = {
            **credential.config,
            "hashed_password": await self.hashing.hash(password),
        }
        credential.config.pop("use_password_migration_hook", None)
        await self.identities.update(identity)

    async def _migrate_hash(self, identity: Identity, password: str) -> None:
        """Store a hash of the configured hasher; on failure keep the old one (Kratos)."""
        credential = identity.credentials["password"]
        try:
            new_hash = await self.hashing.hash(password)
        except Exception as exc:  # best effort, like Kratos
            log.warning("could not rehash the password of identity %s: %s", identity.id, exc)
            return
        credential.config = {**credential.config, "hashed_password": new_hash}
        credential.config.pop("use_password_migration_hook", None)
        try:
            await self.identities.update(identity)
        except Exception as exc:  # best effort, like Kratos
            log.warning("could not store the rehashed password of %s: %s", identity.id, exc)
