"""Top-level sections other than ``selfservice``, ``serve`` and ``courier``.

Mirrors ``database``, ``oauth2_provider``, ``preview``, ``tracing``, ``log``,
``identity``, ``secrets``, ``hashers``, ``ciphers``, ``cookies``, ``session``,
``security``, ``clients``, ``feature_flags`` and ``enterprise`` of the Kratos v25.4
config schema, plus Phalanx's own ``phalanx`` section.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from phalanx.config.base import (
    ByteSize,
    CookieSecure,
    Duration,
    HexColor,
    Open,
    Strict,
    Uri,
    UriRef,
    unique,
)
from phalanx.config.model_limits import RateLimitsConfig

__all__ = [
    "AccountEnumerationConfig",
    "AdminUIConfig",
    "AdminUIUser",
    "Argon2Config",
    "BcryptConfig",
    "BreachedPasswordsConfig",
    "CiphersConfig",
    "ClientsConfig",
    "ClientsHttpConfig",
    "ClientsWebHookConfig",
    "ConnectionsConfig",
    "CookiesConfig",
    "DatabaseCleanupConfig",
    "DatabaseCleanupSleepConfig",
    "DatabaseConfig",
    "EnterpriseConfig",
    "FeatureFlagsConfig",
    "HashersConfig",
    "IdentityConfig",
    "IdentitySchemaConfig",
    "LinkConfirmationConfig",
    "LogConfig",
    "OAuth2ProviderConfig",
    "PhalanxConfig",
    "PhalanxOIDCConfig",
    "PhalanxUIConfig",
    "PreviewConfig",
    "SecretsConfig",
    "SecurityConfig",
    "SessionCacheConfig",
    "SessionConfig",
    "SessionCookieConfig",
    "TokenizerConfig",
    "TokenizerTemplateConfig",
    "TracingConfig",
    "WebHooksConfig",
    "WhoAmIConfig",
]

SameSite = Literal["Strict", "Lax", "None"]
Secret = Annotated[str, Field(min_length=16)]
CipherSecret = Annotated[str, Field(min_length=32, max_length=32)]

WEB_HOOK_HEADER_ALLOWLIST = [
    "Accept", "Accept-Encoding", "Accept-Language", "Content-Length", "Content-Type",
    "Origin", "Priority", "Referer", "Sec-Ch-Ua", "Sec-Ch-Ua-Mobile", "Sec-Ch-Ua-Platform",
    "Sec-Fetch-Dest", "Sec-Fetch-Mode", "Sec-Fetch-Site", "Sec-Fetch-User", "True-Client-Ip",
    "User-Agent",
]  # fmt: skip


class DatabaseCleanupSleepConfig(Open):
    """``database.cleanup.sleep``."""

    tables: Duration = timedelta(minutes=1)


class DatabaseCleanupConfig(Open):
    """``database.cleanup`` (used by ``cleanup sql``)."""

    batch_size: int = Field(default=100, ge=1)
    sleep: DatabaseCleanupSleepConfig = DatabaseCleanupSleepConfig()
    older_than: Duration = timedelta(0)


class DatabaseConfig(Strict):
    """``database``."""

    cleanup: DatabaseCleanupConfig = DatabaseCleanupConfig()


class OAuth2ProviderConfig(Strict):
    """``oauth2_provider``: Ory Hydra integration."""

    url: Uri | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    override_return_to: bool = False


class PreviewConfig(Open):
    """``preview``."""

    default_read_consistency_level: Literal["strong", "eventual"] = "strong"


class TracingConfig(Open):
    """``tracing`` (``ory://tracing-config``, not part of the schema file): loosely typed."""

    provider: str | None = None
    service_name: str | None = None
    deployment_environment: str | None = None
    providers: dict[str, Any] = Field(default_factory=dict)


class LogConfig(Strict):
    """``log``."""

    level: Literal["trace", "debug", "info", "warning", "error", "fatal", "panic"] = "info"
    leak_sensitive_values: bool | None = None
    redaction_text: str | None = None
    format: Literal["json", "text"] | None = None


class IdentitySchemaConfig(Open):
    """``identity.schemas[]``: ``url`` is ``file://``, ``http(s)://`` or ``base64://``."""

    id: str
    url: Uri
    selfservice_selectable: bool = False


class IdentityConfig(Strict):
    """``identity``: ``schemas`` is required."""

    default_schema_id: str = "default"
    schemas: Annotated[list[IdentitySchemaConfig], Field(min_length=1)]


class SecretsConfig(Strict):
    """``secrets``: ``cookie`` falls back to ``default`` (see ``Config.cookie_secrets``)."""

    default: Annotated[list[Secret], unique] = Field(default_factory=list)
    cookie: Annotated[list[Secret], unique] = Field(default_factory=list)
    pagination: Annotated[list[Secret], Field(min_length=1)] | None = None
    cipher: Annotated[list[CipherSecret], Field(min_length=1)] | None = None


def _default_parallelism() -> int:
    # Kratos's code default: 2 x the number of CPUs.
    return 2 * (os.cpu_count() or 1)


class Argon2Config(Strict):
    """``hashers.argon2``; ``memory`` and ``dedicated_memory`` are in bytes."""

    memory: ByteSize = 128 * 1024**2
    iterations: int = Field(default=1, ge=1)
    parallelism: int = Field(default_factory=_default_parallelism, ge=1)
    salt_length: int = Field(default=16, ge=16)
    key_length: int = Field(default=32, ge=16)
    expected_duration: Duration = timedelta(milliseconds=500)
    expected_deviation: Duration = timedelta(milliseconds=500)
    dedicated_memory: ByteSize = 1024**3

    @property
    def memory_kib(self) -> int:
        """``memory`` in KiB, the unit argon2 takes (Kratos divides by ``bytesize.KB``)."""
        return self.memory // 1024


class BcryptConfig(Strict):
    """``hashers.bcrypt``; see ``Config.bcrypt_cost`` for the cost actually used."""

    cost: int = Field(ge=4, le=31)


class HashersConfig(Strict):
    """``hashers``: the algorithm for new password hashes (schema default ``bcrypt``)."""

    algorithm: Literal["argon2", "bcrypt"] = "bcrypt"
    argon2: Argon2Config = Argon2Config()
    bcrypt: BcryptConfig = BcryptConfig(cost=12)


class CiphersConfig(Open):
    """``ciphers``: ``aes`` and ``xchacha20-poly1305`` need ``secrets.cipher``."""

    algorithm: Literal["noop", "aes", "xchacha20-poly1305"] = "noop"


class CookiesConfig(Strict):
    """``cookies``: defaults for every cookie; ``secure`` unset means ``not dev``."""

    domain: str | None = None
    path: str = "/"
    secure: CookieSecure | None = None
    same_site: SameSite = "Lax"


class TokenizerTemplateConfig(Open):
    """``session.whoami.tokenizer.templates.<name>``."""

    ttl: Duration = timedelta(minutes=1)
    claims_mapper_url: Uri | None = None
    jwks_url: Uri
    subject_source: Literal["id", "external_id"] = "id"


class TokenizerConfig(Open):
    """``session.whoami.tokenizer``."""

    templates: dict[str, TokenizerTemplateConfig] = Field(default_factory=dict)


class WhoAmIConfig(Strict):
    """``session.whoami``."""

    required_aal: Literal["aal1", "highest_available"] = "highest_available"
    tokenizer: TokenizerConfig = TokenizerConfig()


class SessionCookieConfig(Strict):
    """``session.cookie``: overrides ``cookies.*`` for the session cookie."""

    domain: str | None = None
    name: str = "ory_kratos_session"
    persistent: bool = True
    path: str | None = None
    secure: CookieSecure | None = None
    same_site: SameSite | None = None


class SessionConfig(Strict):
    """``session``."""

    whoami: WhoAmIConfig = WhoAmIConfig()
    lifespan: Duration = timedelta(hours=24)
    cookie: SessionCookieConfig = SessionCookieConfig()
    earliest_possible_extend: Duration | None = None

    @property
    def extend_after(self) -> timedelta:
        """``earliest_possible_extend``, which defaults to ``lifespan`` in Kratos."""
        return self.earliest_possible_extend or self.lifespan


class AccountEnumerationConfig(Open):
    """``security.account_enumeration``."""

    mitigate: bool = False


class SecurityConfig(Open):
    """``security``."""

    account_enumeration: AccountEnumerationConfig = AccountEnumerationConfig()


class ClientsHttpConfig(Open):
    """``clients.http``: outgoing HTTP (web hooks, schema and template fetches)."""

    disallow_private_ip_ranges: bool = False
    private_ip_exception_urls: list[UriRef] = Field(default_factory=list)


class ClientsWebHookConfig(Open):
    """``clients.web_hook``."""

    header_allowlist: list[str] = Field(default_factory=lambda: list(WEB_HOOK_HEADER_ALLOWLIST))


class ClientsConfig(Open):
    """``clients``."""

    http: ClientsHttpConfig = ClientsHttpConfig()
    web_hook: ClientsWebHookConfig = ClientsWebHookConfig()


class FeatureFlagsConfig(Strict):
    """``feature_flags``."""

    cacheable_sessions: bool = False
    cacheable_sessions_max_age: Duration | None = None
    use_continue_with_transitions: bool = False
    choose_recovery_address: bool = False
    legacy_continue_with_verification_ui: bool = False
    legacy_require_verified_login_error: bool = False
    faster_session_extend: bool = False
    password_profile_registration_node_group: Literal["password", "default"] = "default"
    legacy_oidc_registration_node_group: bool = False


class EnterpriseConfig(Strict):
    """``enterprise``."""

    identity_schema_fallback_url_template: str | None = None


class PhalanxUIConfig(Strict):
    """``phalanx.ui``: branding of the built-in UI."""

    product_name: str = "Phalanx"
    logo_url: str | None = None
    primary_color: HexColor = "#4f46e5"


class AdminUIUser(Strict):
    """One console user of ``phalanx.admin_ui.auth``: a name and an argon2id hash
    (``phalanx hashers argon2 hash`` or any ``$argon2id$`` PHC string)."""

    username: str = Field(min_length=1, max_length=128)
    password_hash: str = Field(pattern=r"^\$argon2id\$")


class AdminUIConfig(Strict):
    """``phalanx.admin_ui``: the admin console at ``/admin/ui/`` on the admin port.

    ``enabled`` unset means on with ``--dev`` and off otherwise. ``auth`` lists the users
    who may sign in to the console; empty means no console login (the admin port must
    then be protected otherwise, as the whole admin API)."""

    enabled: bool | None = None
    auth: list[AdminUIUser] = []


class BreachedPasswordsConfig(Strict):
    """``phalanx.breached_passwords``: the bundled offline breached-password list."""

    offline_enabled: bool = True


class SessionCacheConfig(Strict):
    """``phalanx.session_cache``: each server process keeps recent ``/sessions/whoami``
    answers (by token digest). Logouts, revocations and session or identity writes made by
    this server invalidate them at once in all its worker processes, and through
    ``invalidation`` on every other host sharing the database: ``postgres`` (LISTEN/NOTIFY
    on the database itself, the default on PostgreSQL), ``redis://…``/``rediss://…``
    (Redis pub/sub, any database) or ``none`` (this host only: the default on SQLite,
    MySQL/MariaDB and CockroachDB). While a host's channel is down it answers whoami from
    the database."""

    enabled: bool = True
    max_entries: int = Field(default=10_000, ge=0)
    max_ttl: Duration = timedelta(seconds=30)
    invalidation: str | None = None

    @field_validator("invalidation")
    @classmethod
    def _known_channel(cls, value: str | None) -> str | None:
        if value is None or value in ("none", "postgres"):
            return value
        if value.startswith(("redis://", "rediss://", "unix://")):
            return value
        raise ValueError('expected "none", "postgres", or a redis:// or rediss:// URL')


class ConnectionsConfig(Strict):
    """``phalanx.connections``: limits on the HTTP connections of each server process.

    A request's headers must arrive within ``header_timeout`` of its first byte (or of the
    connection opening), its body within ``body_timeout`` of the headers; otherwise the
    connection is closed. Beyond ``max_connections`` open connections per process, new
    ones are closed at once. Idle keep-alive connections close after
    ``keep_alive_timeout``."""

    header_timeout: Duration = timedelta(seconds=10)
    body_timeout: Duration = timedelta(seconds=60)
    keep_alive_timeout: Duration = timedelta(seconds=5)
    max_connections: int = Field(default=4096, ge=1)


class WebHooksConfig(Strict):
    """``phalanx.web_hooks``: how ``web_hook`` hooks call out (Kratos's fixed values are the
    defaults: 30 s per attempt, 2 retries on connection errors and 5xx other than 501)."""

    timeout: Duration = timedelta(seconds=30)
    retries: int = Field(default=2, ge=0, le=10)


class PhalanxOIDCConfig(Strict):
    """``phalanx.oidc``: ``generic_id_token`` lets native apps sign in with an ``id_token``
    of a ``generic`` provider, verified against its discovered JWKS (Kratos allows the
    native path only for apple, google and netid)."""

    generic_id_token: bool = False


class LinkConfirmationConfig(Strict):
    """``phalanx.link_confirmation``: a ``GET`` of a recovery or verification link (the
    ``link`` method's ``?token=``) shows a page whose button POSTs the token, instead of
    using it at once as Kratos does, so mail scanners that prefetch links cannot burn
    (or use) them."""

    enabled: bool = False


class AuditConfig(Strict):
    """``phalanx.audit``: the hash-chained audit log of security events. ``retention``:
    ``phalanx cleanup sql`` deletes events older than this (unset: kept forever)."""

    enabled: bool = True
    retention: Duration | None = None


class PhalanxSessionConfig(Strict):
    """``phalanx.session``: ``idle_timeout`` ends a session that has not been used for
    that long (whoami and every flow); unset: sessions end only at ``expires_at``."""

    idle_timeout: Duration | None = None


class PhalanxConfig(Strict):
    """``phalanx``: Phalanx-only settings (not a Kratos key)."""

    audit: AuditConfig = AuditConfig()
    session: PhalanxSessionConfig = PhalanxSessionConfig()
    connections: ConnectionsConfig = ConnectionsConfig()
    oidc: PhalanxOIDCConfig = PhalanxOIDCConfig()
    ui: PhalanxUIConfig = PhalanxUIConfig()
    admin_ui: AdminUIConfig = AdminUIConfig()
    breached_passwords: BreachedPasswordsConfig = BreachedPasswordsConfig()
    session_cache: SessionCacheConfig = SessionCacheConfig()
    link_confirmation: LinkConfirmationConfig = LinkConfirmationConfig()
    web_hooks: WebHooksConfig = WebHooksConfig()
    rate_limits: RateLimitsConfig = RateLimitsConfig()
