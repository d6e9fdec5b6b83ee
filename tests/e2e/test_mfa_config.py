"""The AAL switches: ``session.whoami.required_aal`` and settings' ``required_aal`` at
``aal1``, and second factors that count while their method is disabled (Kratos counts
every strategy's credentials, enabled or not)."""

from __future__ import annotations

import httpx
import pyotp
import pytest

from phalanx.errors import ENDPOINT_DISABLED_REASON
from phalanx.testing import JSON, PASSWORD, client, node, register_api
from tests.support.api import error_of
from tests.support.identities import unique_email
from tests.support.mfa import enroll_totp_api, fresh_window, mfa_config, password_login_api
from tests.support.server import PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e

SECRET = pyotp.random_base32()


@pytest.fixture(scope="module")
def relaxed(module_server_factory: ServerFactory) -> PhalanxServer:
    return module_server_factory.start(
        config=mfa_config(
            {
                "session": {"whoami": {"required_aal": "aal1"}},
                "selfservice": {"flows": {"settings": {"required_aal": "aal1"}}},
            }
        )
    )


@pytest.fixture(scope="module")
def totp_off(module_server_factory: ServerFactory) -> PhalanxServer:
    return module_server_factory.start(
        config=mfa_config({"selfservice": {"methods": {"totp": {"enabled": False}}}})
    )


def test_required_aal1_lets_an_aal1_session_of_a_2fa_identity_in(relaxed: PhalanxServer) -> None:
    fresh_window()
    email = unique_email("relaxed")
    token, _ = register_api(relaxed.public_url, email)
    enroll_totp_api(relaxed.public_url, token)
    first = password_login_api(relaxed.public_url, email)
    # checkAAL passes: the identity is shown, the session stays aal1.
    assert first["session"]["identity"]["traits"]["email"] == email
    assert first["session"]["authenticator_assurance_level"] == "aal1"
    aal1 = first["session_token"]
    with client(relaxed.public_url) as http:
        me = http.get("/sessions/whoami", headers={"X-Session-Token": aal1})
        assert me.status_code == 200
        flow = http.get("/self-service/settings/api", headers={**JSON, "X-Session-Token": aal1})
        assert flow.status_code == 200
        assert node(flow.json(), "totp_unlink")["group"] == "totp"


def test_a_disabled_method_still_counts(totp_off: PhalanxServer) -> None:
    email = unique_email("off")
    url = f"otpauth://totp/X:{email}?algorithm=SHA1&digits=6&issuer=X&period=30&secret={SECRET}"
    created = httpx.post(
        f"{totp_off.admin_url}/admin/identities",
        json={
            "schema_id": "default",
            "traits": {"email": email},
            "credentials": {
                "password": {"config": {"password": PASSWORD}},
                "totp": {"config": {"totp_url": url}},
            },
        },
    )
    assert created.status_code == 201, created.text
    first = password_login_api(totp_off.public_url, email)
    assert first["session"]["identity"] is None
    with client(totp_off.public_url) as http:
        token = first["session_token"]
        r = http.get("/sessions/whoami", headers={"X-Session-Token": token})
        assert r.status_code == 403 and error_of(r)["id"] == "session_aal2_required"
        # No TOTP strategy to reach aal2 with: the aal2 form has nothing to offer.
        r = http.get(
            "/self-service/login/api", params={"aal": "aal2"}, headers={"X-Session-Token": token}
        )
        assert [n["attributes"]["name"] for n in r.json()["ui"]["nodes"]] == ["csrf_token"]
        # Submitting the disabled method never upgrades the session (Kratos answers 404
        # "endpoint disabled"; Phalanx's login has no cell for it: 4010002).
        flow = r.json()
        r = http.post(
            flow["ui"]["action"],
            headers={"X-Session-Token": token},
            json={"method": "totp", "totp_code": pyotp.TOTP(SECRET).now()},
        )
        assert r.status_code in (400, 404)
        r = http.get("/sessions/whoami", headers={"X-Session-Token": token})
        assert r.status_code == 403
    cred = httpx.get(
        f"{totp_off.admin_url}/admin/identities/{created.json()['id']}",
        params={"include_credential": "totp"},
    ).json()["credentials"]["totp"]
    assert cred["config"] == {"totp_url": url}


def test_submitting_a_disabled_method_answers_404(totp_off: PhalanxServer) -> None:
    """Kratos's ``MethodEnabledAndAllowed``: a method the configuration disables is not
    "no strategy found" (400) but 404 ``This endpoint was disabled ...``, in login and
    registration as in settings."""
    with client(totp_off.public_url) as http:
        login = http.get("/self-service/login/api").json()
        r = http.post(
            f"/self-service/login?flow={login['id']}",
            json={"method": "totp", "totp_code": "123456"},
        )
        assert r.status_code == 404, r.text
        assert error_of(r)["reason"] == ENDPOINT_DISABLED_REASON
        registration = http.get("/self-service/registration/api").json()
        r = http.post(
            f"/self-service/registration?flow={registration['id']}",
            json={"method": "passkey", "traits": {"email": unique_email("pk")}},
        )
        assert r.status_code == 404, r.text
        assert error_of(r)["reason"] == ENDPOINT_DISABLED_REASON
        # A method that exists nowhere stays Kratos's "no strategy" validation error.
        r = http.post(f"/self-service/login?flow={login['id']}", json={"method": "carrier-pigeon"})
        assert r.status_code == 400, r.text
        assert r.json()["ui"]["messages"][0]["id"] == 4010002
