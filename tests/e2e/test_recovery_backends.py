"""Recovery and verification on every database: one full native round trip each, plus
the single-use race, on SQLite, PostgreSQL and MariaDB (``db`` marker for the latter two)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest

from phalanx.testing import MailSink, code_of, create_identity, mail_config, message_ids
from tests.support.api import SpecClient
from tests.support.identities import unique_email
from tests.support.server import BACKENDS, DatabaseChoice, PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, mail: MailSink, module_server_factory: ServerFactory
) -> Iterator[PhalanxServer]:
    backend: DatabaseChoice = request.param
    server = module_server_factory.start(
        config=mail_config(mail), database=backend, args=("--watch-courier",)
    )
    yield server
    server.stop()


def test_recovery_round_trip_and_race(server: PhalanxServer, mail: MailSink) -> None:
    email = unique_email("backend")
    identity = create_identity(server.admin_url, email)
    with SpecClient(server.public_url) as api:
        flow = api.get("/self-service/recovery/api").json()
        r = api.post(
            f"/self-service/recovery?flow={flow['id']}", json={"method": "code", "email": email}
        )
        assert message_ids(r.json()) == [1060003]
        r = api.post(
            f"/self-service/recovery?flow={flow['id']}", json={"method": "code", "code": "000001"}
        )
        assert message_ids(r.json()) == [4060006]
    code = code_of(mail.last(email))
    url = f"{server.public_url}/self-service/recovery?flow={flow['id']}"
    results: list[httpx.Response] = []
    barrier = threading.Barrier(3)

    def submit() -> None:
        with httpx.Client(timeout=20) as client:
            barrier.wait()
            results.append(client.post(url, json={"method": "code", "code": code}))

    threads = [threading.Thread(target=submit) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [r for r in results if r.status_code == 200 and r.json().get("continue_with")]
    assert len(winners) == 1, [(r.status_code, r.text[:200]) for r in results]
    token = winners[0].json()["continue_with"][0]["ory_session_token"]
    whoami = httpx.get(
        f"{server.public_url}/sessions/whoami", headers={"X-Session-Token": token}, timeout=10
    ).json()
    assert whoami["identity"]["id"] == identity["id"]
    assert whoami["identity"]["verifiable_addresses"][0]["verified"] is True


def test_verification_round_trip(server: PhalanxServer, mail: MailSink) -> None:
    email = unique_email("backend-verify")
    identity = create_identity(server.admin_url, email)
    with SpecClient(server.public_url) as api:
        flow = api.get("/self-service/verification/api").json()
        api.post(
            f"/self-service/verification?flow={flow['id']}", json={"method": "code", "email": email}
        )
        code = code_of(mail.last(email))
        r = api.post(
            f"/self-service/verification?flow={flow['id']}", json={"method": "code", "code": code}
        )
        assert r.json()["state"] == "passed_challenge"
    admin = httpx.get(f"{server.admin_url}/admin/identities/{identity['id']}", timeout=10).json()
    assert admin["verifiable_addresses"][0]["status"] == "completed"
