"""``serve``: the public (4433) and admin (4434) listeners.

Mirrors ``properties.serve`` of the Kratos v25.4 schema. The resolved base URLs live on
``Config.public_base_url`` / ``Config.admin_base_url``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from phalanx.config.base import Strict, Uri, UriRef, unique

__all__ = [
    "AdminServeConfig",
    "CorsConfig",
    "PublicServeConfig",
    "RequestLogConfig",
    "ServeConfig",
    "SocketConfig",
    "TlsConfig",
    "TlsSource",
]

HttpMethod = Literal["POST", "GET", "PUT", "PATCH", "DELETE", "CONNECT", "HEAD", "OPTIONS", "TRACE"]


def _origin(value: str) -> str:
    if value.count("*") > 1:
        raise ValueError(f'invalid origin "{value}" (at most one * wildcard)')
    if value != "*" and "://" not in value:
        raise ValueError(f'invalid origin "{value}" (expected "*" or a URL such as https://...)')
    return value


def _default_methods() -> list[HttpMethod]:
    return ["POST", "GET", "PUT", "PATCH", "DELETE"]


class RequestLogConfig(Strict):
    """``serve.<api>.request_log``."""

    disable_for_health: bool = False


class SocketConfig(Strict):
    """``serve.<api>.socket``: owner, group and mode of a unix socket listener."""

    owner: str = ""
    group: str = ""
    mode: int = Field(default=0o755, ge=0, le=0o777)


class TlsSource(Strict):
    """A PEM file ``path`` or inline ``base64``."""

    path: str | None = None
    base64: str | None = None


class TlsConfig(Strict):
    """``serve.<api>.tls``."""

    key: TlsSource | None = None
    cert: TlsSource | None = None

    @property
    def enabled(self) -> bool:
        """True when both a key and a certificate are configured."""
        return self.key is not None and self.cert is not None


class CorsConfig(Strict):
    """``serve.public.cors`` (and Phalanx's ``serve.admin.cors``): rs/cors options; the
    defaults are the config schema's, which Kratos's config loader applies over its code
    defaults."""

    enabled: bool = False
    allowed_origins: Annotated[list[Annotated[str, AfterValidator(_origin)]], unique] = Field(
        default_factory=lambda: ["*"]
    )
    allowed_methods: list[HttpMethod] = Field(default_factory=_default_methods)
    allowed_headers: list[str] = Field(
        default_factory=lambda: [
            "Authorization",
            "Content-Type",
            "Max-Age",
            "X-Session-Token",
            "X-XSRF-TOKEN",
            "X-CSRF-TOKEN",
        ]
    )
    exposed_headers: list[str] = Field(default_factory=lambda: ["Content-Type"])
    allow_credentials: bool = True
    options_passthrough: bool = False
    max_age: int = Field(default=0, ge=0)
    debug: bool = False


class AdminServeConfig(Strict):
    """``serve.admin``; ``cors`` is a Phalanx addition (Kratos's admin API has none)."""

    request_log: RequestLogConfig = RequestLogConfig()
    cors: CorsConfig = CorsConfig()
    base_url: Uri | None = None
    host: str = "0.0.0.0"  # noqa: S104 - Kratos's documented default
    port: int = Field(default=4434, ge=1, le=65535)
    socket: SocketConfig = SocketConfig()
    tls: TlsConfig = TlsConfig()


class PublicServeConfig(Strict):
    """``serve.public``."""

    request_log: RequestLogConfig = RequestLogConfig()
    cors: CorsConfig = CorsConfig()
    base_url: UriRef | None = None
    host: str = "0.0.0.0"  # noqa: S104 - Kratos's documented default
    port: int = Field(default=4433, ge=1, le=65535)
    socket: SocketConfig = SocketConfig()
    tls: TlsConfig = TlsConfig()


class ServeConfig(Strict):
    """``serve``."""

    admin: AdminServeConfig = AdminServeConfig()
    public: PublicServeConfig = PublicServeConfig()
