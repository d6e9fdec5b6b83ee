"""``POST /admin/recovery/code`` and ``POST /admin/recovery/link`` end to end, including
using what they return, the way a support agent's user would."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from phalanx.testing import MailSink, create_identity, mail_config, message_ids
from tests.support.api import SpecClient, error_of
from tests.support.identities import unique_email
from tests.support.server import PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(mail: MailSink, module_server_factory: ServerFactory) -> PhalanxServer:
    config = mail_config(mail, selfservice={"methods": {"link": {"enabled": True}}})
    return module_server_factory.start(config=config)


@pytest.fixture(scope="module")
def disabled(mail: MailSink, module_server_factory: ServerFactory) -> PhalanxServer:
    """Neither ``code`` nor ``link`` enabled (Phalanx's default leaves ``link`` off)."""
    config = mail_config(mail, selfservice={"methods": {"code": {"enabled": False}}})
    return module_server_factory.start(config=config)


def _expires(body: dict[str, str]) -> timedelta:
    at = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    return at - datetime.now(UTC)


def test_admin_code_opens_a_flow_any_browser_can_use(server: PhalanxServer) -> None:
    identity = create_identity(server.admin_url, unique_email("admin-code"))
    with SpecClient(server.admin_url) as admin:
        r = admin.post("/admin/recovery/code", json={"identity_id": identity["id"]})
        assert r.status_code == 201, r.text
        body = r.json()
    assert re.fullmatch(r"\d{6}", body["recovery_code"])
    assert body["recovery_link"].startswith(f"{server.public_url}/ui/recovery?flow=")
    assert timedelta(minutes=59) < _expires(body) <= timedelta(hours=1)
    flow_id = parse_qs(urlsplit(body["recovery_link"]).query)["flow"][0]

    # A browser that never saw this flow (no CSRF cookie): the admin flow skips CSRF.
    with SpecClient(server.public_url, follow_redirects=False) as browser:
        flow = browser.get(f"/self-service/recovery/flows?id={flow_id}").json()
        assert flow["state"] == "sent_email" and flow["type"] == "browser"
        assert [n["attributes"]["name"] for n in flow["ui"]["nodes"]] == ["code", "method"]
        r = browser.post(
            f"/self-service/recovery?flow={flow_id}",
            data={"method": "code", "code": body["recovery_code"]},
            validate=False,
        )
        assert r.status_code == 303, r.text
        settings_id = parse_qs(urlsplit(r.headers["location"]).query)["flow"][0]
        settings = browser.get(f"/self-service/settings/flows?id={settings_id}").json()
        assert message_ids(settings) == [1060001]
        whoami = browser.get("/sessions/whoami").json()
        assert whoami["identity"]["id"] == identity["id"]
        # Admin codes do not prove the address: it stays unverified.
        assert whoami["identity"]["verifiable_addresses"][0]["verified"] is False


def test_admin_code_for_native_apps_and_custom_lifetime(server: PhalanxServer) -> None:
    identity = create_identity(server.admin_url, unique_email("admin-api"))
    with SpecClient(server.admin_url) as admin:
        r = admin.post(
            "/admin/recovery/code",
            json={"identity_id": identity["id"], "expires_in": "10m", "flow_type": "api"},
        )
        assert r.status_code == 201
        body = r.json()
    assert timedelta(minutes=9) < _expires(body) <= timedelta(minutes=10)
    flow_id = parse_qs(urlsplit(body["recovery_link"]).query)["flow"][0]
    with SpecClient(server.public_url) as api:
        r = api.post(
            f"/self-service/recovery?flow={flow_id}",
            json={"method": "code", "code": body["recovery_code"]},
        )
        assert r.status_code == 200, r.text
        actions = [c["action"] for c in r.json()["continue_with"]]
        assert actions == ["set_ory_session_token", "show_settings_ui"]


@pytest.mark.parametrize(
    ("payload", "status", "reason"),
    [
        ({"identity_id": str(uuid.uuid4())}, 404, "could not find identity"),
        (
            {"identity_id": str(uuid.uuid4()), "expires_in": "not-a-valid-value"},
            400,
            'Unable to parse "expires_in" as a duration string (e.g. "1h", "1m30s", "500ms"): '
            "not-a-valid-value",
        ),
        (
            {"identity_id": str(uuid.uuid4()), "expires_in": "-1h"},
            400,
            'Value from "expires_in" must result to a future time: -1h0m0s',
        ),
        (
            {"identity_id": str(uuid.uuid4()), "flow_type": "carrier-pigeon"},
            400,
            'Value from "flow_type" is not valid: "carrier-pigeon"',
        ),
    ],
)
def test_admin_code_errors(
    server: PhalanxServer, payload: dict[str, str], status: int, reason: str
) -> None:
    with SpecClient(server.admin_url) as admin:
        r = admin.post("/admin/recovery/code", json=payload)
        assert r.status_code == status
        error = error_of(r)
        assert error["reason"] == reason
        if status == 404:
            assert error["message"] == "Unable to locate the resource"


def test_admin_link(server: PhalanxServer) -> None:
    identity = create_identity(server.admin_url, unique_email("admin-link"))
    with SpecClient(server.admin_url) as admin:
        r = admin.post(
            "/admin/recovery/link", json={"identity_id": identity["id"], "expires_in": "30m"}
        )
        assert r.status_code == 200, r.text
        body = r.json()
    link = body["recovery_link"]
    assert re.fullmatch(
        rf"{re.escape(server.public_url)}/self-service/recovery\?flow=[0-9a-f-]{{36}}"
        r"&token=[A-Za-z0-9]{32}",
        link,
    )
    assert timedelta(minutes=29) < _expires(body) <= timedelta(minutes=30)
    with SpecClient(server.public_url, follow_redirects=False) as browser:
        r = browser.get(link, validate=False)  # Kratos: opening the link uses it
        assert r.status_code == 303, r.text
        assert r.headers["location"].startswith(f"{server.public_url}/ui/settings?flow=")
        whoami = browser.get("/sessions/whoami").json()
        assert whoami["identity"]["id"] == identity["id"]
        assert whoami["authentication_methods"][0]["method"] == "link_recovery"


@pytest.mark.parametrize("method", ["code", "link"])
@pytest.mark.parametrize(
    ("field", "value", "json_type", "go_type"),
    [
        ("expires_in", {}, "object", "string"),
        ("expires_in", 3600, "number", "string"),
        ("identity_id", [], "array", "uuid.UUID"),
    ],
)
def test_admin_recovery_refuses_wrong_json_types(
    server: PhalanxServer, method: str, field: str, value: object, json_type: str, go_type: str
) -> None:
    """A non-string ``expires_in`` (``{}``) was taken for "not set"; Kratos's JSON decoder
    refuses it with a 400."""
    identity = create_identity(server.admin_url, unique_email("admin-types"))
    payload = {"identity_id": identity["id"], field: value}
    with SpecClient(server.admin_url) as admin:
        r = admin.post(f"/admin/recovery/{method}", json=payload)
        assert r.status_code == 400, r.text
        struct = f"createRecovery{method.capitalize()}ForIdentityBody"
        assert error_of(r)["reason"] == (
            f"Unable to decode JSON payload: json: cannot unmarshal {json_type} "
            f"into Go struct field {struct}.{field} of type {go_type}"
        )


def test_admin_link_unknown_identity(server: PhalanxServer) -> None:
    with SpecClient(server.admin_url) as admin:
        r = admin.post("/admin/recovery/link", json={"identity_id": str(uuid.uuid4())})
        assert r.status_code == 400
        assert error_of(r)["reason"] == "The requested identity id does not exist."


@pytest.mark.parametrize("method", ["code", "link"])
def test_disabled_methods_hide_the_endpoints(disabled: PhalanxServer, method: str) -> None:
    identity = create_identity(disabled.admin_url, unique_email("disabled"))
    with SpecClient(disabled.admin_url) as admin:
        r = admin.post(f"/admin/recovery/{method}", json={"identity_id": identity["id"]})
        assert r.status_code == 404
        assert error_of(r)["reason"].startswith(
            "This endpoint was disabled by system administrator"
        )
