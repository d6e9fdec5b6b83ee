"""Phalanx configuration: the Kratos v25.4 ``kratos.yml`` as a typed, frozen model.

Typical use::

    from phalanx.config import load_config

    cfg = load_config(["kratos.yml"])          # files, then env vars, like Kratos
    cfg.selfservice.flows.settings.privileged_session_max_age   # timedelta
    cfg.ui_url("login")                          # built-in UI unless configured
    cfg.database_url.sqlalchemy_url              # "sqlite+aiosqlite:///..."

Every problem is a ``ConfigError`` whose message is one line naming the key path.
"""

from __future__ import annotations

from phalanx.config.defaults import (
    default_config_path,
    default_identity_schema_path,
    default_identity_schema_url,
    ensure_default_secrets,
)
from phalanx.config.dsn import DatabaseURL, parse_dsn
from phalanx.config.duration import (
    format_byte_size,
    format_duration,
    parse_byte_size,
    parse_duration,
)
from phalanx.config.env import env_name
from phalanx.config.errors import ConfigError
from phalanx.config.load import load_config, read_config_file
from phalanx.config.model import UI_FLOWS, Config, CookieSettings, UIFlow
from phalanx.config.support import SUPPORTED_KEYS, is_supported, unsupported_keys

__all__ = [
    "SUPPORTED_KEYS",
    "UI_FLOWS",
    "Config",
    "ConfigError",
    "CookieSettings",
    "DatabaseURL",
    "UIFlow",
    "default_config_path",
    "default_identity_schema_path",
    "default_identity_schema_url",
    "ensure_default_secrets",
    "env_name",
    "format_byte_size",
    "format_duration",
    "is_supported",
    "load_config",
    "parse_byte_size",
    "parse_dsn",
    "parse_duration",
    "read_config_file",
    "unsupported_keys",
]
