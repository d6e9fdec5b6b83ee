"""Shared start-up steps: load config with one-line errors, open the registry."""

from __future__ import annotations

import logging
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
    level = "INFO"
    if config is not None:
        level = str(config.log.level).upper()
        if level == "WARNING":
            level = "WARNING"
        elif level in ("TRACE",):
            level = "DEBUG"
        elif level in ("FATAL", "PANIC"):
            level = "CRITICAL"
    logging.basicConfig(
        level=getattr(logging, level, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)


def load_or_exit(paths: Sequence[str], *, dev: bool) -> Config:
    try:
        return load_config(list(paths), env=os.environ, dev=dev)
    except ConfigError as exc:
        fail(str(exc))
