"""A schemathesis run of the Kratos v25.4 OpenAPI spec against both ports: 0 answers 5xx.

Every operation of the spec gets generated requests -- valid ones and, more usefully,
invalid ones (wrong types, out-of-range numbers, odd strings, missing fields) -- sent to
the real server on SQLite and on PostgreSQL (admin paths to the admin port, the rest to
the public port). The run is deterministic (``derandomize``) and bounded: a few examples
per operation and mode, and a wall-clock budget per database after which the remaining
examples are skipped. Any 5xx is collected and reported with its request at the end.

Reads the spec from ``../shared`` at run time; skipped with one line when it is absent.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from schemathesis import GenerationMode

from tests.support.identities import create_body, unique_email
from tests.support.paths import OPENAPI_SPEC
from tests.support.server import PhalanxServer, ServerFactory

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

#: Examples per operation and generation mode (positive and negative).
EXAMPLES = 12
#: Wall-clock seconds one database's run may take before the remaining examples are skipped.
BUDGET = 90.0


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


def test_no_operation_answers_5xx(server: PhalanxServer) -> None:
    if not OPENAPI_SPEC.exists():
        pytest.skip(f"the Kratos OpenAPI spec is not at {OPENAPI_SPEC}")
    _seed(server)
    schema = schemathesis.openapi.from_path(str(OPENAPI_SPEC))
    errors: list[ServerError] = []
    deadline = time.monotonic() + BUDGET
    calls = 0
    with requests.Session() as http:
        for result in schema.get_all_operations():
            operation = result.ok()
            base = server.admin_url if operation.path.startswith("/admin") else server.public_url
            strategies = []
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                try:
                    strategies.append(operation.as_strategy(mode))
                except Exception:
                    continue

            @hypothesis.settings(
                max_examples=EXAMPLES * len(strategies),
                deadline=None,
                derandomize=True,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @hypothesis.given(case=st.one_of(strategies))
            def run(case: Any, base: str = base) -> None:
                nonlocal calls
                if time.monotonic() > deadline:
                    return
                calls += 1
                response = case.call(base_url=base, session=http, timeout=15, allow_redirects=False)
                if response.status_code >= 500:
                    errors.append(
                        ServerError(
                            case.method,
                            response.request.url or "",
                            response.status_code,
                            response.text,
                        )
                    )

            run()
    assert calls > 0
    assert server.running, server.logs()
    assert not errors, f"{len(errors)} responses 5xx:\n" + "\n".join(map(str, errors[:30]))
