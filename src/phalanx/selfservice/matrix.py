"""THE method x flow table: the one place strategies are wired into flows.

Adding a method is adding a package under ``strategy/`` and a row here. Each row names the
flows the method joins in Kratos (its cells) and builds its strategies; strategies are
partitioned by the flow ABC they implement, so each flow service receives only its own.
The matrix alone decides which cells exist: a method disabled in the config
(``selfservice.methods.<m>.enabled: false``) builds nothing, and its cells are listed in
:meth:`Matrix.disabled_in`, which flow services answer with Kratos's 404 when such a
method is submitted. Flow services never know method names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from phalanx.selfservice.flow.login.strategy import LoginStrategy
from phalanx.selfservice.flow.recovery.strategy import RecoveryStrategy
from phalanx.selfservice.flow.registration.strategy import RegistrationStrategy
from phalanx.selfservice.flow.settings.strategy import SettingsStrategy
from phalanx.selfservice.flow.verification.strategy import VerificationStrategy

if TYPE_CHECKING:
    from phalanx.config import Config
    from phalanx.selfservice.deps import StrategyDeps

__all__ = [
    "METHODS",
    "Matrix",
    "MethodRow",
    "build_matrix",
    "method_enabled",
    "two_step_registration",
]


@dataclass
class Matrix:
    login: list[LoginStrategy] = field(default_factory=list)
    registration: list[RegistrationStrategy] = field(default_factory=list)
    settings: list[SettingsStrategy] = field(default_factory=list)
    recovery: list[RecoveryStrategy] = field(default_factory=list)
    verification: list[VerificationStrategy] = field(default_factory=list)
    extra: list[object] = field(default_factory=list)
    #: flow -> the methods whose cell in that flow is switched off by the config
    disabled: dict[str, set[str]] = field(default_factory=dict)

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

    def disabled_in(self, flow: str) -> frozenset[str]:
        """The methods that have a cell in ``flow`` but are disabled by the config."""
        return frozenset(self.disabled.get(flow, ()))


@dataclass(frozen=True, slots=True)
class MethodRow:
    """One method: the flows it joins (as in Kratos, built here or not yet) and the
    factory of its strategies (one per flow it joins)."""

    flows: frozenset[str]
    build: Callable[[StrategyDeps], list[object]]


def _flows(*names: str) -> frozenset[str]:
    return frozenset(names)


def _password(deps: StrategyDeps) -> list[object]:
    from phalanx.selfservice.strategy.password.login import PasswordLogin
    from phalanx.selfservice.strategy.password.registration import PasswordRegistration
    from phalanx.selfservice.strategy.password.settings import PasswordSettings

    return [
        PasswordLogin(
            deps.identities,
            deps.forms,
            deps.hashing,
            migration=deps.password_migration,
            limiter=deps.limiter,
        ),
        PasswordRegistration(deps.forms, deps.hashing, deps.password_policy),
        PasswordSettings(deps.forms, deps.hashing, deps.password_policy),
    ]


def two_step_registration(config: Config) -> bool:
    """Kratos ``SelfServiceFlowRegistrationTwoSteps``: ``style: profile_first`` (the
    default) unless the deprecated ``enable_legacy_one_step`` is set."""
    registration = config.selfservice.flows.registration
    return registration.style == "profile_first" and not registration.enable_legacy_one_step


def _profile(deps: StrategyDeps) -> list[object]:
    from phalanx.selfservice.strategy.profile.registration import ProfileRegistration
    from phalanx.selfservice.strategy.profile.settings import ProfileSettings

    two_step = two_step_registration(deps.config)
    return [ProfileRegistration(deps.forms, two_step=two_step), ProfileSettings(deps.forms)]


def _code(deps: StrategyDeps) -> list[object]:
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
    cells: list[object] = []
    method = config.selfservice.methods.code
    mitigate = config.security.account_enumeration.mitigate
    if method.passwordless_enabled or method.mfa_enabled:
        from phalanx.selfservice.strategy.code.login import CodeLogin, CodeLoginConfig

        login = CodeLoginConfig(
            max_submissions=code.max_submissions,
            fallback=code.missing_credential_fallback_enabled,
            mitigate=mitigate,
            mfa=method.mfa_enabled,
        )
        cells.append(CodeLogin(sender, deps.code_store, deps.identity_pool, deps.forms, login))
    if method.passwordless_enabled:
        from phalanx.selfservice.strategy.code.registration import CodeRegistration

        cells.append(
            CodeRegistration(
                sender,
                deps.code_store,
                deps.forms,
                max_submissions=code.max_submissions,
                two_step=two_step_registration(config),
                pool=deps.identity_pool,
                mitigate=mitigate,
            )
        )
    return [
        *cells,
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


def _link(deps: StrategyDeps) -> list[object]:
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


def _identifier_first(deps: StrategyDeps) -> list[object]:
    from phalanx.selfservice.strategy.idfirst.login import IdentifierFirstLogin

    config = deps.config
    if config.selfservice.flows.login.style != "identifier_first":
        return []
    mitigate = config.security.account_enumeration.mitigate
    return [IdentifierFirstLogin(deps.identity_pool, deps.forms, mitigate=mitigate)]


def _oidc(deps: StrategyDeps) -> list[object]:
    from phalanx.outbound import guard_from_config
    from phalanx.selfservice.strategy.oidc.callback import OidcCallback
    from phalanx.selfservice.strategy.oidc.core import OidcCore
    from phalanx.selfservice.strategy.oidc.login import OidcLogin
    from phalanx.selfservice.strategy.oidc.mapper import Mapper
    from phalanx.selfservice.strategy.oidc.registration import OidcRegistration
    from phalanx.selfservice.strategy.oidc.settings import OidcSettings

    core = OidcCore(deps.config, deps, Mapper(guard_from_config(deps.config)))
    # The callback route is no flow cell; it lands in ``Matrix.extra``.
    return [OidcLogin(core), OidcRegistration(core), OidcSettings(core), OidcCallback(core)]


def _passkey(deps: StrategyDeps) -> list[object]:
    from phalanx.selfservice.strategy.passkey.login import PasskeyLogin
    from phalanx.selfservice.strategy.passkey.registration import PasskeyRegistration
    from phalanx.selfservice.strategy.passkey.settings import PasskeySettings
    from phalanx.webauthnx import passkey_party

    config = deps.config
    rp = passkey_party(config)
    if rp is None:
        return []
    public_url = config.public_base_url
    return [
        PasskeyLogin(deps.identity_pool, deps.forms, rp, public_url),
        PasskeyRegistration(deps.forms, rp, public_url),
        PasskeySettings(deps.forms, rp, public_url, factors=deps.identities.factors),
    ]


def _webauthn(deps: StrategyDeps) -> list[object]:
    from phalanx.selfservice.strategy.webauthn.login import WebAuthnLogin, WebAuthnLoginSettings
    from phalanx.selfservice.strategy.webauthn.registration import WebAuthnRegistration
    from phalanx.selfservice.strategy.webauthn.settings import WebAuthnSettings
    from phalanx.webauthnx import webauthn_party

    config = deps.config
    rp = webauthn_party(config)
    method = config.selfservice.methods.webauthn.config
    if rp is None or method is None:
        return []
    passwordless = bool(method.passwordless)
    argon2 = config.hashers.argon2
    settings = WebAuthnLoginSettings(
        passwordless=passwordless,
        public_url=config.public_base_url,
        delay=argon2.expected_duration.total_seconds(),
        deviation=argon2.expected_deviation.total_seconds(),
    )
    cells: list[object] = [
        WebAuthnLogin(deps.identity_pool, deps.forms, rp, settings),
        WebAuthnSettings(
            rp, config.public_base_url, passwordless=passwordless, factors=deps.identities.factors
        ),
    ]
    if passwordless:
        cells.append(WebAuthnRegistration(deps.forms, rp, config.public_base_url))
    return cells


def _totp(deps: StrategyDeps) -> list[object]:
    from phalanx.selfservice.strategy.totp.login import TotpLogin
    from phalanx.selfservice.strategy.totp.settings import TotpSettings, totp_issuer

    config = deps.config
    issuer = totp_issuer(config.selfservice.methods.totp.config.issuer, config.public_base_url)
    limiter = deps.limiter
    return [TotpLogin(deps.identity_pool, limiter), TotpSettings(deps.forms, issuer)]


def _lookup_secret(deps: StrategyDeps) -> list[object]:
    from phalanx.selfservice.strategy.lookup.login import LookupLogin
    from phalanx.selfservice.strategy.lookup.settings import LookupSettings

    keys = deps.config.cookie_secrets
    limiter = deps.limiter
    return [LookupLogin(deps.identity_pool, keys, limiter), LookupSettings(keys)]


# Kratos's strategy order (``driver/registry_default.go``): the order of UI groups.
METHODS: dict[str, MethodRow] = {
    "profile": MethodRow(_flows("registration", "settings"), _profile),
    "password": MethodRow(_flows("login", "registration", "settings"), _password),
    "oidc": MethodRow(_flows("login", "registration", "settings"), _oidc),
    "code": MethodRow(_flows("login", "registration", "recovery", "verification"), _code),
    "link": MethodRow(_flows("recovery", "verification"), _link),
    "totp": MethodRow(_flows("login", "settings"), _totp),
    "passkey": MethodRow(_flows("login", "registration", "settings"), _passkey),
    "webauthn": MethodRow(_flows("login", "registration", "settings"), _webauthn),
    "lookup_secret": MethodRow(_flows("login", "settings"), _lookup_secret),
    "identifier_first": MethodRow(_flows("login"), _identifier_first),
}


def method_enabled(config: Config, name: str) -> bool:
    """``selfservice.methods.<name>.enabled`` (methods without the key are on);
    ``code.passwordless_enabled`` switches ``code`` on too (Kratos)."""
    method_config = getattr(config.selfservice.methods, name, None)
    if method_config is None:
        return True
    if getattr(method_config, "passwordless_enabled", False):
        return True
    return bool(getattr(method_config, "enabled", True))


def build_matrix(config: Config, deps: StrategyDeps) -> Matrix:
    """Instantiate every enabled method's strategies; remember the disabled cells."""
    matrix = Matrix()
    for name, row in METHODS.items():
        if not method_enabled(config, name):
            for flow in row.flows:
                matrix.disabled.setdefault(flow, set()).add(name)
            continue
        for strategy in row.build(deps):
            matrix.add(strategy)
    return matrix
