"""The development mailbox (issue 9, item 15): in ``--dev`` with no SMTP server the courier
keeps mail in the queue, marks it sent, and ``/ui/mailbox`` lists it with its code and
link; outside ``--dev``, or with an SMTP server configured, the page does not exist."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from phalanx.testing import MailSink, create_identity, mail_config
from tests.support.api import error_of
from tests.support.identities import unique_email
from tests.support.server import PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e

FLOWS = {
    "courier": {"worker": {"pull_wait": "100ms"}},
    "selfservice": {
        "methods": {"code": {"enabled": True}},
        "flows": {"verification": {"enabled": True, "use": "code"}},
    },
}


def _ask_code(server: PhalanxServer, email: str) -> str:
    with httpx.Client(base_url=server.public_url, timeout=10) as api:
        flow = api.get("/self-service/verification/api").json()
        r = api.post(
            f"/self-service/verification?flow={flow['id']}",
            json={"method": "code", "email": email},
        )
        assert r.status_code == 200, r.text
        return str(flow["id"])


@pytest.fixture(scope="module")
def dev(module_server_factory: ServerFactory) -> PhalanxServer:
    return module_server_factory.start(config=FLOWS, args=("--watch-courier",))


def test_mail_lands_in_the_dev_mailbox_with_its_code_and_link(dev: PhalanxServer) -> None:
    email = unique_email("mailbox")
    identity = create_identity(dev.admin_url, email)
    flow_id = _ask_code(dev, email)
    deadline = time.monotonic() + 15
    while True:
        [message] = httpx.get(
            f"{dev.admin_url}/admin/courier/messages", params={"recipient": email}, timeout=10
        ).json()
        if message["status"] == "sent" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert message["status"] == "sent"  # delivered to the mailbox, no SMTP attempted
    page = httpx.get(f"{dev.public_url}/ui/mailbox", timeout=10)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    assert "default-src" in page.headers["content-security-policy"]
    html = page.text
    assert email in html
    [code] = re.findall(r'<code class="secret mail-code">(\d{6})</code>', html)
    assert f"flow={flow_id}&amp;code={code}" in html  # the link, as a link
    with httpx.Client(base_url=dev.public_url, timeout=10) as api:
        r = api.post(
            f"/self-service/verification?flow={flow_id}", json={"method": "code", "code": code}
        )
        assert r.status_code == 200 and r.json()["state"] == "passed_challenge"
    identity = httpx.get(f"{dev.admin_url}/admin/identities/{identity['id']}", timeout=10).json()
    assert identity["verifiable_addresses"][0]["verified"] is True


def test_the_verification_page_links_to_the_mailbox(dev: PhalanxServer) -> None:
    with httpx.Client(base_url=dev.public_url, timeout=10, follow_redirects=True) as browser:
        page = browser.get("/self-service/verification/browser")
        assert page.status_code == 200 and "/ui/verification" in str(page.url)
        assert 'href="/ui/mailbox">Open the development mailbox</a>' in page.text


def test_no_mailbox_outside_dev_mode(server_factory: ServerFactory) -> None:
    server = server_factory.start(config=FLOWS, database="memory", dev=False)
    r = httpx.get(f"{server.public_url}/ui/mailbox", timeout=10)
    assert (
        r.status_code == 404
        and error_of(r)["message"] == "The requested resource could not be found"
    )
    page = httpx.get(
        f"{server.public_url}/self-service/verification/browser", timeout=10, follow_redirects=True
    )
    assert "mailbox" not in page.text


def test_no_mailbox_when_an_smtp_server_is_configured(
    server_factory: ServerFactory, mail: MailSink
) -> None:
    server = server_factory.start(config=mail_config(mail), args=("--watch-courier",))
    r = httpx.get(f"{server.public_url}/ui/mailbox", timeout=10)
    assert r.status_code == 404
    email = unique_email("smtp")
    create_identity(server.admin_url, email)
    _ask_code(server, email)
    assert mail.wait(email)  # the real server got it
