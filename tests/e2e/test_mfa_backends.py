"""Second-factor credential storage on PostgreSQL and MariaDB (SQLite runs the full
suites): link TOTP, the aal2 login with its compare-and-swap replay guard, the stale
``available_aal`` repair, unlink through the admin API."""

from __future__ import annotations

import httpx
import pytest

from phalanx.testing import client, message_ids, register_api
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
from tests.support.server import BACKENDS, PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", params=[p for p in BACKENDS if p.id != "sqlite"])
def server(request: pytest.FixtureRequest, module_server_factory: ServerFactory) -> PhalanxServer:
    return module_server_factory.start(database=request.param, config=mfa_config())


def test_totp_round_trip(server: PhalanxServer) -> None:
    fresh_window()
    email = unique_email("mfadb")
    token, identity = register_api(server.public_url, email)
    secret = enroll_totp_api(server.public_url, token)
    first = password_login_api(server.public_url, email)
    aal1 = first["session_token"]
    assert first["session"]["identity"] is None
    whoami = f"{server.public_url}/sessions/whoami"
    assert httpx.get(whoami, headers={"X-Session-Token": aal1}).status_code == 403
    with client(server.public_url) as http:
        flow = aal2_flow_api(http, aal1)
        code = totp_code(secret, 0)
        r = submit_totp_api(http, flow, aal1, code)
        assert r.status_code == 200, r.text
        assert r.json()["session"]["authenticator_assurance_level"] == "aal2"
        other = password_login_api(server.public_url, email)["session_token"]
        r = submit_totp_api(http, aal2_flow_api(http, other), other, code)
        assert r.status_code == 400 and message_ids(r.json()["ui"]) == [4000008]
        r = submit_totp_api(http, aal2_flow_api(http, other), other, totp_code(secret, 1))
        assert r.status_code == 200, r.text
    assert httpx.get(whoami, headers={"X-Session-Token": aal1}).status_code == 200
    admin = f"{server.admin_url}/admin/identities/{identity['id']}"
    cred = httpx.get(admin, params={"include_credential": "totp"}).json()["credentials"]["totp"]
    assert cred["config"]["totp_url"].endswith(f"&secret={secret}")
    assert httpx.delete(f"{admin}/credentials/totp").status_code == 204
    fresh = password_login_api(server.public_url, email)
    assert fresh["session"]["identity"]["id"] == identity["id"]


def test_backup_codes_round_trip(server: PhalanxServer) -> None:
    email = unique_email("mfadb")
    token, _ = register_api(server.public_url, email)
    headers = {"Accept": "application/json", "X-Session-Token": token}
    with client(server.public_url) as http:
        flow = http.get("/self-service/settings/api", headers=headers).json()
        r = http.post(
            flow["ui"]["action"], headers=headers, json={"lookup_secret_regenerate": True}
        )
        text = next(
            n for n in r.json()["ui"]["nodes"] if n["attributes"].get("id") == "lookup_secret_codes"
        )
        codes = [s["context"]["secret"] for s in text["attributes"]["text"]["context"]["secrets"]]
        r = http.post(flow["ui"]["action"], headers=headers, json={"lookup_secret_confirm": True})
        assert r.status_code == 200, r.text
        aal1 = password_login_api(server.public_url, email)["session_token"]
        for code, expected in ((codes[0], 200), (codes[0], 400)):
            flow = aal2_flow_api(http, aal1)
            r = http.post(
                flow["ui"]["action"],
                headers={"X-Session-Token": aal1},
                json={"method": "lookup_secret", "lookup_secret": code},
            )
            assert r.status_code == expected, r.text
            if expected == 400:
                assert message_ids(r.json()["ui"]) == [4000012]
            aal1 = password_login_api(server.public_url, email)["session_token"]
