"""``phalanx.session.idle_timeout`` end to end: whoami (cached answers included) and flows
end a session unused for that long, each use keeps it alive, and the end is audited."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from phalanx.audit import EventType
from phalanx.testing import PASSWORD, create_identity
from tests.support.identities import unique_email
from tests.support.server import PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e

IDLE = 1.5  # seconds


@pytest.fixture(scope="module")
def server(module_server_factory: ServerFactory) -> PhalanxServer:
    return module_server_factory.start(config={"phalanx": {"session": {"idle_timeout": "1500ms"}}})


def _login(server: PhalanxServer) -> dict[str, Any]:
    email = unique_email("idle")
    create_identity(server.admin_url, email)
    with httpx.Client(base_url=server.public_url, timeout=30) as http:
        flow = http.get("/self-service/login/api").json()
        r = http.post(
            flow["ui"]["action"],
            json={"method": "password", "identifier": email, "password": PASSWORD},
        )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _whoami(server: PhalanxServer, token: str) -> int:
    r = httpx.get(
        f"{server.public_url}/sessions/whoami", headers={"X-Session-Token": token}, timeout=30
    )
    return r.status_code


def test_whoami_keeps_a_used_session_and_ends_an_idle_one(server: PhalanxServer) -> None:
    login = _login(server)
    token = login["session_token"]
    # Used every 0.6 s for longer than the timeout: alive (cached answers count as uses).
    start = time.monotonic()
    while time.monotonic() - start < IDLE * 1.5:
        assert _whoami(server, token) == 200
        time.sleep(0.6)
    time.sleep(IDLE + 0.3)
    assert _whoami(server, token) == 401
    assert _whoami(server, token) == 401  # revoked: stays ended

    r = httpx.get(f"{server.admin_url}/admin/sessions/{login['session']['id']}", timeout=30)
    assert r.json()["active"] is False
    events = httpx.get(
        f"{server.admin_url}/admin/audit/events",
        params={
            "type": EventType.SESSION_IDLE_EXPIRED,
            "identity": login["session"]["identity"]["id"],
        },
        timeout=30,
    ).json()
    assert len(events) == 1
    assert events[0]["actor"] == "system"
    assert events[0]["session_id"] == login["session"]["id"]
    assert events[0]["details"] == {"idle_timeout": "1.5s"}


def test_flows_end_an_idle_session_too(server: PhalanxServer) -> None:
    token = _login(server)["session_token"]
    headers = {"X-Session-Token": token}
    with httpx.Client(base_url=server.public_url, timeout=30) as http:
        assert http.get("/self-service/settings/api", headers=headers).status_code == 200
        time.sleep(IDLE + 0.3)
        r = http.get("/self-service/settings/api", headers=headers)
        assert r.status_code == 401, r.text
        assert r.json()["error"]["id"] == "session_inactive"
    assert _whoami(server, token) == 401
