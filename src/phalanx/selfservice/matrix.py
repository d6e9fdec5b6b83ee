"""THE method x flow table: the one place strategies are wired into flows.

Adding a method is adding a package under ``strategy/`` and a row here. Strategies are
partitioned by the flow ABC they implement, so each flow service receives only its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from phalanx.selfservice.flow.login.strategy import LoginStrategy
from phalanx.selfservice.flow.recovery.strategy import RecoveryStrategy
from phalanx.selfservice.flow.registration.strategy import RegistrationStrategy
from phalanx.selfservice.flow.settings.strategy import SettingsStrategy
from phalanx.selfservice.flow.verification.strategy import VerificationStrategy

if TYPE_CHECKING:
    from phalanx.config import Config

__all__ = ["METHODS", "Matrix", "build_matrix"]


@dataclass
class Matrix:
    login: list[LoginStrategy] = field(default_factory=list)
    registration: list[RegistrationStrategy] = field(default_factory=list)
    settings: list[SettingsStrategy] = field(default_factory=list)
    recovery: list[RecoveryStrategy] = field(default_factory=list)
    verification: list[VerificationStrategy] = field(default_factory=list)
    extra: list[object] = field(default_factory=list)

    def add(self, strategy: object) -> None:
        placed = False
        if isinstance(strategy, LoginStrategy):
            self.login.append(strategy)
            placed = True
        if isinstance(strategy, RegistrationStrategy):
            self.registration.append(strategy)
            placed = True
        if isinstance(strategy, SettingsStrategy):
            self.settings.append(strategy)
            placed = True
        if isinstance(strategy, RecoveryStrategy):
            self.recovery.append(strategy)
            placed = True
        if isinstance(strategy, VerificationStrategy):
            self.verification.append(strategy)
            placed = True
        if not placed:
            self.extra.append(strategy)


def _password(deps: Any) -> list[object]:
    from phalanx.selfservice.strategy.password.login import PasswordLogin
    from phalanx.selfservice.strategy.password.registration import PasswordRegistration
    from phalanx.selfservice.strategy.password.settings import PasswordSettings

    return [
        PasswordLogin(deps.identities, deps.forms, deps.hashing),
        PasswordRegistration(deps.forms, deps.hashing, deps.password_policy),
        PasswordSettings(deps.forms, deps.hashing, deps.password_policy),
    ]


def _profile(deps: Any) -> list[object]:
    from phalanx.selfservice.strategy.profile.settings import ProfileSettings

    return [ProfileSettings(deps.forms)]


def _code(deps: Any) -> list[object]:
    from phalanx.selfservice.strategy.code.recovery import CodeRecovery
    from phalanx.selfservice.strategy.code.sender import CodeSender, SenderDeps
    from phalanx.selfservice.strategy.code.verification import CodeVerification

    config = deps.config
    flows = config.selfservice.flows
    code = config.selfservice.methods.code.config
    sender = CodeSender(
        SenderDeps.from_registry(deps),
        deps.code_store,
        code.lifespan,
        notify_unknown_recovery=flows.recovery.notify_unknown_recipients,
        notify_unknown_verification=flows.verification.notify_unknown_recipients,
    )
    sms = any(channel.id == "sms" for channel in config.courier.channels)
    return [
        CodeRecovery(
            sender,
            deps.code_store,
            deps.identity_pool,
            max_submissions=code.max_submissions,
            lifespan=code.lifespan,
        ),
        CodeVerification(
            sender,
            deps.code_store,
            deps.identity_pool,
            max_submissions=code.max_submissions,
            sms_enabled=sms,
        ),
    ]


def _link(deps: Any) -> list[object]:
    from phalanx.selfservice.strategy.code.sender import SenderDeps
    from phalanx.selfservice.strategy.link.recovery import LinkRecovery
    from phalanx.selfservice.strategy.link.sender import LinkSender
    from phalanx.selfservice.strategy.link.verification import LinkVerification

    config = deps.config
    flows = config.selfservice.flows
    sender = LinkSender(
        SenderDeps.from_registry(deps),
        deps.code_store,
        config.selfservice.methods.link.config.lifespan,
        notify_unknown_recovery=flows.recovery.notify_unknown_recipients,
        notify_unknown_verification=flows.verification.notify_unknown_recipients,
    )
    return [
        LinkRecovery(sender, deps.code_store, deps.identity_pool),
        LinkVerification(sender, deps.code_store),
    ]


def _oidc(deps: Any) -> list[object]:
    from phalanx.registry import url_loader
    from phalanx.selfservice.strategy.oidc.callback import OidcCallback
    from phalanx.selfservice.strategy.oidc.core import OidcCore
    from phalanx.selfservice.strategy.oidc.login import OidcLogin
    from phalanx.selfservice.strategy.oidc.mapper import Mapper
    from phalanx.selfservice.strategy.oidc.registration import OidcRegistration
    from phalanx.selfservice.strategy.oidc.settings import OidcSettings

    core = OidcCore(deps.config, deps, Mapper(url_loader(deps.config)))
    # The callback route is no flow cell; it lands in ``Matrix.extra``.
    return [OidcLogin(core), OidcRegistration(core), OidcSettings(core), OidcCallback(core)]


METHODS: dict[str, Callable[[Any], list[object]]] = {
    # method -> the strategies (one per flow it joins); order = order of UI groups
    "profile": _profile,
    "password": _password,
    "oidc": _oidc,
    "code": _code,
    "link": _link,
}


def build_matrix(config: Config, deps: Any) -> Matrix:
    """Instantiate every enabled method's strategies (``selfservice.methods.<m>.enabled``)."""
    matrix = Matrix()
    methods = config.selfservice.methods
    for name, factory in METHODS.items():
        method_config = getattr(methods, name, None)
        if method_config is not None and not getattr(method_config, "enabled", True):
            continue
        for strategy in factory(deps):
            matrix.add(strategy)
    return matrix
