"""E-mail addresses with a non-ASCII local part (``josé@example.org``, issue 9 item 7).

Kratos accepts them; queueing their mail never fails the user's request. The SMTP channel
delivers with SMTPUTF8 when the server offers it (a real aiosmtpd sink with the extension:
registration, verification and recovery codes arrive and work, on SQLite, PostgreSQL and
MariaDB), and otherwise abandons the message with a clear reason in its dispatch (a sink
without the extension).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from phalanx.testing import PASSWORD, MailSink, code_of, mail_config
from tests.support.api import SpecClient
from tests.support.server import BACKENDS, PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e


def josé() -> str:
    return f"josé-{uuid.uuid4().hex[:10]}@example.org"


def _config(sink: MailSink) -> dict[str, Any]:
    return mail_config(sink)


@pytest.fixture(scope="module")
def utf8_mail() -> Iterator[MailSink]:
    sink = MailSink(smtputf8=True).start()
    yield sink
    sink.stop()


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, utf8_mail: MailSink, module_server_factory: ServerFactory
) -> PhalanxServer:
    return module_server_factory.start(
        database=request.param, config=_config(utf8_mail), args=("--watch-courier",)
    )


def register(public: SpecClient, email: str) -> dict[str, Any]:
    flow = public.get("/self-service/registration/api").json()
    r = public.post(
        flow["ui"]["action"],
        json={"method": "password", "password": PASSWORD, "traits": {"email": email}},
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    assert body["identity"]["traits"]["email"] == email
    return body


def test_registration_verification_and_recovery_by_smtputf8(
    server: PhalanxServer, utf8_mail: MailSink
) -> None:
    email = josé()
    with SpecClient(server.public_url) as public:
        registered = register(public, email)
        [verification] = [
            c for c in registered["continue_with"] if c["action"] == "show_verification_ui"
        ]
        flow_id = verification["flow"]["id"]
        code = code_of(utf8_mail.last(email))
        r = public.post(
            f"/self-service/verification?flow={flow_id}", json={"method": "code", "code": code}
        )
        assert r.status_code == 200 and r.json()["state"] == "passed_challenge", r.text

        flow = public.get("/self-service/recovery/api").json()
        r = public.post(flow["ui"]["action"], json={"method": "code", "email": email})
        assert r.status_code == 200 and r.json()["state"] == "sent_email", r.text
        code = code_of(utf8_mail.last(email, 2))
        r = public.post(flow["ui"]["action"], json={"method": "code", "code": code})
        assert r.status_code == 200 and r.json()["state"] == "passed_challenge", r.text
    r = httpx.get(f"{server.admin_url}/admin/identities/{registered['identity']['id']}", timeout=10)
    assert r.json()["verifiable_addresses"][0]["verified"] is True


@pytest.fixture(scope="module")
def plain_server(mail: MailSink, module_server_factory: ServerFactory) -> PhalanxServer:
    """SQLite, mail to a sink that does not offer SMTPUTF8."""
    return module_server_factory.start(config=_config(mail), args=("--watch-courier",))


def _messages(server: PhalanxServer, recipient: str) -> list[dict[str, Any]]:
    r = httpx.get(
        f"{server.admin_url}/admin/courier/messages", params={"recipient": recipient}, timeout=10
    )
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()
    return found


def test_without_smtputf8_the_mail_is_abandoned_with_a_reason(
    plain_server: PhalanxServer, mail: MailSink
) -> None:
    email = josé()
    with SpecClient(plain_server.public_url) as public:
        register(public, email)
        for kind in ("verification", "recovery"):
            flow = public.get(f"/self-service/{kind}/api").json()
            r = public.post(flow["ui"]["action"], json={"method": "code", "email": email})
            assert r.status_code == 200 and r.json()["state"] == "sent_email", r.text
    deadline = time.monotonic() + 20
    while True:
        messages = _messages(plain_server, email)
        if len(messages) == 3 and all(m["status"] == "abandoned" for m in messages):
            break
        assert time.monotonic() < deadline, messages
        time.sleep(0.2)
    for message in messages:
        r = httpx.get(f"{plain_server.admin_url}/admin/courier/messages/{message['id']}")
        [dispatch] = r.json()["dispatches"]
        assert dispatch["status"] == "failed"
        assert "SMTPUTF8" in dispatch["error"]["message"], dispatch
    assert mail.to(email) == []
    # an ASCII address still goes through the same sink
    ascii_email = f"jose-{uuid.uuid4().hex[:10]}@example.org"
    with SpecClient(plain_server.public_url) as public:
        register(public, ascii_email)
    assert code_of(mail.last(ascii_email))
