"""No timing oracle: a login naming an unknown account costs as much as a wrong password.

bcrypt runs at cost 8 here (tens of milliseconds per verification) so that skipping the
dummy verification for unknown identifiers would stand out far above the noise.
"""

from __future__ import annotations

import statistics
import time

import httpx
import pytest

from phalanx.testing import flows_config
from phalanx.testing.sdk import frontend, register_api
from tests.support.identities import unique_email
from tests.support.server import PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e

ROUNDS = 15


@pytest.fixture(scope="module")
def server(module_server_factory: ServerFactory) -> PhalanxServer:
    config = flows_config({"hashers": {"algorithm": "bcrypt", "bcrypt": {"cost": 8}}})
    return module_server_factory.start(config=config)


def _timed_failure(client: httpx.Client, identifier: str) -> float:
    flow = client.get("/self-service/login/api").json()
    body = {"method": "password", "identifier": identifier, "password": "not-the-password"}
    started = time.perf_counter()
    r = client.post(flow["ui"]["action"], json=body)
    elapsed = time.perf_counter() - started
    assert r.status_code == 400 and r.json()["ui"]["messages"][0]["id"] == 4000006
    return elapsed


def test_unknown_identifiers_take_as_long_as_wrong_passwords(server: PhalanxServer) -> None:
    email = unique_email("timing")
    with frontend(server) as api:
        register_api(api, email)
    known: list[float] = []
    unknown: list[float] = []
    with httpx.Client(base_url=server.public_url, timeout=30) as client:
        _timed_failure(client, email)  # warm up (and the dummy hash)
        _timed_failure(client, unique_email())
        for _ in range(ROUNDS):
            known.append(_timed_failure(client, email))
            unknown.append(_timed_failure(client, unique_email("nobody")))
    hash_cost = statistics.median(known)
    difference = abs(statistics.median(unknown) - hash_cost)
    assert hash_cost > 0.015, f"bcrypt cost 8 should be slow, median {hash_cost * 1000:.1f} ms"
    assert difference < max(0.012, hash_cost * 0.3), (
        f"known {statistics.median(known) * 1000:.1f} ms vs unknown "
        f"{statistics.median(unknown) * 1000:.1f} ms"
    )
