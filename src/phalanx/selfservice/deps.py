"""What strategies are built from: the port the method x flow matrix receives.

The composition root (:class:`phalanx.registry.Registry`) satisfies it; so can anything
else with these members (a test wiring a few strategies with doubles). Stores are typed by
their ports, never by the SQL classes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from phalanx.selfservice.strategy.code.store import CodeStore
from phalanx.selfservice.strategy.link.store import TokenStore

if TYPE_CHECKING:
    from phalanx.cipher import Cipher
    from phalanx.config import Config
    from phalanx.courier import Courier
    from phalanx.hash import PasswordHashing
    from phalanx.identity.manager import IdentityManager
    from phalanx.identity.model import Identity
    from phalanx.identity.pool import IdentityPool
    from phalanx.limits import Limiter
    from phalanx.selfservice.flow.environment import FlowEnvironment
    from phalanx.selfservice.flow.login.service import LoginService
    from phalanx.selfservice.flow.registration.service import RegistrationService
    from phalanx.selfservice.flow.settings.service import SettingsService
    from phalanx.selfservice.hook.password_migration import PasswordMigrationHook
    from phalanx.selfservice.strategy.password.policy import PasswordPolicy
    from phalanx.selfservice.traits import TraitForms
    from phalanx.session.manager import SessionManager

__all__ = ["SecretStore", "StrategyDeps"]


class SecretStore(CodeStore, TokenStore, Protocol):
    """One-time codes and link tokens: one store keeps both (same tables, same keys)."""


class StrategyDeps(Protocol):
    """Services and stores the matrix rows build strategies from.

    ``login``, ``registration`` and ``settings`` are read at call time only (the OIDC
    core finishes flows through them; they are wired after the matrix).
    """

    config: Config
    cipher: Cipher
    hashing: PasswordHashing
    identity_pool: IdentityPool
    identities: IdentityManager
    sessions: SessionManager
    code_store: SecretStore
    courier: Courier
    forms: TraitForms
    password_policy: PasswordPolicy
    password_migration: PasswordMigrationHook | None
    limiter: Limiter
    flow_env: FlowEnvironment
    login: LoginService
    registration: RegistrationService
    settings: SettingsService

    def identity_json(self, identity: Identity, admin: bool = False) -> dict[str, Any]: ...
