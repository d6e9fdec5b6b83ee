"""The root ``Config`` model and the resolved values the rest of Phalanx reads.

``Config`` mirrors the whole Kratos v25.4 config tree (``kratos.yml``) plus the
Phalanx-only ``phalanx`` section. Fields hold what was configured (with Kratos's schema
defaults); methods and properties resolve what Kratos computes at runtime: base URLs,
flow UI URLs, cookie settings, effective secrets and bcrypt cost.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

from pydantic import Field, PrivateAttr, model_validator

from phalanx.config.base import Strict
from phalanx.config.dsn import DatabaseURL, parse_dsn
from phalanx.config.model_core import (
    CiphersConfig,
    ClientsConfig,
    CookiesConfig,
    DatabaseConfig,
    EnterpriseConfig,
    FeatureFlagsConfig,
    HashersConfig,
    IdentityConfig,
    LogConfig,
    OAuth2ProviderConfig,
    PhalanxConfig,
    PreviewConfig,
    SecretsConfig,
    SecurityConfig,
    SessionConfig,
    TracingConfig,
)
from phalanx.config.model_courier import CourierConfig
from phalanx.config.model_selfservice import SelfServiceConfig
from phalanx.config.model_serve import AdminServeConfig, PublicServeConfig, ServeConfig

__all__ = ["UI_FLOWS", "Config", "CookieSettings", "UIFlow"]

UIFlow = Literal["login", "registration", "settings", "recovery", "verification", "error"]
UI_FLOWS: tuple[UIFlow, ...] = (
    "login",
    "registration",
    "settings",
    "recovery",
    "verification",
    "error",
)
BCRYPT_MIN_COST = 12
"""Kratos raises a configured bcrypt cost below 12 to 12 unless ``--dev``."""

_WILDCARD_HOSTS = {"", "0.0.0.0", "::", "[::]"}  # noqa: S104 - matching, not binding


@dataclass(frozen=True, slots=True)
class CookieSettings:
    """Resolved attributes of a cookie Phalanx sets (session or CSRF)."""

    name: str | None
    domain: str | None
    path: str
    same_site: Literal["Strict", "Lax", "None"]
    secure: bool
    persistent: bool


def _is_loopback(host: str) -> bool:
    host = host.strip("[]")
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def _default_base_url(api: PublicServeConfig | AdminServeConfig, dev: bool) -> str:
    host = api.host
    if host in _WILDCARD_HOSTS:
        host = socket.gethostname()
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    scheme = "https" if api.tls.enabled or not (dev or _is_loopback(api.host)) else "http"
    return f"{scheme}://{host}:{api.port}/"


class Config(Strict):
    """The whole configuration, as loaded by ``load_config``.

    Attribute names are the Kratos keys; the three hyphenated keys are
    ``sqa_opt_out``, ``watch_courier`` and ``expose_metrics_port``. Durations are
    ``timedelta``, byte sizes are ints (bytes).
    """

    selfservice: SelfServiceConfig
    database: DatabaseConfig = DatabaseConfig()
    dsn: str
    courier: CourierConfig = CourierConfig()
    oauth2_provider: OAuth2ProviderConfig = OAuth2ProviderConfig()
    preview: PreviewConfig = PreviewConfig()
    serve: ServeConfig = ServeConfig()
    tracing: TracingConfig = TracingConfig()
    log: LogConfig = LogConfig()
    identity: IdentityConfig
    secrets: SecretsConfig = SecretsConfig()
    hashers: HashersConfig = HashersConfig()
    ciphers: CiphersConfig = CiphersConfig()
    cookies: CookiesConfig = CookiesConfig()
    session: SessionConfig = SessionConfig()
    security: SecurityConfig = SecurityConfig()
    version: str | None = None
    dev: bool = False
    help: bool = False
    sqa_opt_out: bool = Field(default=False, alias="sqa-opt-out")
    watch_courier: bool = Field(default=False, alias="watch-courier")
    expose_metrics_port: int = Field(default=0, ge=0, le=65535, alias="expose-metrics-port")
    config: list[str] = Field(default_factory=list)
    clients: ClientsConfig = ClientsConfig()
    feature_flags: FeatureFlagsConfig = FeatureFlagsConfig()
    organizations: list[dict[str, Any]] = Field(default_factory=list)
    enterprise: EnterpriseConfig = EnterpriseConfig()
    revision: str | None = None
    phalanx: PhalanxConfig = PhalanxConfig()

    _raw: dict[str, Any] = PrivateAttr(default_factory=dict)
    _env: dict[str, str] = PrivateAttr(default_factory=dict)
    _secrets_generated: bool = PrivateAttr(default=False)
    _files: tuple[Path, ...] = PrivateAttr(default=())

    @model_validator(mode="after")
    def _cross_checks(self) -> Config:
        # Root-level messages start with the key path: the error has no location of its own.
        if self.ciphers.algorithm != "noop" and not self.secrets.cipher:
            raise ValueError(
                "secrets.cipher: required key is missing "
                f'(ciphers.algorithm "{self.ciphers.algorithm}" needs 32-character secrets)'
            )
        ids = [s.id for s in self.identity.schemas]
        if self.identity.default_schema_id not in ids:
            raise ValueError(
                f'identity.default_schema_id: "{self.identity.default_schema_id}" matches no'
                f" identity.schemas[].id (have: {', '.join(ids)})"
            )
        return self

    # -- provenance ------------------------------------------------------------------

    @property
    def raw(self) -> Mapping[str, Any]:
        """The merged mapping the user set (files, ``--dev``, env, overrides); no defaults.

        Built-in default config values are not included. Treat it as read-only.
        """
        return self._raw

    @property
    def env_overrides(self) -> Mapping[str, str]:
        """Dotted key path -> environment variable name, for every env var applied."""
        return self._env

    @property
    def config_files(self) -> tuple[Path, ...]:
        """The files ``load_config`` read, in order; empty for the built-in default."""
        return self._files

    @property
    def secrets_generated(self) -> bool:
        """True when no secret was configured and a random one was generated for this run.

        Sessions and CSRF tokens then do not survive a restart (Kratos logs a warning).
        """
        return self._secrets_generated

    # -- resolved values -------------------------------------------------------------

    @property
    def is_dev(self) -> bool:
        """``dev: true`` or ``--dev``: plain-HTTP defaults, insecure cookies, low bcrypt cost."""
        return self.dev

    @property
    def database_url(self) -> DatabaseURL:
        """``dsn`` translated for SQLAlchemy (raises ``ConfigError`` if it is invalid)."""
        return parse_dsn(self.dsn)

    @property
    def public_base_url(self) -> str:
        """``serve.public.base_url`` or ``<scheme>://<host>:<port>/``; always ends with ``/``.

        The scheme is ``https`` unless ``--dev``, or the host is a loopback address and
        TLS is off (a Phalanx addition: such a listener cannot be reached over https).
        A wildcard host (``0.0.0.0``, empty) is replaced by the machine's hostname.
        """
        if self.serve.public.base_url:
            return _with_slash(self.serve.public.base_url)
        return _default_base_url(self.serve.public, self.dev)

    @property
    def admin_base_url(self) -> str:
        """``serve.admin.base_url`` or the default built like ``public_base_url``."""
        if self.serve.admin.base_url:
            return _with_slash(self.serve.admin.base_url)
        return _default_base_url(self.serve.admin, self.dev)

    def builtin_ui_url(self, page: str) -> str:
        """URL of a page of Phalanx's built-in UI: ``<public base_url>ui/<page>``."""
        return f"{self.public_base_url}ui/{page}"

    def ui_url(self, flow: UIFlow) -> str:
        """The flow's ``ui_url``, or the built-in UI page when it is not configured.

        A relative ``ui_url`` is resolved against the public base URL.
        """
        if flow not in UI_FLOWS:
            raise ValueError(f"unknown flow {flow!r} (expected one of {', '.join(UI_FLOWS)})")
        configured: str | None = getattr(self.selfservice.flows, flow).ui_url
        if configured is None:
            return self.builtin_ui_url(flow)
        return self.absolute_url(configured)

    def absolute_url(self, url: str) -> str:
        """Resolve a ``uri-reference`` config value against the public base URL."""
        if urlsplit(url).scheme:
            return url
        return urljoin(self.public_base_url, url)

    @property
    def default_browser_return_url(self) -> str:
        """``selfservice.default_browser_return_url``, made absolute."""
        return self.absolute_url(self.selfservice.default_browser_return_url)

    @property
    def bcrypt_cost(self) -> int:
        """The bcrypt cost Kratos actually uses: at least 12 unless in dev mode."""
        cost = self.hashers.bcrypt.cost
        return cost if self.dev else max(cost, BCRYPT_MIN_COST)

    @property
    def cookie_secure(self) -> bool:
        """``cookies.secure`` if set, else ``not dev`` (Kratos).

        Phalanx addition: also ``False`` when the public base URL is the defaulted
        plain-HTTP loopback URL (a browser would drop secure cookies there).
        """
        if self.cookies.secure is not None:
            return self.cookies.secure
        defaulted_http = self.serve.public.base_url is None and self.public_base_url.startswith(
            "http://"
        )
        return not self.dev and not defaulted_http

    @property
    def session_cookie(self) -> CookieSettings:
        """The session cookie: ``session.cookie.*`` falling back to ``cookies.*``."""
        c = self.session.cookie
        return CookieSettings(
            name=c.name,
            domain=c.domain if c.domain is not None else self.cookies.domain,
            path=c.path if c.path is not None else self.cookies.path,
            same_site=c.same_site if c.same_site is not None else self.cookies.same_site,
            secure=c.secure if c.secure is not None else self.cookie_secure,
            persistent=c.persistent,
        )

    @property
    def csrf_cookie(self) -> CookieSettings:
        """The CSRF cookie: ``cookies.*`` (its name is derived per base URL elsewhere)."""
        return CookieSettings(
            name=None,
            domain=self.cookies.domain,
            path=self.cookies.path,
            same_site=self.cookies.same_site,
            secure=self.cookie_secure,
            persistent=True,
        )

    @property
    def default_secrets(self) -> list[str]:
        """``secrets.default`` (a generated one when unset; see ``secrets_generated``)."""
        return list(self.secrets.default)

    @property
    def cookie_secrets(self) -> list[str]:
        """``secrets.cookie``, else ``secrets.default``; ``[0]`` signs, all verify."""
        return list(self.secrets.cookie or self.secrets.default)

    @property
    def pagination_secrets(self) -> list[str]:
        """``secrets.pagination``, else ``secrets.default``."""
        return list(self.secrets.pagination or self.secrets.default)

    @property
    def cipher_secrets(self) -> list[str]:
        """``secrets.cipher`` (32 characters each); empty means no encryption keys."""
        return list(self.secrets.cipher or ())
