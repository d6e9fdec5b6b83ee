"""Loading: files, ``--dev``, environment and overrides merged into one ``Config``.

Precedence, lowest first, like Kratos (ory/x ``configx``):

1. schema defaults (the model's field defaults);
2. the built-in default config, only when no file is given (see ``defaults``);
3. config files in order (YAML/YML, JSON or TOML by extension), deep-merged: mappings
   merge key by key, everything else (lists included) is replaced by the later file;
4. ``dev=True`` (the ``--dev`` flag) sets ``dev: true``;
5. environment variables (see ``env``);
6. ``overrides`` (programmatic: embedding and tests), as nested or dotted keys.

Kratos puts CLI flags below env vars; Phalanx's ``overrides`` sit on top because they
come from code that wants the last word.
"""

from __future__ import annotations

import copy
import json
import os
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from phalanx.config.defaults import (
    DEFAULT_SECRETS_FILENAME,
    default_config_mapping,
    ensure_default_secrets,
    generate_secret,
)
from phalanx.config.env import apply_env
from phalanx.config.errors import ConfigError, config_error_from_validation, describe_value
from phalanx.config.model import Config
from phalanx.config.model_serve import ServeConfig

__all__ = ["deep_merge", "load_config", "read_config_file"]


def deep_merge(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``top`` onto ``base``: mappings recursively, any other value replaced."""
    out = dict(base)
    for key, value in top.items():
        old = out.get(key)
        if isinstance(old, Mapping) and isinstance(value, Mapping):
            out[key] = deep_merge(old, value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _mark(exc: Any) -> str:
    mark = getattr(exc, "problem_mark", None)
    if mark is None:
        return ""
    return f" at line {mark.line + 1}, column {mark.column + 1}"


def read_config_file(path: Path | str) -> dict[str, Any]:
    """Read one config file into a mapping; ``ConfigError`` names the file on failure."""
    p = Path(path)
    name = str(path)
    suffix = p.suffix.lower()
    if suffix not in (".yaml", ".yml", ".json", ".toml"):
        raise ConfigError(
            name,
            f'unsupported file extension "{p.suffix}" (expected .yaml, .yml, .json or .toml)',
        )
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(name, "file not found") from None
    except IsADirectoryError:
        raise ConfigError(name, "is a directory, not a config file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(name, f"cannot read file: {exc}") from None
    data: Any
    try:
        if suffix == ".json":
            data = json.loads(text) if text.strip() else {}
        elif suffix == ".toml":
            data = tomllib.loads(text)
        else:
            data = yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            name, f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(name, f"invalid TOML: {exc}") from None
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(name, f"invalid YAML{_mark(exc)}: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            name, f"expected a mapping of config keys at the top level, got {type(data).__name__}"
        )
    return data


def _nest(overrides: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in overrides.items():
        parts = key.split(".")
        node: dict[str, Any] = {}
        leaf = node
        for part in parts[:-1]:
            leaf[part] = {}
            leaf = leaf[part]
        leaf[parts[-1]] = value
        out = deep_merge(out, node)
    return out


def _get(raw: Mapping[str, Any], *keys: str) -> Any:
    node: Any = raw
    for key in keys:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


def _public_base_url(merged: Mapping[str, Any], dev: bool) -> str:
    serve = merged.get("serve") or {}
    try:
        cfg = ServeConfig.model_validate(serve)
    except ValidationError as exc:
        raise config_error_from_validation(exc, serve, prefix="serve") from None
    probe = Config.model_construct(serve=cfg, dev=dev)
    return probe.public_base_url


def load_config(
    paths: Sequence[Path | str | Mapping[str, Any]] = (),
    *,
    env: Mapping[str, str] | None = None,
    dev: bool = False,
    overrides: Mapping[str, Any] | None = None,
    data_dir: Path | str | None = None,
) -> Config:
    """Load, merge and validate the configuration; see the module doc for precedence.

    ``paths`` are files, or mappings taken as already parsed files (embedders' dict
    configs); empty means the built-in default config (SQLite file and secrets in
    ``data_dir``, default: the current directory). ``env=None`` reads ``os.environ``;
    pass ``{}`` to ignore the environment. Raises ``ConfigError`` (one line, naming the
    key path) for anything invalid, including the DSN.
    """
    builtin = not paths
    where = Path(data_dir) if data_dir is not None else Path.cwd()
    user: dict[str, Any] = {}
    for path in paths:
        if isinstance(path, Mapping):
            user = deep_merge(user, copy.deepcopy(dict(path)))
        else:
            user = deep_merge(user, read_config_file(path))
    if dev:
        user["dev"] = True
    applied = apply_env(user, os.environ if env is None else env)
    if overrides:
        user = deep_merge(user, _nest(overrides))

    merged = deep_merge(default_config_mapping(where), user) if builtin else copy.deepcopy(user)
    is_dev = merged.get("dev") is True
    generated = False
    if not _get(merged, "secrets", "default"):
        if merged.get("secrets") is None:
            merged["secrets"] = {}
        secrets_node = merged["secrets"]
        if not isinstance(secrets_node, dict):
            raise ConfigError("secrets", f"expected a mapping, got {describe_value(secrets_node)}")
        if builtin:
            secrets_node["default"] = ensure_default_secrets(where / DEFAULT_SECRETS_FILENAME)
        else:
            secrets_node["default"] = [generate_secret()]
            generated = not _get(merged, "secrets", "cookie")
    if builtin and not _get(merged, "selfservice", "default_browser_return_url"):
        if merged.get("selfservice") is None:
            merged["selfservice"] = {}
        selfservice = merged["selfservice"]
        if isinstance(selfservice, dict):
            selfservice["default_browser_return_url"] = (
                _public_base_url(merged, is_dev) + "ui/welcome"
            )

    try:
        cfg = Config.model_validate(merged)
    except ValidationError as exc:
        raise config_error_from_validation(exc, merged, env_sources=applied) from None
    cfg._raw = user
    cfg._env = applied
    cfg._secrets_generated = generated
    cfg._files = tuple(Path(p) for p in paths if not isinstance(p, Mapping))
    _ = cfg.database_url  # validate the DSN now, not on first use
    return cfg
