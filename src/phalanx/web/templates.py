"""The Jinja2 environment of the built-in UI (autoescaping on, strict undefined).

Templates live in ``templates/`` next to this module, static files in ``static/``; static
URLs carry a content hash (``?v=``) so they can be cached without going stale.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

__all__ = ["STATIC_DIR", "TEMPLATE_DIR", "format_time", "render", "static_version"]

_HERE = Path(__file__).parent
TEMPLATE_DIR = _HERE / "templates"
STATIC_DIR = _HERE / "static"


def format_time(value: Any) -> str:
    """An RFC 3339 timestamp as ``2026-07-29 12:34 UTC`` (unparseable values unchanged)."""
    if not isinstance(value, str) or not value:
        return "" if value is None else str(value)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


@cache
def static_version(name: str) -> str:
    """A short content hash of a static file, for cache busting."""
    path = STATIC_DIR / name
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    except OSError:
        return "0"


@cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters["when"] = format_time
    return env


def render(template: str, **context: Any) -> str:
    """Render ``templates/<template>`` with ``context``."""
    return _environment().get_template(template).render(**context)
