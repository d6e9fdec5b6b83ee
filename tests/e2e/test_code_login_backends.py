"""Code sign-in on every database: 100 parallel submissions of one code give exactly one
session, on SQLite, PostgreSQL and MariaDB (``db`` marker for the latter two); and a code
registration round trip."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from phalanx.testing import MailSink, code_of, create_identity
from tests.e2e.test_code_login import code_config
from tests.support.api import SpecClient
from tests.support.identities import unique_email
from tests.support.server import BACKENDS, DatabaseChoice, PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e

PARALLEL = 100


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, mail: MailSink, module_server_factory: ServerFactory
) -> Iterator[PhalanxServer]:
    backend: DatabaseChoice = request.param
    # Every submission may reach the code check (max_submissions 255): the race is on
    # consuming the code, not on the attempt counter.
    server = module_server_factory.start(
        config=code_config(mail, max_submissions=255),
        database=backend,
        args=("--watch-courier",),
    )
    yield server
    server.stop()


async def _race(url: str, body: dict[str, str]) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=PARALLEL)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        return list(await asyncio.gather(*(client.post(url, json=body) for _ in range(PARALLEL))))


def test_one_code_one_session(server: PhalanxServer, mail: MailSink) -> None:
    email = unique_email("race")
    identity = create_identity(server.admin_url, email)
    with SpecClient(server.public_url) as api:
        flow = api.get("/self-service/login/api").json()
        r = api.post(
            f"/self-service/login?flow={flow['id']}",
            json={"method": "code", "identifier": email},
        )
        assert r.status_code == 400, r.text
    code = code_of(mail.wait(email)[0])
    url = f"{server.public_url}/self-service/login?flow={flow['id']}"
    results = asyncio.run(_race(url, {"method": "code", "identifier": email, "code": code}))
    assert all(r.status_code < 500 for r in results), [r.text[:200] for r in results]
    winners = [r for r in results if r.status_code == 200]
    assert len(winners) == 1, sorted({(r.status_code, r.text[:120]) for r in results})
    token = winners[0].json()["session_token"]
    sessions = httpx.get(
        f"{server.admin_url}/admin/identities/{identity['id']}/sessions", timeout=10
    ).json()
    assert len(sessions) == 1
    whoami = httpx.get(
        f"{server.public_url}/sessions/whoami", headers={"X-Session-Token": token}, timeout=10
    )
    assert whoami.json()["identity"]["id"] == identity["id"]


def test_code_registration_round_trip(server: PhalanxServer, mail: MailSink) -> None:
    email = unique_email("race-register")
    with SpecClient(server.public_url) as api:
        flow = api.get("/self-service/registration/api").json()
        url = f"/self-service/registration?flow={flow['id']}"
        r = api.post(url, json={"method": "code", "traits": {"email": email}})
        assert r.status_code == 400, r.text
        code = code_of(mail.wait(email)[0])
        r = api.post(url, json={"method": "code", "traits": {"email": email}, "code": code})
        assert r.status_code == 200, r.text
        assert r.json()["identity"]["verifiable_addresses"][0]["verified"] is True
