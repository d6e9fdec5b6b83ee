"""Recovery and verification with the ``link`` method, end to end (real server and SMTP sink).

This module runs with ``phalanx.link_confirmation.enabled``: opening a link never uses its
token, ``GET`` answers a confirmation page whose button POSTs the token, so a mail scanner
prefetching the link cannot burn it. Kratos's default (the GET uses the token) is tested in
``test_mail_links.py``."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from phalanx.testing import (
    MailSink,
    confirmation_form,
    create_identity,
    csrf_token,
    link_of,
    mail_config,
    message_ids,
    node,
)
from tests.support.api import SpecClient
from tests.support.identities import unique_email
from tests.support.server import PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "Brand-new-Passw0rd-via-a-Link"


@pytest.fixture(scope="module")
def server(mail: MailSink, module_server_factory: ServerFactory) -> PhalanxServer:
    config = mail_config(
        mail,
        phalanx={"link_confirmation": {"enabled": True}},
        selfservice={
            "methods": {"link": {"enabled": True}},
            "flows": {
                "recovery": {"use": "link", "notify_unknown_recipients": True},
                "verification": {"use": "link", "notify_unknown_recipients": True},
            },
        },
    )
    return module_server_factory.start(config=config, args=("--watch-courier",))


def _request_link(server: PhalanxServer, email: str) -> dict[str, Any]:
    with SpecClient(server.public_url, headers={"Accept": "application/json"}) as browser:
        flow = browser.get("/self-service/recovery/browser").json()
        assert flow["active"] == "link"
        r = browser.post(
            f"/self-service/recovery?flow={flow['id']}",
            json={"method": "link", "email": email, "csrf_token": csrf_token(flow)},
        )
        assert r.status_code == 200, r.text
        sent: dict[str, Any] = r.json()
        return sent


def test_recovery_link_needs_a_confirmation_post(server: PhalanxServer, mail: MailSink) -> None:
    email = unique_email("link")
    create_identity(server.admin_url, email)
    sent = _request_link(server, email)
    assert sent["state"] == "sent_email"
    assert message_ids(sent) == [1060002]
    assert node(sent, "email")["attributes"]["value"] == email
    link = link_of(mail.last(email))
    assert link.startswith(f"{server.public_url}/self-service/recovery?flow={sent['id']}&token=")

    # A mail scanner fetches the link (twice): it only ever sees the confirmation page.
    for _ in range(2):
        scanned = httpx.get(link, timeout=10)
        assert scanned.status_code == 200
        assert scanned.headers["content-type"].startswith("text/html")
        assert scanned.headers["referrer-policy"] == "no-referrer"
        assert "no-store" in scanned.headers["cache-control"]
        assert "ory_kratos_session" not in scanned.headers.get("set-cookie", "")

    with SpecClient(server.public_url, follow_redirects=False) as browser:
        page = browser.get(link, validate=False)
        action, fields = confirmation_form(page.text)
        assert action == f"{server.public_url}/self-service/recovery?flow={sent['id']}"
        assert fields["method"] == "link" and fields["token"] and fields["csrf_token"]
        r = browser.post(action, data=fields, validate=False)
        assert r.status_code == 303, r.text
        target = r.headers["location"]
        assert target.startswith(f"{server.public_url}/ui/settings?flow=")
        settings_id = parse_qs(urlsplit(target).query)["flow"][0]
        whoami = browser.get("/sessions/whoami").json()
        assert whoami["authentication_methods"][0]["method"] == "link_recovery"
        assert whoami["identity"]["verifiable_addresses"][0]["verified"] is True
        settings = browser.get(f"/self-service/settings/flows?id={settings_id}").json()
        assert message_ids(settings) == [1060001]
        r = browser.post(
            f"/self-service/settings?flow={settings_id}",
            data={
                "method": "password",
                "password": NEW_PASSWORD,
                "csrf_token": csrf_token(settings),
            },
            validate=False,
        )
        assert r.status_code == 303 and "refresh=true" not in r.headers["location"]

        # The token is single use (the session rotated the CSRF cookie: open the link again).
        action, fields = confirmation_form(browser.get(link, validate=False).text)
        r = browser.post(action, data=fields, validate=False)
        assert r.status_code == 303
        retry_id = parse_qs(urlsplit(r.headers["location"]).query)["flow"][0]
        retry = browser.get(f"/self-service/recovery/flows?id={retry_id}").json()
        assert message_ids(retry) == [4060004]


def test_token_post_without_csrf_is_refused(server: PhalanxServer, mail: MailSink) -> None:
    email = unique_email("link-csrf")
    create_identity(server.admin_url, email)
    sent = _request_link(server, email)
    token = parse_qs(urlsplit(link_of(mail.last(email))).query)["token"][0]
    r = httpx.post(
        f"{server.public_url}/self-service/recovery?flow={sent['id']}",
        json={"method": "link", "token": token},
        timeout=10,
    )
    assert r.status_code == 403
    assert r.json()["error"]["id"] == "security_csrf_violation"


def test_unknown_address_is_notified(server: PhalanxServer, mail: MailSink) -> None:
    email = unique_email("stranger")
    sent = _request_link(server, email)
    assert message_ids(sent) == [1060002]
    notice = mail.last(email)  # notify_unknown_recipients: the recovery_invalid template
    assert notice.subject == "Account access attempted"
    assert "not on our database of registered users" in notice.text
    assert "token=" not in notice.text


def test_native_link_flow(server: PhalanxServer, mail: MailSink) -> None:
    email = unique_email("native-link")
    create_identity(server.admin_url, email)
    with SpecClient(server.public_url) as api:
        flow = api.get("/self-service/recovery/api").json()
        assert [n["group"] for n in flow["ui"]["nodes"]] == ["default", "link", "link"]
        r = api.post(
            f"/self-service/recovery?flow={flow['id']}", json={"method": "link", "email": email}
        )
        assert r.status_code == 200 and message_ids(r.json()) == [1060002]
    assert link_of(mail.last(email))


def test_verification_link(server: PhalanxServer, mail: MailSink) -> None:
    email = unique_email("verify-link")
    identity = create_identity(server.admin_url, email)
    with SpecClient(server.public_url) as api:
        flow = api.get("/self-service/verification/api").json()
        r = api.post(
            f"/self-service/verification?flow={flow['id']}", json={"method": "link", "email": email}
        )
        assert r.status_code == 200
        assert message_ids(r.json()) == [1080001]
    link = link_of(mail.last(email))
    assert httpx.get(link, timeout=10).status_code == 200  # a scanner: nothing happens
    admin = httpx.get(f"{server.admin_url}/admin/identities/{identity['id']}", timeout=10).json()
    assert admin["verifiable_addresses"][0]["verified"] is False
    with SpecClient(server.public_url, follow_redirects=False) as browser:
        action, fields = confirmation_form(browser.get(link, validate=False).text)
        r = browser.post(action, data=fields, validate=False)
        # A browser, even for an API flow: sent to the verification UI.
        assert r.status_code == 303
        assert r.headers["location"] == f"{server.public_url}/ui/verification?flow={flow['id']}"
        done = browser.get(f"/self-service/verification/flows?id={flow['id']}").json()
        assert done["state"] == "passed_challenge"
        assert message_ids(done) == [1080002]
    admin = httpx.get(f"{server.admin_url}/admin/identities/{identity['id']}", timeout=10).json()
    assert admin["verifiable_addresses"][0]["verified"] is True
    assert admin["verifiable_addresses"][0]["status"] == "completed"
