"""Fixtures of the end-to-end suite: real ``phalanx serve`` processes.

* ``identity_server`` -- one server per test module *and* database backend (SQLite, then
  PostgreSQL and MariaDB on a fresh database each); tests in a module share it, so they must
  not assume an empty database (use :func:`tests.support.identities.unique_email`).
* ``sqlite_server`` -- one SQLite server per module, for suites that do not need the
  database matrix (SDK, CLI).
* ``admin`` -- a :class:`~tests.support.api.SpecClient` on the admin API of
  ``identity_server`` that validates every response against the OpenAPI spec.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.api import SpecClient
from tests.support.server import BACKENDS, DatabaseChoice, PhalanxServer, ServerFactory

#: Methods whose credentials count as factors (so credential deletion rules apply fully).
IDENTITY_METHODS = {
    "selfservice": {
        "methods": {
            "oidc": {"enabled": True, "config": {"providers": []}},
            "totp": {"enabled": True, "config": {"issuer": "Phalanx"}},
            "lookup_secret": {"enabled": True},
        }
    }
}


@pytest.fixture(scope="module", params=BACKENDS)
def identity_server(
    request: pytest.FixtureRequest, module_server_factory: ServerFactory
) -> Iterator[PhalanxServer]:
    backend: DatabaseChoice = request.param
    server = module_server_factory.start(database=backend, config=IDENTITY_METHODS)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def sqlite_server(module_server_factory: ServerFactory) -> PhalanxServer:
    return module_server_factory.start()


@pytest.fixture
def admin(identity_server: PhalanxServer) -> Iterator[SpecClient]:
    with SpecClient(identity_server.admin_url) as client:
        yield client
