"""A profile change that adds an address, with the verification flow enabled: the new
address gets a verification message, and with ``settings.after.profile.hooks:
[show_verification_ui]`` the answer's ``continue_with`` points at that verification flow
(Kratos v25.4; without the hook only the mail is sent).
"""

from __future__ import annotations

import pytest

from phalanx.testing import JSON, MailSink, client, csrf_token, logged_in, mail_config, register_api
from tests.support.identities import unique_email
from tests.support.server import PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(module_server_factory: ServerFactory, mail: MailSink) -> PhalanxServer:
    config = mail_config(
        mail,
        selfservice={
            "flows": {
                "settings": {"after": {"profile": {"hooks": [{"hook": "show_verification_ui"}]}}}
            }
        },
    )
    return module_server_factory.start(config=config, args=("--watch-courier",))


def test_api_profile_change_sends_verification_and_continues_with_it(
    server: PhalanxServer, mail: MailSink
) -> None:
    email, new_email = unique_email(), unique_email("verify")
    token, _ = register_api(server.public_url, email)
    headers = {**JSON, "X-Session-Token": token}
    with client(server.public_url) as http:
        flow = http.get("/self-service/settings/api", headers=headers).json()
        r = http.post(
            flow["ui"]["action"],
            headers=headers,
            json={"method": "profile", "traits": {"email": new_email}},
        )
    assert r.status_code == 200, r.text
    body = r.json()
    [item] = body["continue_with"]
    assert item["action"] == "show_verification_ui"
    assert item["flow"]["verifiable_address"] == new_email
    assert "url" not in item["flow"]  # API flows get no UI URL
    [address] = body["identity"]["verifiable_addresses"]
    assert address["value"] == new_email and address["verified"] is False
    assert mail.wait(new_email)


def test_browser_json_profile_change_continues_with_the_verification_ui(
    server: PhalanxServer, mail: MailSink
) -> None:
    email, new_email = unique_email(), unique_email("verify")
    register_api(server.public_url, email)
    with logged_in(server.public_url, email) as http:
        flow = http.get("/self-service/settings/browser", headers=JSON).json()
        r = http.post(
            flow["ui"]["action"],
            headers=JSON,
            json={
                "csrf_token": csrf_token(flow),
                "method": "profile",
                "traits": {"email": new_email},
            },
        )
    assert r.status_code == 200, r.text
    verification, redirect = r.json()["continue_with"]
    assert verification["action"] == "show_verification_ui"
    assert verification["flow"]["url"].startswith(f"{server.public_url}/ui/verification?flow=")
    assert redirect["action"] == "redirect_browser_to"
    assert mail.wait(new_email)
