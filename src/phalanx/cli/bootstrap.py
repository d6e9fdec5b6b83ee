"""Shared start-up steps: load config with one-line errors, open the registry."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import NoReturn

import click

from phalanx.config import Config, ConfigError, load_config

__all__ = ["fail", "load_or_exit", "setup_logging"]


def fail(message: str, code: int = 1) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(code)


def setup_logging(config: Config | None = None) -> None:
    """Apply ``log.*`` (level, format, redaction) to this process: :mod:`phalanx.logs`."""
    from phalanx.logs import configure

    configure(config)


def load_or_exit(paths: Sequence[str], *, dev: bool) -> Config:
    try:
        return load_config(list(paths), env=os.environ, dev=dev)
    except ConfigError as exc:
        fail(str(exc))
