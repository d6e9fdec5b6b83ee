"""``selfservice``: the return URLs and the six flows.

Mirrors ``properties.selfservice`` of the Kratos v25.4 config schema; methods live in
``model_methods``. Flow ``ui_url``s default to ``None`` here, not to Kratos's
``https://www.ory.sh/kratos/docs/fallback/<flow>``: ``Config.ui_url`` resolves an unset
one to Phalanx's built-in UI at ``<public base_url>ui/<flow>``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import Field

from phalanx.config.base import Duration, Strict, UriRef, unique
from phalanx.config.model_hooks import (
    GenericHook,
    LoginHook,
    LoginOIDCHook,
    RecoveryAfterHook,
    RegistrationMethodHook,
    SettingsMethodHook,
    SettingsProfileHook,
)
from phalanx.config.model_methods import MethodsConfig

__all__ = [
    "BeforeHooks",
    "ErrorFlowConfig",
    "FlowsConfig",
    "LoginAfter",
    "LoginAfterMethod",
    "LoginAfterOIDC",
    "LoginFlowConfig",
    "LogoutAfter",
    "LogoutFlowConfig",
    "RecoveryAfter",
    "RecoveryFlowConfig",
    "RegistrationAfter",
    "RegistrationAfterMethod",
    "RegistrationFlowConfig",
    "SelfServiceConfig",
    "SettingsAfter",
    "SettingsAfterMethod",
    "SettingsAfterProfile",
    "SettingsFlowConfig",
    "VerificationAfter",
    "VerificationFlowConfig",
]

_HOUR = timedelta(hours=1)
RequiredAal = Literal["aal1", "highest_available"]


class BeforeHooks(Strict):
    """``<flow>.before``."""

    hooks: Annotated[list[GenericHook], unique] = Field(default_factory=list)


class SettingsAfterMethod(Strict):
    """``settings.after.<password|totp|oidc|webauthn|passkey|lookup_secret>``."""

    default_browser_return_url: UriRef | None = None
    hooks: Annotated[list[SettingsMethodHook], unique] = Field(default_factory=list)


class SettingsAfterProfile(Strict):
    """``settings.after.profile``."""

    default_browser_return_url: UriRef | None = None
    hooks: Annotated[list[SettingsProfileHook], unique] = Field(default_factory=list)


class SettingsAfter(Strict):
    """``settings.after``."""

    default_browser_return_url: UriRef | None = None
    password: SettingsAfterMethod = SettingsAfterMethod()
    totp: SettingsAfterMethod = SettingsAfterMethod()
    oidc: SettingsAfterMethod = SettingsAfterMethod()
    webauthn: SettingsAfterMethod = SettingsAfterMethod()
    passkey: SettingsAfterMethod = SettingsAfterMethod()
    lookup_secret: SettingsAfterMethod = SettingsAfterMethod()
    profile: SettingsAfterProfile = SettingsAfterProfile()
    hooks: Annotated[list[GenericHook], unique] = Field(default_factory=list)


class SettingsFlowConfig(Strict):
    """``selfservice.flows.settings``."""

    ui_url: UriRef | None = None
    lifespan: Duration = _HOUR
    privileged_session_max_age: Duration = _HOUR
    required_aal: RequiredAal = "highest_available"
    after: SettingsAfter = SettingsAfter()
    before: BeforeHooks = BeforeHooks()


class LogoutAfter(Strict):
    """``logout.after``."""

    default_browser_return_url: UriRef | None = None


class LogoutFlowConfig(Strict):
    """``selfservice.flows.logout``."""

    after: LogoutAfter = LogoutAfter()


class RegistrationAfterMethod(Strict):
    """``registration.after.<password|webauthn|passkey|oidc|code>``."""

    default_browser_return_url: UriRef | None = None
    hooks: Annotated[list[RegistrationMethodHook], unique] = Field(default_factory=list)


class RegistrationAfter(Strict):
    """``registration.after``."""

    default_browser_return_url: UriRef | None = None
    password: RegistrationAfterMethod = RegistrationAfterMethod()
    webauthn: RegistrationAfterMethod = RegistrationAfterMethod()
    passkey: RegistrationAfterMethod = RegistrationAfterMethod()
    oidc: RegistrationAfterMethod = RegistrationAfterMethod()
    code: RegistrationAfterMethod = RegistrationAfterMethod()
    hooks: Annotated[list[GenericHook], unique] = Field(default_factory=list)


class RegistrationFlowConfig(Strict):
    """``selfservice.flows.registration``."""

    enabled: bool = True
    login_hints: bool = False
    ui_url: UriRef | None = None
    lifespan: Duration = _HOUR
    before: BeforeHooks = BeforeHooks()
    after: RegistrationAfter = RegistrationAfter()
    enable_legacy_one_step: bool = False
    style: Literal["unified", "profile_first"] = "profile_first"


class LoginAfterMethod(Strict):
    """``login.after.<password|webauthn|passkey|code|totp|lookup_secret>``."""

    default_browser_return_url: UriRef | None = None
    hooks: Annotated[list[LoginHook], unique] = Field(default_factory=list)


class LoginAfterOIDC(Strict):
    """``login.after.oidc``."""

    default_browser_return_url: UriRef | None = None
    hooks: Annotated[list[LoginOIDCHook], unique] = Field(default_factory=list)


class LoginAfter(Strict):
    """``login.after``."""

    default_browser_return_url: UriRef | None = None
    password: LoginAfterMethod = LoginAfterMethod()
    webauthn: LoginAfterMethod = LoginAfterMethod()
    passkey: LoginAfterMethod = LoginAfterMethod()
    oidc: LoginAfterOIDC = LoginAfterOIDC()
    code: LoginAfterMethod = LoginAfterMethod()
    totp: LoginAfterMethod = LoginAfterMethod()
    lookup_secret: LoginAfterMethod = LoginAfterMethod()
    hooks: Annotated[list[LoginHook], unique] = Field(default_factory=list)


class LoginFlowConfig(Strict):
    """``selfservice.flows.login``."""

    ui_url: UriRef | None = None
    lifespan: Duration = _HOUR
    style: Literal["unified", "identifier_first"] = "unified"
    before: BeforeHooks = BeforeHooks()
    after: LoginAfter = LoginAfter()


class VerificationAfter(Strict):
    """``verification.after``."""

    default_browser_return_url: UriRef | None = None
    hooks: Annotated[list[GenericHook], unique] = Field(default_factory=list)


class VerificationFlowConfig(Strict):
    """``selfservice.flows.verification``."""

    enabled: bool = False
    ui_url: UriRef | None = None
    after: VerificationAfter = VerificationAfter()
    lifespan: Duration = _HOUR
    before: BeforeHooks = BeforeHooks()
    use: Literal["link", "code"] = "code"
    notify_unknown_recipients: bool = False


class RecoveryAfter(Strict):
    """``recovery.after``."""

    default_browser_return_url: UriRef | None = None
    hooks: Annotated[list[RecoveryAfterHook], unique] = Field(default_factory=list)


class RecoveryFlowConfig(Strict):
    """``selfservice.flows.recovery``."""

    enabled: bool = False
    ui_url: UriRef | None = None
    after: RecoveryAfter = RecoveryAfter()
    lifespan: Duration = _HOUR
    before: BeforeHooks = BeforeHooks()
    use: Literal["link", "code"] = "code"
    notify_unknown_recipients: bool = False


class ErrorFlowConfig(Strict):
    """``selfservice.flows.error``."""

    ui_url: UriRef | None = None


class FlowsConfig(Strict):
    """``selfservice.flows``."""

    settings: SettingsFlowConfig = SettingsFlowConfig()
    logout: LogoutFlowConfig = LogoutFlowConfig()
    registration: RegistrationFlowConfig = RegistrationFlowConfig()
    login: LoginFlowConfig = LoginFlowConfig()
    verification: VerificationFlowConfig = VerificationFlowConfig()
    recovery: RecoveryFlowConfig = RecoveryFlowConfig()
    error: ErrorFlowConfig = ErrorFlowConfig()


class SelfServiceConfig(Strict):
    """``selfservice``: ``default_browser_return_url`` is required, as in Kratos."""

    default_browser_return_url: UriRef
    allowed_return_urls: list[UriRef] = Field(default_factory=list)
    flows: FlowsConfig = FlowsConfig()
    methods: MethodsConfig = MethodsConfig()
