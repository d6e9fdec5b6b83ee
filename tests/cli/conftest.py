"""CLI tests run the real ``phalanx`` commands against one SQLite server per module."""

from __future__ import annotations

import pytest

from tests.support.server import PhalanxServer, ServerFactory


@pytest.fixture(scope="module")
def sqlite_server(module_server_factory: ServerFactory) -> PhalanxServer:
    return module_server_factory.start()
