"""Account recovery with the ``code`` method, end to end: a real ``phalanx serve
--watch-courier`` process delivering to a real SMTP sink, for native, JSON-browser (SPA) and
form-browser clients; every JSON body is checked against the OpenAPI spec."""

from __future__ import annotations

import hmac
import re
import sqlite3
import threading
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from phalanx.testing import (
    PASSWORD,
    MailSink,
    code_of,
    create_identity,
    csrf_token,
    mail_config,
    message_ids,
    node,
)
from tests.support.api import SpecClient, error_of
from tests.support.identities import unique_email
from tests.support.server import COOKIE_SECRET, PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "Another-Long-passw0rd-after-Recovery"


@pytest.fixture(scope="module")
def server(mail: MailSink, module_server_factory: ServerFactory) -> PhalanxServer:
    config = mail_config(
        mail,
        selfservice={
            "flows": {
                "login": {"after": {"password": {"hooks": [{"hook": "require_verified_address"}]}}},
                "recovery": {
                    "notify_unknown_recipients": True,
                    "after": {"hooks": [{"hook": "revoke_active_sessions"}]},
                },
            }
        },
    )
    return module_server_factory.start(config=config, args=("--watch-courier",))


def _settings_ui(server: PhalanxServer) -> str:
    return f"{server.public_url}/ui/settings"


def _recovery_ui(server: PhalanxServer) -> str:
    return f"{server.public_url}/ui/recovery"


def _db_path(server: PhalanxServer) -> str:
    return server.dsn.removeprefix("sqlite://").split("?")[0]


def _native_login(server: PhalanxServer, email: str, password: str) -> httpx.Response:
    with SpecClient(server.public_url) as api:
        flow = api.get("/self-service/login/api").json()
        return api.post(
            f"/self-service/login?flow={flow['id']}",
            json={"method": "password", "identifier": email, "password": password},
            validate=False,
        )


def _start_native(api: SpecClient, email: str) -> dict[str, Any]:
    flow = api.get("/self-service/recovery/api").json()
    r = api.post(
        f"/self-service/recovery?flow={flow['id']}", json={"method": "code", "email": email}
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


# -- native ---------------------------------------------------------------------------------


def test_native_recovery_ends_in_a_privileged_settings_flow(
    server: PhalanxServer, mail: MailSink
) -> None:
    email = unique_email("native")
    identity = create_identity(server.admin_url, email)
    with SpecClient(server.public_url) as api:
        r = api.get("/self-service/recovery/api")
        assert r.status_code == 200
        flow = r.json()
        assert flow["type"] == "api" and flow["state"] == "choose_method"
        assert flow["active"] == "code"
        assert [n["attributes"]["name"] for n in flow["ui"]["nodes"]] == [
            "csrf_token",
            "email",
            "method",
        ]
        assert node(flow, "email")["meta"]["label"]["id"] == 1070007

        r = api.post(
            f"/self-service/recovery?flow={flow['id']}", json={"method": "code", "email": email}
        )
        assert r.status_code == 200, r.text
        sent = r.json()
        assert sent["state"] == "sent_email"
        assert message_ids(sent) == [1060003]
        code_node = node(sent, "code")
        assert code_node["meta"]["label"]["id"] == 1070010
        assert code_node["attributes"]["pattern"] == "[0-9]+"
        assert code_node["attributes"]["maxlength"] == 6
        assert node(sent, "email", type="submit")["attributes"]["value"] == email  # resend
        assert node(sent, "method", type="submit")["attributes"]["value"] == "code"

        message = mail.last(email)
        assert "recover" in message.subject.lower()
        code = code_of(message)

        r = api.post(
            f"/self-service/recovery?flow={flow['id']}", json={"method": "code", "code": code}
        )
        assert r.status_code == 200, r.text
        done = r.json()
        assert done["state"] == "passed_challenge"
        actions = [item["action"] for item in done["continue_with"]]
        assert actions == ["set_ory_session_token", "show_settings_ui"]
        token = done["continue_with"][0]["ory_session_token"]
        settings_id = done["continue_with"][1]["flow"]["id"]

    headers = {"X-Session-Token": token}
    with SpecClient(server.public_url, headers=headers) as api:
        whoami = api.get("/sessions/whoami").json()
        assert whoami["identity"]["id"] == identity["id"]
        assert whoami["authentication_methods"][0]["method"] == "code_recovery"
        # The recovery address was proven: it is verified now.
        assert whoami["identity"]["verifiable_addresses"][0]["verified"] is True

        settings = api.get(f"/self-service/settings/flows?id={settings_id}").json()
        assert settings["type"] == "api"
        assert message_ids(settings) == [1060001]
        r = api.post(
            f"/self-service/settings?flow={settings_id}",
            json={"method": "password", "password": NEW_PASSWORD},
        )
        assert r.status_code == 200, r.text
        assert r.json()["state"] == "success"

    assert _native_login(server, email, PASSWORD).status_code == 400
    assert _native_login(server, email, NEW_PASSWORD).status_code == 200


def test_native_wrong_code_keeps_the_flow_usable(server: PhalanxServer, mail: MailSink) -> None:
    email = unique_email("wrong")
    create_identity(server.admin_url, email)
    with SpecClient(server.public_url) as api:
        flow = _start_native(api, email)
        code = code_of(mail.last(email))
        wrong = "000000" if code != "000000" else "111111"
        r = api.post(
            f"/self-service/recovery?flow={flow['id']}", json={"method": "code", "code": wrong}
        )
        assert r.status_code == 200
        assert message_ids(r.json()) == [4060006]
        assert r.json()["state"] == "sent_email"
        r = api.post(
            f"/self-service/recovery?flow={flow['id']}", json={"method": "code", "code": code}
        )
        assert r.status_code == 200
        assert r.json()["state"] == "passed_challenge"
        # Single use: the flow is done and the code cannot be used again.
        r = api.post(
            f"/self-service/recovery?flow={flow['id']}",
            json={"method": "code", "code": code},
            follow_redirects=False,
            validate=False,
        )
        assert r.status_code == 303
        again = api.get(r.headers["location"]).json()
        assert again["id"] != flow["id"] and again["state"] == "choose_method"
        assert message_ids(again) == [4000001]


def test_max_submissions_invalidates_the_flow(server: PhalanxServer, mail: MailSink) -> None:
    email = unique_email("brute")
    create_identity(server.admin_url, email)
    with SpecClient(server.public_url) as api:
        flow = _start_native(api, email)
        code = code_of(mail.last(email))
        wrong = "000000" if code != "000000" else "111111"
        for _ in range(5):  # selfservice.methods.code.config.max_submissions defaults to 5
            r = api.post(
                f"/self-service/recovery?flow={flow['id']}", json={"method": "code", "code": wrong}
            )
            assert r.status_code == 200 and message_ids(r.json()) == [4060006]
        r = api.post(
            f"/self-service/recovery?flow={flow['id']}",
            json={"method": "code", "code": code},
            follow_redirects=False,
            validate=False,
        )
        assert r.status_code == 303
        assert r.headers["location"].startswith(
            f"{server.public_url}/self-service/recovery/flows?id="
        )
        fresh = api.get(r.headers["location"]).json()
        assert fresh["state"] == "choose_method"
        assert fresh["ui"]["messages"][0]["id"] == 4000001
        assert "submitted too often" in fresh["ui"]["messages"][0]["text"]


def test_one_code_two_parallel_submissions_one_wins(server: PhalanxServer, mail: MailSink) -> None:
    email = unique_email("race")
    create_identity(server.admin_url, email)
    with SpecClient(server.public_url) as api:
        flow = _start_native(api, email)
    code = code_of(mail.last(email))
    url = f"{server.public_url}/self-service/recovery?flow={flow['id']}"
    results: list[httpx.Response] = []
    barrier = threading.Barrier(4)

    def submit() -> None:
        with httpx.Client(timeout=20) as client:
            barrier.wait()
            results.append(client.post(url, json={"method": "code", "code": code}))

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [r for r in results if r.status_code == 200 and r.json().get("continue_with")]
    assert len(winners) == 1, [(r.status_code, r.text[:200]) for r in results]
    assert all(r.status_code in (200, 303) for r in results)


def test_codes_are_stored_as_keyed_hmac_only(server: PhalanxServer, mail: MailSink) -> None:
    email = unique_email("hmac")
    create_identity(server.admin_url, email)
    with SpecClient(server.public_url) as api:
        flow = _start_native(api, email)
    code = code_of(mail.last(email))
    with sqlite3.connect(_db_path(server)) as db:
        rows = db.execute(
            "SELECT * FROM identity_recovery_codes WHERE selfservice_recovery_flow_id = ?",
            (flow["id"].replace("-", ""),),
        ).fetchall()
        if not rows:
            rows = db.execute(
                "SELECT * FROM identity_recovery_codes WHERE selfservice_recovery_flow_id = ?",
                (flow["id"],),
            ).fetchall()
    assert len(rows) == 1
    expected = hmac.new(COOKIE_SECRET.encode(), code.encode(), "sha512_256").hexdigest()
    assert expected in rows[0]
    assert all(code not in str(value) for value in rows[0] if value != expected)


def test_expired_code_is_rejected(server: PhalanxServer, mail: MailSink) -> None:
    email = unique_email("expired")
    create_identity(server.admin_url, email)
    with SpecClient(server.public_url) as api:
        flow = _start_native(api, email)
        code = code_of(mail.last(email))
        with sqlite3.connect(_db_path(server)) as db:
            db.execute(
                "UPDATE identity_recovery_codes SET expires_at = '2000-01-01 00:00:00.000000'"
            )
        r = api.post(
            f"/self-service/recovery?flow={flow['id']}", json={"method": "code", "code": code}
        )
        assert r.status_code == 200
        assert message_ids(r.json()) == [4060006]


def _verified_login(server: PhalanxServer, email: str) -> str:
    """A native session (the address is marked verified first: require_verified_address)."""
    with SpecClient(server.admin_url) as admin:
        identity = admin.get(f"/admin/identities?credentials_identifier={email}").json()[0]
        r = admin.patch(
            f"/admin/identities/{identity['id']}",
            json=[{"op": "replace", "path": "/verifiable_addresses/0/verified", "value": True}],
        )
        assert r.status_code == 200, r.text
    r = _native_login(server, email, PASSWORD)
    assert r.status_code == 200, r.text
    token: str = r.json()["session_token"]
    return token


def test_recovery_with_a_session_is_refused(server: PhalanxServer) -> None:
    email = unique_email("logged-in")
    create_identity(server.admin_url, email)
    token = _verified_login(server, email)
    with SpecClient(server.public_url, headers={"X-Session-Token": token}) as api:
        r = api.get("/self-service/recovery/api")
        assert r.status_code == 400
        error = error_of(r)
        assert error["id"] == "session_already_available"
        assert error["reason"] == "A valid session was detected and thus recovery is not possible."


def test_revoke_active_sessions_hook(server: PhalanxServer, mail: MailSink) -> None:
    email = unique_email("revoke")
    create_identity(server.admin_url, email)
    old_token = _verified_login(server, email)
    with SpecClient(server.public_url) as api:
        flow = _start_native(api, email)
        r = api.post(
            f"/self-service/recovery?flow={flow['id']}",
            json={"method": "code", "code": code_of(mail.last(email))},
        )
        new_token = r.json()["continue_with"][0]["ory_session_token"]
        assert (
            api.get("/sessions/whoami", headers={"X-Session-Token": new_token}).status_code == 200
        )
        old = api.get("/sessions/whoami", headers={"X-Session-Token": old_token})
        assert old.status_code == 401


def test_unknown_address_is_notified(server: PhalanxServer, mail: MailSink) -> None:
    email = unique_email("stranger")
    with SpecClient(server.public_url) as api:
        sent = _start_native(api, email)
    assert message_ids(sent) == [1060003]
    notice = mail.last(email)  # notify_unknown_recipients: recovery_code_invalid
    assert notice.subject == "Account access attempted"
    assert not re.search(r"(?<!\d)\d{6}(?!\d)", notice.text)


# -- browser: SPA (JSON) and plain forms -------------------------------------------------------


def test_spa_recovery_gets_422_with_session_cookie(server: PhalanxServer, mail: MailSink) -> None:
    email = unique_email("spa")
    create_identity(server.admin_url, email)
    json_headers = {"Accept": "application/json"}
    with SpecClient(server.public_url, headers=json_headers) as browser:
        r = browser.get("/self-service/recovery/browser")
        assert r.status_code == 200
        flow = r.json()
        assert flow["type"] == "browser"
        r = browser.post(
            f"/self-service/recovery?flow={flow['id']}",
            json={"method": "code", "email": email, "csrf_token": csrf_token(flow)},
        )
        assert r.status_code == 200, r.text
        sent = r.json()
        code = code_of(mail.last(email))
        # The spec's errorBrowserLocationChangeRequired nests errorGeneric (an envelope) in
        # "error"; Kratos (and Phalanx) send the flat herodot error there: not validated.
        r = browser.post(
            f"/self-service/recovery?flow={flow['id']}",
            json={"method": "code", "code": code, "csrf_token": csrf_token(sent)},
            validate=False,
        )
        assert r.status_code == 422, r.text
        body = r.json()
        assert error_of(r)["id"] == "browser_location_change_required"
        assert r.headers["ory-error-id"] == "browser_location_change_required"
        target = body["redirect_browser_to"]
        assert target.startswith(_settings_ui(server) + "?flow=")
        assert body["continue_with"][0]["action"] == "show_settings_ui"
        settings_id = parse_qs(urlsplit(target).query)["flow"][0]
        assert body["continue_with"][0]["flow"]["id"] == settings_id
        assert any(c.name == "ory_kratos_session" for c in browser.http.cookies.jar)

        whoami = browser.get("/sessions/whoami").json()
        assert whoami["authentication_methods"][0]["method"] == "code_recovery"
        settings = browser.get(f"/self-service/settings/flows?id={settings_id}").json()
        assert message_ids(settings) == [1060001]
        r = browser.post(
            f"/self-service/settings?flow={settings_id}",
            json={
                "method": "password",
                "password": NEW_PASSWORD,
                "csrf_token": csrf_token(settings),
            },
        )
        assert r.status_code == 200, r.text
        assert r.json()["state"] == "success"
    assert _native_login(server, email, NEW_PASSWORD).status_code == 200


def test_form_browser_recovery_redirects_into_settings(
    server: PhalanxServer, mail: MailSink
) -> None:
    email = unique_email("form")
    create_identity(server.admin_url, email)
    with SpecClient(server.public_url, follow_redirects=False) as browser:
        r = browser.get("/self-service/recovery/browser", validate=False)
        assert r.status_code == 303
        location = r.headers["location"]
        assert location.startswith(f"{server.public_url}/ui/recovery?flow=")
        flow_id = parse_qs(urlsplit(location).query)["flow"][0]
        flow = browser.get(f"/self-service/recovery/flows?id={flow_id}").json()
        page = browser.get(location, validate=False)  # the built-in UI renders the flow
        assert page.status_code == 200 and 'name="email"' in page.text
        r = browser.post(
            f"/self-service/recovery?flow={flow_id}",
            data={"method": "code", "email": email, "csrf_token": csrf_token(flow)},
            validate=False,
        )
        assert r.status_code == 303 and r.headers["location"] == location
        sent = browser.get(f"/self-service/recovery/flows?id={flow_id}").json()
        assert sent["state"] == "sent_email" and message_ids(sent) == [1060003]
        code = code_of(mail.last(email))
        r = browser.post(
            f"/self-service/recovery?flow={flow_id}",
            data={"method": "code", "code": code, "csrf_token": csrf_token(sent)},
            validate=False,
        )
        assert r.status_code == 303, r.text
        target = r.headers["location"]
        assert target.startswith(_settings_ui(server) + "?flow=")
        settings_id = parse_qs(urlsplit(target).query)["flow"][0]
        settings = browser.get(f"/self-service/settings/flows?id={settings_id}").json()
        assert message_ids(settings) == [1060001]
        assert settings["ui"]["messages"][0]["type"] == "success"
        r = browser.post(
            f"/self-service/settings?flow={settings_id}",
            data={
                "method": "password",
                "password": NEW_PASSWORD,
                "csrf_token": csrf_token(settings),
            },
            validate=False,
        )
        assert r.status_code == 303, r.text
        assert "refresh=true" not in r.headers["location"]
        done = browser.get(f"/self-service/settings/flows?id={settings_id}").json()
        assert done["state"] == "success"
    assert _native_login(server, email, NEW_PASSWORD).status_code == 200


def test_browser_submit_without_csrf_is_refused(server: PhalanxServer) -> None:
    with SpecClient(server.public_url, headers={"Accept": "application/json"}) as browser:
        flow = browser.get("/self-service/recovery/browser").json()
        r = browser.post(
            f"/self-service/recovery?flow={flow['id']}",
            json={"method": "code", "email": unique_email()},
            validate=False,
        )
        assert r.status_code == 403
        assert error_of(r)["id"] == "security_csrf_violation"


def test_missing_email_is_a_validation_error(server: PhalanxServer) -> None:
    with SpecClient(server.public_url) as api:
        flow = api.get("/self-service/recovery/api").json()
        r = api.post(f"/self-service/recovery?flow={flow['id']}", json={"method": "code"})
        assert r.status_code == 400
        email = node(r.json(), "email")
        assert [m["id"] for m in email["messages"]] == [4000002]


def test_get_with_code_fills_it_in_and_uses_nothing(server: PhalanxServer, mail: MailSink) -> None:
    """Kratos ``handleLinkClick``: a GET with ``code`` fills the code into the flow, sets a
    fresh CSRF cookie and sends the browser to the UI; only the form's POST uses it."""
    email = unique_email("confirm")
    create_identity(server.admin_url, email)
    with SpecClient(server.public_url, headers={"Accept": "application/json"}) as browser:
        flow = browser.get("/self-service/recovery/browser").json()
        browser.post(
            f"/self-service/recovery?flow={flow['id']}",
            json={"method": "code", "email": email, "csrf_token": csrf_token(flow)},
        )
        code = code_of(mail.last(email))
        link = f"/self-service/recovery?flow={flow['id']}&code={code}"
        opened = browser.get(
            link, headers={"Accept": "text/html"}, validate=False, follow_redirects=False
        )
        assert opened.status_code == 303
        assert opened.headers["location"] == f"{_recovery_ui(server)}?flow={flow['id']}"
        assert any(c.startswith("csrf_token_") for c in opened.headers.get_list("set-cookie"))
        shown = browser.get(f"/self-service/recovery/flows?id={flow['id']}").json()
        assert shown["state"] == "sent_email"
        assert node(shown, "code")["attributes"]["value"] == code
        r = browser.post(
            f"/self-service/recovery?flow={flow['id']}",
            data={"method": "code", "code": code, "csrf_token": csrf_token(shown)},
            headers={"Accept": "text/html"},
            validate=False,
            follow_redirects=False,
        )
        assert r.status_code == 303
        assert r.headers["location"].startswith(_settings_ui(server) + "?flow=")


def test_unknown_flow_is_404(server: PhalanxServer) -> None:
    with SpecClient(server.public_url) as api:
        r = api.get("/self-service/recovery/flows?id=00000000-0000-0000-0000-000000000000")
        assert r.status_code == 404


def _expire_flow(server: PhalanxServer, flow_id: str) -> None:
    with sqlite3.connect(_db_path(server)) as db:
        db.execute(
            "UPDATE selfservice_recovery_flows SET expires_at = '2000-01-01 00:00:00.000000' "
            "WHERE id IN (?, ?)",
            (flow_id, flow_id.replace("-", "")),
        )


def test_expired_flows(server: PhalanxServer) -> None:
    with SpecClient(server.public_url) as api:
        flow = api.get("/self-service/recovery/api").json()
        _expire_flow(server, flow["id"])
        r = api.get(f"/self-service/recovery/flows?id={flow['id']}")
        assert r.status_code == 410
        body = r.json()
        assert body["error"]["id"] == "self_service_flow_expired"
        assert body["error"]["details"]["api"] == f"{server.public_url}/self-service/recovery/api"
        r = api.post(
            f"/self-service/recovery?flow={flow['id']}",
            json={"method": "code", "email": unique_email()},
            follow_redirects=False,
            validate=False,
        )
        assert r.status_code == 303  # Kratos: API/JSON clients are sent to the new flow
        fresh = api.get(r.headers["location"]).json()
        assert fresh["id"] != flow["id"] and message_ids(fresh) == [4060005]
    with SpecClient(server.public_url, follow_redirects=False) as browser:
        location = browser.get("/self-service/recovery/browser", validate=False).headers["location"]
        flow_id = parse_qs(urlsplit(location).query)["flow"][0]
        _expire_flow(server, flow_id)
        r = browser.get(f"/self-service/recovery/flows?id={flow_id}")
        assert r.status_code == 410
        assert r.json()["error"]["details"]["redirect_to"].endswith(
            "/self-service/recovery/browser"
        )
        r = browser.post(f"/self-service/recovery?flow={flow_id}", data={}, validate=False)
        assert r.status_code == 303
        assert r.headers["location"].startswith(f"{server.public_url}/ui/recovery?flow=")
        assert flow_id not in r.headers["location"]


def test_disabled_identity_cannot_recover(server: PhalanxServer, mail: MailSink) -> None:
    email = unique_email("disabled")
    identity = create_identity(server.admin_url, email)
    with SpecClient(server.public_url) as api:
        flow = _start_native(api, email)
        code = code_of(mail.last(email))
        with SpecClient(server.admin_url) as admin:
            r = admin.patch(
                f"/admin/identities/{identity['id']}",
                json=[{"op": "replace", "path": "/state", "value": "inactive"}],
            )
            assert r.status_code == 200, r.text
        r = api.post(
            f"/self-service/recovery?flow={flow['id']}", json={"method": "code", "code": code}
        )
        assert r.status_code == 400
        assert message_ids(r.json()) == [4010011]


def test_an_address_that_is_no_email_is_a_validation_error(
    server: PhalanxServer, mail: MailSink
) -> None:
    """Kratos validates the recovery body (``email`` has ``format: email``): 400 with the
    format message on the ``email`` node, and nothing is sent."""
    with SpecClient(server.public_url) as api:
        flow = api.get("/self-service/recovery/api").json()
        r = api.post(
            f"/self-service/recovery?flow={flow['id']}",
            json={"method": "code", "email": "+4917612345678"},
        )
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["state"] == "choose_method"
    email = node(body, "email")
    assert email["attributes"]["value"] == "+4917612345678"
    assert [(m["id"], m["text"]) for m in email["messages"]] == [
        (4000001, '"+4917612345678" is not valid "email"')
    ]
    assert mail.to("+4917612345678") == []
