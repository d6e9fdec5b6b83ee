"""Known Kratos advisories around AAL (the CVE-2024-45042 / GHSA-wc43-73w7-x2f5 class:
reaching aal2, or passing ``highest_available``, without a second factor). Each test tries
the trick against Phalanx and checks it is refused."""

from __future__ import annotations

import sqlite3
from typing import Any

import httpx
import pytest

from phalanx.testing import PASSWORD, client, message_ids, register_api
from tests.support.api import error_of
from tests.support.identities import unique_email
from tests.support.mfa import (
    aal2_flow_api,
    enroll_totp_api,
    fresh_window,
    mfa_config,
    password_login_api,
    submit_totp_api,
    totp_code,
)
from tests.support.server import PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(module_server_factory: ServerFactory) -> PhalanxServer:
    return module_server_factory.start(config=mfa_config())


@pytest.fixture
def public(server: PhalanxServer) -> Any:
    with client(server.public_url) as http:
        yield http


def _enrolled(server: PhalanxServer) -> tuple[str, str, str]:
    """(email, secret, identity id) of a fresh identity with TOTP."""
    fresh_window()
    email = unique_email("adv")
    token, identity = register_api(server.public_url, email)
    return email, enroll_totp_api(server.public_url, token), identity["id"]


def _whoami(server: PhalanxServer, token: str) -> httpx.Response:
    return httpx.get(f"{server.public_url}/sessions/whoami", headers={"X-Session-Token": token})


def _sqlite(server: PhalanxServer) -> sqlite3.Connection:
    path = server.dsn.removeprefix("sqlite://").split("?", 1)[0]
    return sqlite3.connect(path)


def test_a_stale_available_aal_column_does_not_let_an_aal1_session_through(
    server: PhalanxServer,
) -> None:
    """GHSA-wc43-73w7-x2f5: ``available_aal`` stored as aal1/aal0 for an identity with 2FA
    made ``highest_available`` pass. Phalanx recomputes anything but aal2 from the
    credentials, answers 403 and repairs the column."""
    email, _, identity_id = _enrolled(server)
    token = password_login_api(server.public_url, email)["session_token"]
    hex_id = identity_id.replace("-", "")
    for stale in ("aal1", "aal0"):
        with _sqlite(server) as db:
            db.execute(
                "UPDATE identities SET available_aal = ? WHERE id IN (?, ?)",
                (stale, identity_id, hex_id),
            )
            assert db.total_changes == 1
        r = _whoami(server, token)
        assert r.status_code == 403 and error_of(r)["id"] == "session_aal2_required"
        with _sqlite(server) as db:
            (stored,) = db.execute(
                "SELECT available_aal FROM identities WHERE id IN (?, ?)", (identity_id, hex_id)
            ).fetchone()
        assert stored == "aal2"


def test_reusing_the_first_factor_flow_cannot_complete_the_second(
    server: PhalanxServer, public: httpx.Client
) -> None:
    email, secret, _ = _enrolled(server)
    flow = public.get("/self-service/login/api").json()
    r = httpx.post(
        flow["ui"]["action"],
        json={"identifier": email, "password": PASSWORD, "method": "password"},
    )
    token = r.json()["session_token"]
    # The aal1 flow, resubmitted with the new session and a TOTP code: already logged in
    # (the flow answers with its "a valid session was detected" message).
    r = submit_totp_api(public, flow, token, totp_code(secret, 0))
    assert r.status_code == 400 and message_ids(r.json()["ui"]) == [4000001]
    assert "valid session was detected" in r.json()["ui"]["messages"][0]["text"]
    assert _whoami(server, token).status_code == 403


def test_a_second_factor_flow_never_starts_a_session(
    server: PhalanxServer, public: httpx.Client
) -> None:
    email, secret, _ = _enrolled(server)
    token = password_login_api(server.public_url, email)["session_token"]
    flow = aal2_flow_api(public, token)
    # Without the session the aal2 flow is refused, even with a valid code.
    r = public.post(
        flow["ui"]["action"], json={"method": "totp", "totp_code": totp_code(secret, 0)}
    )
    assert r.status_code == 401 and error_of(r)["id"] == "session_aal1_required"
    # A TOTP code in a first-factor flow is nobody's business (no session is created).
    aal1 = public.get("/self-service/login/api").json()
    r = public.post(aal1["ui"]["action"], json={"method": "totp", "totp_code": "123456"})
    assert r.status_code == 400 and message_ids(r.json()["ui"]) == [4010002]


def test_mixing_identities_in_an_aal2_flow(server: PhalanxServer, public: httpx.Client) -> None:
    """The second factor is always checked against the session's identity: A's code does
    not upgrade B, and B finishing A's flow upgrades only B (with B's own code)."""
    email_a, secret_a, _ = _enrolled(server)
    email_b, secret_b, _ = _enrolled(server)
    token_a = password_login_api(server.public_url, email_a)["session_token"]
    token_b = password_login_api(server.public_url, email_b)["session_token"]
    flow_a = aal2_flow_api(public, token_a)
    r = submit_totp_api(public, flow_a, token_b, totp_code(secret_a, 0))
    assert r.status_code == 400 and message_ids(r.json()["ui"]) == [4000008]
    assert _whoami(server, token_a).status_code == 403
    assert _whoami(server, token_b).status_code == 403
    r = submit_totp_api(public, flow_a, token_b, totp_code(secret_b, 0))
    assert r.status_code == 200
    assert r.json()["session"]["identity"]["traits"]["email"] == email_b
    assert _whoami(server, token_a).status_code == 403


def test_removing_the_factor_mid_flow(server: PhalanxServer, public: httpx.Client) -> None:
    email, secret, identity_id = _enrolled(server)
    token = password_login_api(server.public_url, email)["session_token"]
    flow = aal2_flow_api(public, token)
    r = httpx.delete(f"{server.admin_url}/admin/identities/{identity_id}/credentials/totp")
    assert r.status_code == 204
    r = submit_totp_api(public, flow, token, totp_code(secret, 0))
    assert r.status_code == 400 and message_ids(r.json()["ui"]) == [4000011]
    me = _whoami(server, token)
    # No second factor left: the aal1 session is what the identity can have.
    assert me.status_code == 200 and me.json()["authenticator_assurance_level"] == "aal1"
    r = httpx.get(
        f"{server.admin_url}/admin/identities/{identity_id}",
        params={"include_credential": "totp"},
    )
    assert "totp" not in r.json().get("credentials", {})
    r = httpx.delete(f"{server.admin_url}/admin/identities/{identity_id}/credentials/totp")
    assert r.status_code == 404
