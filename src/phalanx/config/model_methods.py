"""``selfservice.methods``: password, profile, code, link, totp, lookup_secret, webauthn,
passkey, oidc and b2b.

Mirrors ``properties.selfservice.properties.methods`` of the Kratos v25.4 config schema,
including its cross-field rules (``code`` cannot be passwordless and MFA at once; enabled
``webauthn``/``passkey`` need a ``config``; OIDC provider rules for Microsoft and Apple).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, Field, model_validator

from phalanx.config.base import Duration, Open, Strict, Uri
from phalanx.config.model_hooks import WebHookAuth

__all__ = [
    "OIDC_PROVIDERS",
    "B2BMethod",
    "B2BMethodConfig",
    "B2BOrganization",
    "CodeMethod",
    "CodeMethodConfig",
    "LinkMethod",
    "LinkMethodConfig",
    "LookupSecretMethod",
    "MethodsConfig",
    "MigrateHook",
    "MigrateHookConfig",
    "OIDCMethod",
    "OIDCMethodConfig",
    "OIDCProvider",
    "PasskeyMethod",
    "PasskeyMethodConfig",
    "PasskeyRP",
    "PasswordMethod",
    "PasswordMethodConfig",
    "ProfileMethod",
    "TotpMethod",
    "TotpMethodConfig",
    "WebAuthnMethod",
    "WebAuthnMethodConfig",
    "WebAuthnRP",
]

_HOUR = timedelta(hours=1)
_BODY_URL = re.compile(r"^(http|https|file|base64)://")


def _body_url(value: str) -> str:
    if not _BODY_URL.match(value):
        raise ValueError(
            f'invalid body "{value}" (expected a http://, https://, file:// or base64:// URL)'
        )
    return value


class B2BOrganization(Open):
    """``b2b.config.organizations[]`` (Ory Network only)."""

    id: str | None = None
    label: str | None = None
    domains: list[str] = Field(default_factory=list)


class B2BMethodConfig(Strict):
    """``b2b.config``."""

    organizations: list[B2BOrganization] = Field(default_factory=list)


class B2BMethod(Strict):
    """``selfservice.methods.b2b`` (Ory Network only)."""

    config: B2BMethodConfig = B2BMethodConfig()


class ProfileMethod(Strict):
    """``selfservice.methods.profile``."""

    enabled: bool = True


class LinkMethodConfig(Open):
    """``link.config``; ``base_url`` is deprecated and has no effect in Kratos."""

    base_url: str | None = None
    lifespan: Duration = _HOUR


class LinkMethod(Strict):
    """``selfservice.methods.link``: recovery/verification by magic link."""

    enabled: bool = False
    config: LinkMethodConfig = LinkMethodConfig()


class CodeMethodConfig(Open):
    """``code.config``."""

    lifespan: Duration = _HOUR
    max_submissions: int = Field(default=5, ge=1, le=255)
    missing_credential_fallback_enabled: bool = False


class CodeMethod(Open):
    """``selfservice.methods.code``: one-time codes (recovery, verification, login, ...)."""

    passwordless_enabled: bool = False
    mfa_enabled: bool = False
    enabled: bool = True
    config: CodeMethodConfig = CodeMethodConfig()

    @model_validator(mode="after")
    def _one_mode(self) -> CodeMethod:
        if self.passwordless_enabled and self.mfa_enabled:
            raise ValueError("passwordless_enabled and mfa_enabled cannot both be true")
        return self


class MigrateHookConfig(Strict):
    """``password.config.migrate_hook.config``."""

    url: Uri | None = None
    method: Literal["POST"] = "POST"
    headers: dict[str, str] = Field(default_factory=dict)
    emit_analytics_event: bool = True
    auth: WebHookAuth | None = None
    body: Annotated[Uri, AfterValidator(_body_url)] | None = None


class MigrateHook(Strict):
    """``password.config.migrate_hook``: verify unknown passwords against a legacy system."""

    enabled: bool = False
    config: MigrateHookConfig = MigrateHookConfig()


class PasswordMethodConfig(Strict):
    """``password.config``."""

    haveibeenpwned_host: str = "api.pwnedpasswords.com"
    haveibeenpwned_enabled: bool = True
    max_breaches: int = Field(default=0, ge=0, le=100)
    ignore_network_errors: bool = True
    min_password_length: int = Field(default=8, ge=6)
    identifier_similarity_check_enabled: bool = True
    migrate_hook: MigrateHook = MigrateHook()


class PasswordMethod(Strict):
    """``selfservice.methods.password``."""

    enabled: bool = True
    config: PasswordMethodConfig = PasswordMethodConfig()


class TotpMethodConfig(Strict):
    """``totp.config``."""

    issuer: str | None = None


class TotpMethod(Strict):
    """``selfservice.methods.totp``."""

    enabled: bool = False
    config: TotpMethodConfig = TotpMethodConfig()


class LookupSecretMethod(Strict):
    """``selfservice.methods.lookup_secret``: recovery codes for MFA."""

    enabled: bool = False


class WebAuthnRP(Open):
    """``webauthn.config.rp``: ``origin`` (deprecated) and ``origins`` are exclusive."""

    display_name: str
    id: str
    origin: Uri | None = None
    origins: list[Uri] | None = None
    icon: Uri | None = None

    @model_validator(mode="after")
    def _one_origin_kind(self) -> WebAuthnRP:
        if self.origin is not None and self.origins is not None:
            raise ValueError("set either origin or origins, not both")
        return self


class WebAuthnMethodConfig(Strict):
    """``webauthn.config``."""

    passwordless: bool | None = None
    rp: WebAuthnRP | None = None


class WebAuthnMethod(Strict):
    """``selfservice.methods.webauthn``."""

    enabled: bool = False
    config: WebAuthnMethodConfig | None = None

    @model_validator(mode="after")
    def _config_when_enabled(self) -> WebAuthnMethod:
        if self.enabled and self.config is None:
            raise ValueError("config is required when webauthn is enabled")
        return self


class PasskeyRP(Open):
    """``passkey.config.rp``."""

    display_name: str
    id: str
    origins: list[str] | None = None


class PasskeyMethodConfig(Strict):
    """``passkey.config``."""

    rp: PasskeyRP | None = None


class PasskeyMethod(Strict):
    """``selfservice.methods.passkey``."""

    enabled: bool = False
    config: PasskeyMethodConfig | None = None

    @model_validator(mode="after")
    def _config_when_enabled(self) -> PasskeyMethod:
        if self.enabled and self.config is None:
            raise ValueError("config is required when passkey is enabled")
        return self


OIDCProviderName = Literal[
    "github", "github-app", "gitlab", "generic", "google", "microsoft", "discord",
    "salesforce", "slack", "facebook", "auth0", "vk", "yandex", "apple", "spotify", "netid",
    "dingtalk", "patreon", "line", "linkedin", "linkedin_v2", "lark", "x", "fedcm-test",
    "amazon",
]  # fmt: skip

OIDC_PROVIDERS: tuple[str, ...] = get_args(OIDCProviderName)
"""Provider names Kratos v25.4 accepts in ``providers[].provider``."""


class OIDCProvider(Strict):
    """``oidc.config.providers[]`` (``selfServiceOIDCProvider``)."""

    id: str
    provider: OIDCProviderName
    label: str | None = None
    client_id: str
    client_secret: str | None = None
    issuer_url: Uri | None = None
    auth_url: Uri | None = None
    token_url: Uri | None = None
    mapper_url: Uri
    scope: list[str] = Field(default_factory=list)
    microsoft_tenant: str | None = None
    subject_source: Literal["userinfo", "me", "oid"] = "userinfo"
    apple_team_id: str | None = None
    apple_private_key_id: str | None = None
    apple_private_key: str | None = None
    requested_claims: dict[str, Any] | None = None
    organization_id: str | None = None
    additional_id_token_audiences: list[str] = Field(default_factory=list)
    claims_source: Literal["id_token", "userinfo"] = "id_token"
    pkce: Literal["auto", "never", "force"] = "auto"
    fedcm_config_url: Uri | None = None
    net_id_token_origin_header: str | None = None

    @model_validator(mode="after")
    def _provider_rules(self) -> OIDCProvider:
        if self.provider == "microsoft" and not self.microsoft_tenant:
            raise ValueError('microsoft_tenant is required for provider "microsoft"')
        if self.provider != "microsoft" and self.microsoft_tenant is not None:
            raise ValueError('microsoft_tenant is only allowed for provider "microsoft"')
        apple_keys = ("apple_private_key_id", "apple_private_key", "apple_team_id")
        if self.provider == "apple":
            if self.client_secret:
                raise ValueError('client_secret is not allowed for provider "apple"')
            missing = [k for k in apple_keys if getattr(self, k) is None]
            if missing:
                raise ValueError(f'{", ".join(missing)} required for provider "apple"')
        else:
            if self.client_secret is None:
                raise ValueError(f'client_secret is required for provider "{self.provider}"')
            present = [k for k in apple_keys if getattr(self, k)]
            if present:
                raise ValueError(f'{", ".join(present)} only allowed for provider "apple"')
        return self


class OIDCMethodConfig(Strict):
    """``oidc.config``."""

    base_redirect_uri: Uri | None = None
    providers: list[OIDCProvider] = Field(default_factory=list)


class OIDCMethod(Strict):
    """``selfservice.methods.oidc``: social sign-in."""

    enabled: bool = False
    config: OIDCMethodConfig = OIDCMethodConfig()


class MethodsConfig(Strict):
    """``selfservice.methods``."""

    b2b: B2BMethod = B2BMethod()
    profile: ProfileMethod = ProfileMethod()
    link: LinkMethod = LinkMethod()
    code: CodeMethod = CodeMethod()
    password: PasswordMethod = PasswordMethod()
    totp: TotpMethod = TotpMethod()
    lookup_secret: LookupSecretMethod = LookupSecretMethod()
    webauthn: WebAuthnMethod = WebAuthnMethod()
    passkey: PasskeyMethod = PasskeyMethod()
    oidc: OIDCMethod = OIDCMethod()
