"""``phalanx.testing`` itself: the sign-up journey driver against a real server with the
SMTP outbox, the frozen clock, the flow readers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from phalanx import clock
from phalanx.testing import (
    Browser,
    FrozenClock,
    MailSink,
    mail_config,
    message_ids,
    node,
    register_verify_login,
    unique_email,
)
from tests.support.server import PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(mail: MailSink, module_server_factory: ServerFactory) -> PhalanxServer:
    return module_server_factory.start(config=mail_config(mail), args=("--watch-courier",))


@pytest.mark.parametrize("json", [True, False], ids=["spa", "form"])
def test_register_verify_login(server: PhalanxServer, mail: MailSink, json: bool) -> None:
    email = unique_email("journey")
    with Browser(server, json=json) as browser:
        session = register_verify_login(browser, mail, email)
    assert session["identity"]["traits"]["email"] == email
    (address,) = session["identity"]["verifiable_addresses"]
    assert address["verified"] is True and address["status"] == "completed"
    assert len(mail.to(email)) == 2  # the registration's code, then the one used


def test_frozen_clock() -> None:
    at = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    with FrozenClock(at) as frozen:
        assert clock.utcnow() == at and clock.unix() == at.timestamp()
        assert frozen.advance(minutes=5) == clock.utcnow() == at + timedelta(minutes=5)
        with pytest.raises(RuntimeError, match="frozen already"), FrozenClock():
            pass
    assert clock.frozen_at() is None
    assert abs(clock.utcnow() - datetime.now(UTC)) < timedelta(seconds=5)
    with pytest.raises(ValueError, match="aware"):
        clock.freeze(datetime(2030, 1, 1))


def test_flow_readers() -> None:
    flow = {
        "ui": {
            "messages": [{"id": 1}],
            "nodes": [
                {"group": "default", "attributes": {"name": "csrf_token", "type": "hidden"}},
                {"group": "code", "attributes": {"name": "email", "type": "email"}},
                {"group": "code", "attributes": {"name": "email", "type": "submit"}},
                {"group": "totp", "attributes": {"id": "totp_qr"}, "messages": [{"id": 7}]},
            ],
        }
    }
    assert node(flow, "email", type="submit")["attributes"]["type"] == "submit"
    assert node(flow, "email", "code")["attributes"]["type"] == "email"
    assert message_ids(node(flow, "totp_qr")) == [7]
    assert message_ids(flow) == message_ids(flow["ui"]) == [1]
    with pytest.raises(AssertionError, match="no node 'phone'"):
        node(flow, "phone")
