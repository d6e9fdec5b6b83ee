"""A schemathesis run of the Kratos v25.4 OpenAPI spec against both ports: 0 answers 5xx.

Every operation of the spec gets generated requests -- valid ones and, more usefully,
invalid ones (wrong types, out-of-range numbers, odd strings, missing fields) -- sent to
the real server on SQLite and on PostgreSQL (admin paths to the admin port, the rest to
the public port). The examples are deterministic (``derandomize``) and the run is bounded:
at most ``EXAMPLES`` per operation and mode, within a wall-clock ``BUDGET`` per database
shared out among the operations (on a loaded machine fewer examples run). Any 5xx is
collected and reported with its request at the end. For a longer run set
``PHALANX_SCHEMATHESIS_BUDGET`` (seconds) and ``PHALANX_SCHEMATHESIS_EXAMPLES``.

Reads the spec at run time through ``tests.support.reference`` (``../shared`` or
``$PHALANX_KRATOS_REFERENCE``); skipped with the contract checks' one line when absent.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from tests.support.identities import create_body, unique_email
from tests.support.reference import OPENAPI, require
from tests.support.server import PhalanxServer, ServerFactory

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

#: Examples per operation and generation mode (positive and negative).
EXAMPLES = int(os.environ.get("PHALANX_SCHEMATHESIS_EXAMPLES", "25"))
#: Wall-clock seconds of one database's run, shared out evenly among the operations (an
#: operation's examples stop when its share is spent; unused time passes on).
BUDGET = float(os.environ.get("PHALANX_SCHEMATHESIS_BUDGET", "60"))


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.db),
    ],
)
def server(request: pytest.FixtureRequest, module_server_factory: ServerFactory) -> PhalanxServer:
    return module_server_factory.start(
        database=request.param,
        config={
            "selfservice": {
                "methods": {
                    "password": {"config": {"haveibeenpwned_enabled": False}},
                    "code": {"enabled": True},
                    "link": {"enabled": True},
                },
                "flows": {
                    "recovery": {"enabled": True, "use": "code"},
                    "verification": {"enabled": True, "use": "code"},
                    "registration": {"after": {"password": {"hooks": [{"hook": "session"}]}}},
                },
            },
            # deliveries fail fast and stay in the queue; nothing leaves the machine
            "courier": {"smtp": {"connection_uri": "smtp://127.0.0.1:9/?disable_starttls=true"}},
        },
    )


@dataclass(frozen=True, slots=True)
class ServerError:
    method: str
    url: str
    status: int
    body: str

    def __str__(self) -> str:
        return f"{self.method} {self.url} -> {self.status} {self.body[:200]}"


def _seed(server: PhalanxServer) -> None:
    """A few identities and a session, so list endpoints have something to render."""
    with requests.Session() as http:
        for _ in range(3):
            body = create_body(unique_email("fuzz"), password="a-Very-long-Passw0rd-4-tests")
            r = http.post(f"{server.admin_url}/admin/identities", json=body, timeout=10)
            assert r.status_code == 201, r.text


class _OutOfTime(Exception):
    """Raised inside a Hypothesis run to end it when the operation's time is up."""


def _has_input(operation: Any) -> bool:
    """Whether negative examples exist: query, path parameters or a body to break."""
    return bool(len(operation.query) or len(operation.path_parameters) or len(operation.body))


def _fuzz(
    operation: Any, base: str, http: requests.Session, until: float
) -> tuple[int, list[ServerError]]:
    """Run one operation's examples until ``until``; the requests sent and the 5xx."""
    # Imported here, not at collection: hypothesis and schemathesis cost seconds of CPU in
    # every process that collects the suite (their pytest plugin is off: ``-p no:schemathesis``).
    import hypothesis
    from hypothesis import HealthCheck, Phase
    from schemathesis import GenerationMode

    modes = [GenerationMode.POSITIVE]
    if _has_input(operation):
        modes.append(GenerationMode.NEGATIVE)
    errors: list[ServerError] = []
    calls = 0
    for mode in modes:
        try:
            strategy = operation.as_strategy(mode)
        except Exception:
            continue

        @hypothesis.settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @hypothesis.given(case=strategy)
        def run(case: Any) -> None:
            nonlocal calls
            if time.monotonic() > until:
                raise _OutOfTime
            calls += 1
            response = case.call(base_url=base, session=http, timeout=15, allow_redirects=False)
            if response.status_code >= 500:
                url = response.request.url or ""
                errors.append(ServerError(case.method, url, response.status_code, response.text))

        try:
            run()
        except (_OutOfTime, hypothesis.errors.Unsatisfiable):
            continue
    return calls, errors


def test_no_operation_answers_5xx(server: PhalanxServer) -> None:
    import schemathesis

    spec = require(OPENAPI)
    _seed(server)
    schema = schemathesis.openapi.from_path(str(spec))
    errors: list[ServerError] = []
    started = time.monotonic()
    deadline = started + BUDGET
    calls = 0
    operations = [result.ok() for result in schema.get_all_operations()]
    with requests.Session() as http:
        for index, operation in enumerate(operations):
            base = server.admin_url if operation.path.startswith("/admin") else server.public_url
            now = time.monotonic()
            share = max(deadline - now, 0.0) / (len(operations) - index)
            sent, found = _fuzz(operation, base, http, now + share)
            calls += sent
            errors.extend(found)
    print(f"schemathesis: {calls} requests in {time.monotonic() - started:.0f} s")
    assert calls > 0
    assert server.running, server.logs()
    assert not errors, f"{len(errors)} responses 5xx:\n" + "\n".join(map(str, errors[:40]))
