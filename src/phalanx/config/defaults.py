"""The built-in default configuration: one command, embedded SQLite, built-in UI.

Used by ``load_config`` when no config file is given. ``default.yml`` in this package
holds the static part; this module adds what depends on the machine:

* ``dsn``: ``sqlite:///<data_dir>/phalanx.sqlite?_fk=true``, ``data_dir`` defaulting to
  the current directory;
* ``identity.schemas``: one schema ``default`` whose ``file://`` URL points at
  ``identity.default.schema.json`` inside the installed package;
* ``secrets.default``: read from ``<data_dir>/phalanx.secrets``, created with a random
  secret (mode 0600) on first start, so sessions survive restarts. (Kratos itself
  generates a random secret per process when none is configured.)
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import yaml

from phalanx.config.errors import ConfigError

__all__ = [
    "DEFAULT_DB_FILENAME",
    "DEFAULT_SECRETS_FILENAME",
    "default_config_mapping",
    "default_config_path",
    "default_dsn",
    "default_identity_schema_path",
    "default_identity_schema_url",
    "ensure_default_secrets",
    "generate_secret",
]

DEFAULT_DB_FILENAME = "phalanx.sqlite"
DEFAULT_SECRETS_FILENAME = "phalanx.secrets"
_PACKAGE_DIR = Path(__file__).resolve().parent


def default_config_path() -> Path:
    """Path of the packaged ``default.yml`` (without the runtime values, see module doc)."""
    return _PACKAGE_DIR / "default.yml"


def default_identity_schema_path() -> Path:
    """Path of the packaged default identity schema (email, name.first, name.last)."""
    return _PACKAGE_DIR / "identity.default.schema.json"


def default_identity_schema_url() -> str:
    """``file://`` URL of the default identity schema in the installed package."""
    return default_identity_schema_path().as_uri()


def default_dsn(data_dir: Path) -> str:
    """``sqlite:///<data_dir>/phalanx.sqlite?_fk=true`` with ``data_dir`` made absolute."""
    return f"sqlite://{(data_dir.absolute() / DEFAULT_DB_FILENAME).as_posix()}?_fk=true"


def default_config_mapping(data_dir: Path) -> dict[str, Any]:
    """The built-in default config as a raw mapping, minus ``secrets`` (see ``load``)."""
    with default_config_path().open(encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.safe_load(fh)
    data["dsn"] = default_dsn(data_dir)
    data.setdefault("identity", {})["schemas"] = [
        {"id": "default", "url": default_identity_schema_url()}
    ]
    return data


def generate_secret() -> str:
    """A random 32-character secret (valid for ``secrets.default``, ``cookie`` and ``cipher``)."""
    return secrets.token_urlsafe(24)


def ensure_default_secrets(path: Path | str) -> list[str]:
    """Read the secrets kept at ``path`` (one per line), creating the file if needed.

    A new file gets one random secret and mode 0600. Existing files are read as they
    are, so an operator can prepend a new secret to rotate keys (the first signs, all
    verify). Raises ``ConfigError`` when the file cannot be read or written.
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    except OSError as exc:
        raise ConfigError(str(target), f"cannot create secrets file: {exc.strerror}") from None
    else:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(generate_secret() + "\n")
    try:
        lines = target.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(str(target), f"cannot read secrets file: {exc.strerror}") from None
    found = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    if not found:
        raise ConfigError(str(target), "secrets file is empty (delete it to generate a new one)")
    short = [i for i, s in enumerate(found) if len(s) < 16]
    if short:
        raise ConfigError(str(target), f"secret #{short[0] + 1} is shorter than 16 characters")
    return found
