"""Which environment variables configure Phalanx (and so must never leak into tests)."""

from __future__ import annotations

import os
from collections.abc import Mapping

__all__ = ["CONFIG_ENV_PREFIXES", "CONFIG_ENV_VARS", "clean_environ", "is_config_var"]

#: Env vars that Kratos-style configuration reads verbatim.
CONFIG_ENV_VARS = frozenset(
    {"DSN", "LOG_LEVEL", "LOG_FORMAT", "DEV", "SQA_OPT_OUT", "WATCH_COURIER", "CONFIG"}
)
#: Prefixes of env vars that override config keys (``SERVE_PUBLIC_PORT`` -> serve.public.port).
CONFIG_ENV_PREFIXES = (
    "SERVE_",
    "SELFSERVICE_",
    "KRATOS_",
    "PHALANX_",
    "IDENTITY_",
    "SECRETS_",
    "COURIER_",
    "HASHERS_",
    "SESSION_",
    "COOKIES_",
    "CIPHERS_",
    "DATABASE_",
    "LOG_",
    "ORGANIZATIONS_",
    "OAUTH2_PROVIDER_",
    "PREVIEW_",
    "FEATURE_FLAGS_",
    "SECURITY_",
    "TRACING_",
)


def is_config_var(name: str) -> bool:
    """True for env vars Phalanx (or the Kratos CLI) would read as configuration."""
    return name in CONFIG_ENV_VARS or name.startswith(CONFIG_ENV_PREFIXES)


def clean_environ(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """``os.environ`` without configuration variables, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not is_config_var(k)}
    if extra:
        env.update(extra)
    return env
