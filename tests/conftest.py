"""Root fixtures shared by every test.

* ``anyio_backend``: async tests run on asyncio (``@pytest.mark.anyio``).
* ``_isolated_environment`` (autouse): strips configuration env vars (``DSN``, ``SERVE_*``,
  ``SELFSERVICE_*``, ``KRATOS_*``, ... see :mod:`tests.support.env`) so a developer's shell
  never leaks into a test; tests that want one set it with ``monkeypatch.setenv``.
* the real-server fixtures of :mod:`tests.support.server` (``server_factory``,
  ``module_server_factory``) and the SMTP sink fixture of :mod:`tests.support.mail`
  (``mail``) are registered as plugins, so every test directory can use them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support.env import is_config_var

pytest_plugins = ["tests.support.server", "tests.support.mail", "tests.support.oidc"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if is_config_var(name):
            monkeypatch.delenv(name, raising=False)
    yield
