"""Fixtures of the built-in UI tests.

* ``_restore_locales`` (autouse): locales a test registers do not leak into other tests.
* ``config``: a validated :class:`phalanx.config.Config` whose public base URL is
  ``http://127.0.0.1:4433/`` (recovery and verification enabled); ``make_config`` builds
  variants from overrides.
* the browser fixtures of :mod:`tests.web.browser` (``chromium``, ``ui_page``,
  ``audit_page``, ``axe_source``, ``static_ui``), imported here for this directory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from phalanx.config import Config
from tests.web.browser import (  # noqa: F401  (fixtures shared by this directory)
    audit_page,
    axe_source,
    chromium,
    static_ui,
    ui_page,
)
from tests.web.flows import PUBLIC

ConfigFactory = Callable[..., Config]


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def build_config(public: str = PUBLIC, **overrides: Any) -> Config:
    data: dict[str, Any] = {
        "dsn": "memory",
        "identity": {"schemas": [{"id": "default", "url": "file:///etc/identity.schema.json"}]},
        "serve": {"public": {"base_url": public}},
        "selfservice": {
            "default_browser_return_url": f"{public}ui/welcome",
            "flows": {"recovery": {"enabled": True}, "verification": {"enabled": True}},
        },
    }
    return Config.model_validate(_merge(data, overrides))


@pytest.fixture(autouse=True)
def _restore_locales() -> Iterator[None]:
    """Locales registered by a test (catalogue or chrome) vanish after it."""
    from phalanx.text import i18n as catalogue
    from phalanx.web import i18n as web_i18n

    saved = {k: dict(v) for k, v in catalogue._LOCALES.items()}
    saved_chrome = {k: dict(v) for k, v in web_i18n._CHROME_LOCALES.items()}
    yield
    catalogue._LOCALES.clear()
    catalogue._LOCALES.update(saved)
    web_i18n._CHROME_LOCALES.clear()
    web_i18n._CHROME_LOCALES.update(saved_chrome)


@pytest.fixture
def make_config() -> ConfigFactory:
    return build_config


@pytest.fixture
def config() -> Config:
    return build_config()
