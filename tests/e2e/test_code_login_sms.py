"""Code sign-in and sign-up texted to a phone number: an identity schema whose ``tel``
trait is a ``code`` identifier ``via: sms``, the courier's HTTP ``sms`` channel posting to a
loopback receiver (``serve --watch-courier``)."""

from __future__ import annotations

import base64
import json
import re
import time
from typing import Any

import pytest

from tests.e2e.test_sms_verification import SmsReceiver, sms  # noqa: F401  (fixture)
from tests.support.api import SpecClient
from tests.support.server import PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e

SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {
        "traits": {
            "type": "object",
            "properties": {
                "phone": {
                    "type": "string",
                    "format": "tel",
                    "title": "Phone number",
                    "ory.sh/kratos": {
                        "credentials": {"code": {"identifier": True, "via": "sms"}},
                        "verification": {"via": "sms"},
                    },
                }
            },
            "required": ["phone"],
            "additionalProperties": False,
        }
    },
}


@pytest.fixture(scope="module")
def server(sms: SmsReceiver, module_server_factory: ServerFactory) -> PhalanxServer:  # noqa: F811
    schema = base64.b64encode(json.dumps(SCHEMA).encode()).decode()
    config = {
        "identity": {
            "default_schema_id": "phone",
            "schemas": [{"id": "phone", "url": f"base64://{schema}"}],
        },
        "courier": {
            "channels": [
                {"id": "sms", "type": "http", "request_config": {"url": sms.url, "method": "POST"}}
            ],
            "worker": {"pull_wait": "100ms"},
        },
        "selfservice": {
            "methods": {"code": {"passwordless_enabled": True}},
            "flows": {"registration": {"after": {"code": {"hooks": [{"hook": "session"}]}}}},
        },
    }
    return module_server_factory.start(config=config, args=("--watch-courier",))


def _code(message: dict[str, Any]) -> str:
    """Kratos's default SMS request body carries only the rendered text for these
    templates (``recovery_code``/``verification_code`` fields are for those flows)."""
    found = re.search(r"(?<!\d)(\d{6})(?!\d)", message["body"])
    assert found, message
    return found.group(1)


def test_sign_up_and_sign_in_by_sms(server: PhalanxServer, sms: SmsReceiver) -> None:  # noqa: F811
    phone = f"+49176{time.time_ns() % 10**8:08d}"
    with SpecClient(server.public_url) as api:
        flow = api.get("/self-service/registration/api").json()
        url = f"/self-service/registration?flow={flow['id']}"
        r = api.post(url, json={"method": "code", "traits": {"phone": phone}})
        assert r.status_code == 400, r.text
        [message] = sms.wait(phone)
        assert message["template_type"] == "registration_code_valid"
        code = _code(message)
        r = api.post(url, json={"method": "code", "traits": {"phone": phone}, "code": code})
        assert r.status_code == 200, r.text
        identity = r.json()["identity"]
        assert identity["verifiable_addresses"][0]["verified"] is True

        flow = api.get("/self-service/login/api").json()
        url = f"/self-service/login?flow={flow['id']}"
        r = api.post(url, json={"method": "code", "identifier": phone})
        assert r.status_code == 400, r.text
        message = sms.wait(phone, 2)[1]
        assert message["template_type"] == "login_code_valid"
        code = _code(message)
        r = api.post(url, json={"method": "code", "identifier": phone, "code": code})
        assert r.status_code == 200, r.text
        assert r.json()["session"]["identity"]["id"] == identity["id"]
