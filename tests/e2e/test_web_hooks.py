"""``web_hook`` hooks against a real receiver on loopback, at every hook point the config
schema allows: before/after of registration, login, settings, recovery and verification.

Checked: the request (method, body rendered by Jsonnet from ``ctx``, configured headers,
``api_key`` in a header or cookie, ``basic_auth``, the analytics headers), ``response.parse``
changes stored, interrupts as form messages on the right nodes with nothing stored (read in
the SQLite database), ``response.ignore`` not delaying the flow, the 502/504 bodies, retries,
and the Jsonnet sandbox refusing imports, environment reads and endless loops.
"""

from __future__ import annotations

import base64
import sqlite3
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from phalanx.testing import PASSWORD, Browser, MailSink, code_of, create_identity, mail_config, node
from tests.support.api import error_of
from tests.support.identities import unique_email
from tests.support.openapi import checked
from tests.support.receiver import Receiver, running
from tests.support.server import PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e


def _b64(source: str) -> str:
    return "base64://" + base64.b64encode(source.encode()).decode()


BODY = _b64(
    """function(ctx) {
  flow_id: ctx.flow.id,
  flow_type: ctx.flow.type,
  method: ctx.request_method,
  url: ctx.request_url,
  headers: ctx.request_headers,
  cookies: std.objectFields(ctx.request_cookies),
  identity: std.get(ctx, 'identity'),
  session: std.get(ctx, 'session'),
  transient: std.get(ctx.flow, 'transient_payload'),
}"""
)

SANDBOX = _b64(
    """function(ctx)
  local tp = std.get(ctx.flow, 'transient_payload');
  local mode = if tp == null then 'none' else std.get(tp, 'sandbox', 'none');
  if mode == 'import' then import '/etc/passwd'
  else if mode == 'env' then { home: std.extVar('HOME') }
  else if mode == 'loop' then (local f(n) = f(n + 1) tailstrict; f(0))
  else if mode == 'cancel' then error 'cancel'
  else { email: ctx.identity.traits.email }"""
)

API_KEY = {"type": "api_key", "config": {"name": "X-Api-Key", "value": "s3cr3t", "in": "header"}}
COOKIE_KEY = {
    "type": "api_key",
    "config": {"name": "hook_cookie", "value": "c00kie", "in": "cookie"},
}
BASIC = {"type": "basic_auth", "config": {"user": "hook-user", "password": "hook-pass"}}


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    yield from running()


@pytest.fixture(scope="module")
def server(
    module_server_factory: ServerFactory, mail: MailSink, receiver: Receiver
) -> PhalanxServer:
    def hook(path: str, **extra: Any) -> dict[str, Any]:
        config = {"url": receiver.url(path), "method": "POST", "body": BODY, **extra}
        return {"hook": "web_hook", "config": config}

    flows = {
        "registration": {
            "before": {
                "hooks": [hook("/registration/before", headers={"X-Static": "yes"}, auth=API_KEY)]
            },
            "after": {
                "password": {
                    "hooks": [
                        {"hook": "session"},
                        hook("/registration/sandbox", body=SANDBOX, response={"parse": True}),
                        hook("/registration/parse", response={"parse": True}),
                        hook("/registration/post", auth=BASIC),
                    ]
                }
            },
        },
        "login": {
            "before": {"hooks": [hook("/login/before")]},
            "after": {
                "password": {
                    "hooks": [
                        hook("/login/after", can_interrupt=True),
                        hook("/login/ignore", response={"ignore": True}, auth=COOKIE_KEY),
                    ]
                }
            },
        },
        "settings": {
            "before": {"hooks": [hook("/settings/before")]},
            "after": {
                "profile": {"hooks": [hook("/settings/profile", response={"parse": True})]},
                "hooks": [hook("/settings/after")],
            },
        },
        "recovery": {
            "before": {"hooks": [hook("/recovery/before")]},
            "after": {"hooks": [hook("/recovery/after")]},
        },
        "verification": {
            "before": {"hooks": [hook("/verification/before", response={"parse": True})]},
            "after": {"hooks": [hook("/verification/after", method="PUT")]},
        },
    }
    config = mail_config(
        mail,
        selfservice={"flows": flows},
        phalanx={"web_hooks": {"timeout": "1s", "retries": 1}},
    )
    return module_server_factory.start(config=config, args=("--watch-courier",))


@pytest.fixture(autouse=True)
def fresh(receiver: Receiver) -> None:
    receiver.reset()


def _identities_with(server: PhalanxServer, email: str) -> int:
    path = server.dsn.removeprefix("sqlite://").split("?", 1)[0]
    with sqlite3.connect(path) as db:
        (count,) = db.execute(
            "SELECT count(*) FROM identities WHERE traits LIKE ?", (f'%"{email}"%',)
        ).fetchone()
    return int(count)


def _api(server: PhalanxServer) -> httpx.Client:
    return httpx.Client(base_url=server.public_url, timeout=30)


def _register_api(
    server: PhalanxServer, email: str, **extra: Any
) -> tuple[dict[str, Any], httpx.Response]:
    with _api(server) as api:
        flow = checked(api.get("/self-service/registration/api")).json()
        body = {"method": "password", "traits": {"email": email}, "password": PASSWORD, **extra}
        r = checked(api.post(f"/self-service/registration?flow={flow['id']}", json=body))
    return flow, r


# -- registration -------------------------------------------------------------------------


def test_registration_hooks_send_what_is_configured(
    server: PhalanxServer, receiver: Receiver
) -> None:
    email = unique_email()
    flow, r = _register_api(server, email, transient_payload={"campaign": "spring"})
    assert r.status_code == 200, r.text
    (before,) = receiver.received("/registration/before")
    assert before.method == "POST"
    assert before.headers["X-Static"] == "yes" and before.headers["X-Api-Key"] == "s3cr3t"
    assert before.headers["Content-Type"] == "application/json"
    assert before.headers["Ory-Webhook-Trigger-ID"] and before.headers["Ory-Webhook-Request-ID"]
    sent = before.json()
    assert sent["flow_id"] == flow["id"] and sent["flow_type"] == "api"
    assert sent["method"] == "GET" and sent["url"].endswith("/self-service/registration/api")
    assert sent["identity"] is None and sent["session"] is None
    assert set(sent["headers"]) <= {"User-Agent", "Accept", "Accept-Encoding"}
    assert sent["headers"]["User-Agent"][0].startswith("python-httpx")

    (parse,) = receiver.received("/registration/parse")
    parsed = parse.json()
    assert parsed["identity"]["traits"] == {"email": email}
    assert "credentials" not in parsed["identity"] and "metadata_admin" not in parsed["identity"]
    assert parsed["transient"] == {"campaign": "spring"} and parsed["method"] == "POST"
    (post,) = receiver.received("/registration/post")
    assert (
        post.headers["Authorization"]
        == "Basic " + base64.b64encode(b"hook-user:hook-pass").decode()
    )
    assert post.json()["identity"]["id"] == r.json()["identity"]["id"]
    (sandboxed,) = receiver.received("/registration/sandbox")
    assert sandboxed.json() == {"email": email}


def test_registration_parse_changes_are_stored(server: PhalanxServer, receiver: Receiver) -> None:
    email = unique_email()
    receiver.answer(
        "/registration/parse",
        200,
        {
            "identity": {
                "traits": {"email": email.upper().replace("@", "+hooked@", 1).lower()},
                "metadata_public": {"plan": "gold"},
                "metadata_admin": {"crm": 42},
            }
        },
    )
    _, r = _register_api(server, email)
    assert r.status_code == 200, r.text
    stored = httpx.get(f"{server.admin_url}/admin/identities/{r.json()['identity']['id']}").json()
    assert stored["traits"]["email"] == email.replace("@", "+hooked@", 1)
    assert stored["metadata_public"] == {"plan": "gold"}
    assert stored["metadata_admin"] == {"crm": 42}
    assert r.json()["identity"]["metadata_public"] == {"plan": "gold"}


def test_registration_parse_is_validated_against_the_schema(
    server: PhalanxServer, receiver: Receiver
) -> None:
    email = unique_email()
    receiver.answer("/registration/parse", 200, {"identity": {"traits": {"email": "not-an-email"}}})
    _, r = _register_api(server, email)
    assert r.status_code == 400, r.text
    assert _identities_with(server, email) == 0 and _identities_with(server, "not-an-email") == 0


INTERRUPT = {
    "messages": [
        {
            "instance_ptr": "#/traits/email",
            "messages": [
                {"id": 1234, "text": "Email is blocked", "type": "error", "context": {"why": "x"}}
            ],
        },
        {"instance_ptr": "#/", "messages": [{"id": 77, "text": "Try later", "type": "info"}]},
        {"instance_ptr": "#/traits/phone", "messages": [{"id": 5, "text": "New", "type": "error"}]},
    ]
}


def test_registration_interrupt_native(server: PhalanxServer, receiver: Receiver) -> None:
    email = unique_email()
    receiver.answer("/registration/parse", 422, INTERRUPT)
    _, r = _register_api(server, email)
    assert r.status_code == 400, r.text
    flow = r.json()
    assert node(flow, "traits.email")["messages"] == [
        {"id": 1234, "text": "Email is blocked", "type": "error", "context": {"why": "x"}}
    ]
    assert flow["ui"]["messages"] == [{"id": 77, "text": "Try later", "type": "info"}]
    created = node(flow, "traits.phone")  # no such node: Kratos creates a default text input
    assert created["group"] == "default" and created["attributes"]["type"] == "text"
    assert _identities_with(server, email) == 0
    assert receiver.received("/registration/post") == []


def test_registration_interrupt_browser(server: PhalanxServer, receiver: Receiver) -> None:
    email = unique_email()
    receiver.answer("/registration/parse", 400, INTERRUPT)
    with Browser(server, json=False) as browser:
        r = browser.register(email)
        assert r.status_code == 303
        flow_id = r.headers["location"].split("flow=")[1]
        flow = browser.get(f"/self-service/registration/flows?id={flow_id}").json()
    assert [m["id"] for m in node(flow, "traits.email")["messages"]] == [1234]
    assert _identities_with(server, email) == 0


def test_parse_hook_error_without_messages_is_500_and_nothing_is_stored(
    server: PhalanxServer, receiver: Receiver
) -> None:
    email = unique_email()
    receiver.answer("/registration/parse", 500, {"oops": True})
    _, r = _register_api(server, email)
    assert r.status_code == 500, r.text
    assert error_of(r)["message"] == (
        "error while parsing webhook response: got no validation errors"
    )
    assert _identities_with(server, email) == 0


def test_post_persist_hook_failure_is_502_after_one_retry(
    server: PhalanxServer, receiver: Receiver
) -> None:
    """As Kratos: a post-persist hook runs once the identity is stored."""
    email = unique_email()
    receiver.answer("/registration/post", 500, {"oops": True})
    started = time.monotonic()
    _, r = _register_api(server, email)
    assert r.status_code == 502, r.text
    assert r.json() == {
        "error": {
            "code": 502,
            "status": "Bad Gateway",
            "reason": (
                "A third-party upstream service responded improperly. Please try again later."
            ),
            "message": "webhook failed with status code 500",
        }
    }
    assert len(receiver.received("/registration/post")) == 2  # one retry on 5xx
    assert time.monotonic() - started >= 1.0  # the retry waited
    assert _identities_with(server, email) == 1


def test_registration_parse_reply_that_is_not_json(
    server: PhalanxServer, receiver: Receiver
) -> None:
    email = unique_email()
    receiver.answer("/registration/parse", 200, b"<html>")
    _, r = _register_api(server, email)
    assert r.status_code == 500
    assert "could not be unmarshalled" in error_of(r)["message"]
    assert _identities_with(server, email) == 0


@pytest.mark.parametrize(
    ("mode", "fragment"),
    [("import", "import"), ("env", "HOME"), ("loop", "")],
)
def test_jsonnet_sandbox_refuses(
    server: PhalanxServer, receiver: Receiver, mode: str, fragment: str
) -> None:
    email = unique_email()
    _, r = _register_api(server, email, transient_payload={"sandbox": mode})
    assert r.status_code == 500, r.text
    error = error_of(r)
    assert error["reason"] == (
        "The web hook's request body could not be rendered by its Jsonnet template."
    )
    assert fragment in error["message"]
    assert receiver.received("/registration/sandbox") == []
    assert _identities_with(server, email) == 0


def test_jsonnet_cancel_skips_the_call(server: PhalanxServer, receiver: Receiver) -> None:
    email = unique_email()
    _, r = _register_api(server, email, transient_payload={"sandbox": "cancel"})
    assert r.status_code == 200, r.text
    assert receiver.received("/registration/sandbox") == []
    assert _identities_with(server, email) == 1


def test_before_hook_failure_stops_flow_creation(server: PhalanxServer, receiver: Receiver) -> None:
    receiver.answer("/registration/before", 403, {"no": "way"})
    with _api(server) as api:
        r = checked(api.get("/self-service/registration/api"))
    assert r.status_code == 502
    assert error_of(r)["message"] == "webhook failed with status code 403"
    with Browser(server, json=False) as browser:
        r = browser.get("/self-service/registration/browser")
        assert r.status_code == 303 and "/error" in r.headers["location"]


def test_before_hook_reply_with_identity_is_refused_clearly(
    server: PhalanxServer, receiver: Receiver
) -> None:
    """Kratos v25.4 crashes here (nil identity); Phalanx answers a clear 500."""
    receiver.answer("/verification/before", 200, {"identity": {"traits": {"email": "x@y.z"}}})
    with _api(server) as api:
        r = checked(api.get("/self-service/verification/api"))
    assert r.status_code == 500, r.text
    assert "no identity to change" in error_of(r)["message"]


def test_failing_before_hook_is_retried_once(server: PhalanxServer, receiver: Receiver) -> None:
    receiver.answer("/login/before", 503)
    with _api(server) as api:
        started = time.monotonic()
        r = checked(api.get("/self-service/login/api"))
    assert r.status_code == 502 and time.monotonic() - started >= 1.0
    assert len(receiver.received("/login/before")) == 2


# -- login ---------------------------------------------------------------------------------


def _login_api(server: PhalanxServer, email: str) -> httpx.Response:
    with _api(server) as api:
        flow = checked(api.get("/self-service/login/api")).json()
        body = {"method": "password", "identifier": email, "password": PASSWORD}
        return checked(api.post(f"/self-service/login?flow={flow['id']}", json=body))


def test_login_after_hook_gets_identity_and_session(
    server: PhalanxServer, receiver: Receiver
) -> None:
    email = unique_email()
    identity = create_identity(server.admin_url, email)
    r = _login_api(server, email)
    assert r.status_code == 200, r.text
    (after,) = receiver.received("/login/after")
    sent = after.json()
    assert sent["identity"]["id"] == identity["id"]
    assert sent["session"]["id"] == r.json()["session"]["id"]
    assert len(receiver.received("/login/before")) == 1


def test_login_interrupt_keeps_the_user_out(server: PhalanxServer, receiver: Receiver) -> None:
    email = unique_email()
    identity = create_identity(server.admin_url, email)
    receiver.answer(
        "/login/after",
        403,
        {
            "messages": [
                {
                    "instance_ptr": "#/identifier",
                    "messages": [{"id": 9, "text": "Locked", "type": "error"}],
                }
            ]
        },
    )
    r = _login_api(server, email)
    assert r.status_code == 400, r.text
    assert node(r.json(), "identifier")["messages"][0]["text"] == "Locked"
    sessions = httpx.get(f"{server.admin_url}/admin/identities/{identity['id']}/sessions").json()
    assert sessions == []


def test_ignored_hook_never_delays_the_flow(server: PhalanxServer, receiver: Receiver) -> None:
    email = unique_email()
    create_identity(server.admin_url, email)
    receiver.answer("/login/ignore", 500, delay=5.0)
    _login_api(server, email)  # warm up
    with _api(server) as api:
        flow = checked(api.get("/self-service/login/api")).json()
        body = {"method": "password", "identifier": email, "password": PASSWORD}
        started = time.monotonic()
        r = api.post(f"/self-service/login?flow={flow['id']}", json=body)
        elapsed = time.monotonic() - started
    assert r.status_code == 200, r.text
    assert elapsed < 1.0, elapsed  # the receiver answers after 5 s
    (first, *_) = receiver.wait("/login/ignore", 2)
    assert first.headers["Cookie"] == "hook_cookie=c00kie"


def test_login_timeout_is_504(server: PhalanxServer, receiver: Receiver) -> None:
    email = unique_email()
    create_identity(server.admin_url, email)
    receiver.answer("/login/after", 200, {}, delay=3.0)
    r = _login_api(server, email)
    assert r.status_code == 504, r.text
    error = error_of(r)
    assert error["code"] == 504 and error["status"] == "Gateway Timeout"
    assert error["reason"] == (
        "A third-party upstream service could not be reached. Please try again later."
    )


# -- settings -------------------------------------------------------------------------------


def _settings_session(server: PhalanxServer) -> tuple[str, str]:
    email = unique_email()
    create_identity(server.admin_url, email)
    token = _login_api(server, email).json()["session_token"]
    return email, token


def test_settings_hooks(server: PhalanxServer, receiver: Receiver) -> None:
    email, token = _settings_session(server)
    receiver.reset()
    receiver.answer("/settings/profile", 200, {"identity": {"metadata_public": {"seen": True}}})
    headers = {"X-Session-Token": token}
    with _api(server) as api:
        flow = checked(api.get("/self-service/settings/api", headers=headers)).json()
        assert len(receiver.received("/settings/before")) == 1
        r = checked(
            api.post(
                f"/self-service/settings?flow={flow['id']}",
                json={"method": "profile", "traits": {"email": email}},
                headers=headers,
            )
        )
        assert r.status_code == 200, r.text
        assert r.json()["identity"]["metadata_public"] == {"seen": True}
        (profile,) = receiver.received("/settings/profile")
        assert profile.json()["identity"]["traits"]["email"] == email
        assert receiver.received("/settings/after") == []  # the method list replaces it
        r = checked(
            api.post(
                f"/self-service/settings?flow={flow['id']}",
                json={"method": "password", "password": PASSWORD + "-new"},
                headers=headers,
            )
        )
        assert r.status_code == 200, r.text
    (after,) = receiver.received("/settings/after")
    assert after.json()["session"]["identity"]["traits"]["email"] == email


def test_settings_interrupt_writes_nothing(server: PhalanxServer, receiver: Receiver) -> None:
    email, token = _settings_session(server)
    receiver.answer("/settings/profile", 400, INTERRUPT)
    headers = {"X-Session-Token": token}
    other = unique_email()
    with _api(server) as api:
        flow = checked(api.get("/self-service/settings/api", headers=headers)).json()
        r = checked(
            api.post(
                f"/self-service/settings?flow={flow['id']}",
                json={"method": "profile", "traits": {"email": other}},
                headers=headers,
            )
        )
    assert r.status_code == 400, r.text
    assert node(r.json(), "traits.email")["messages"][0]["id"] == 1234
    assert _identities_with(server, other) == 0 and _identities_with(server, email) == 1


# -- recovery and verification --------------------------------------------------------------


def test_recovery_hooks(server: PhalanxServer, receiver: Receiver, mail: MailSink) -> None:
    email = unique_email()
    identity = create_identity(server.admin_url, email)
    with _api(server) as api:
        flow = checked(api.get("/self-service/recovery/api")).json()
        assert len(receiver.received("/recovery/before")) == 1
        checked(
            api.post(
                f"/self-service/recovery?flow={flow['id']}", json={"method": "code", "email": email}
            )
        )
        code = code_of(mail.wait(email)[-1])
        r = checked(
            api.post(
                f"/self-service/recovery?flow={flow['id']}", json={"method": "code", "code": code}
            )
        )
        assert r.status_code == 200, r.text
    (after,) = receiver.received("/recovery/after")
    assert after.json()["identity"]["id"] == identity["id"]


def test_verification_hooks(server: PhalanxServer, receiver: Receiver, mail: MailSink) -> None:
    email = unique_email()
    identity = create_identity(server.admin_url, email)
    with _api(server) as api:
        flow = checked(api.get("/self-service/verification/api")).json()
        assert len(receiver.received("/verification/before")) == 1
        checked(
            api.post(
                f"/self-service/verification?flow={flow['id']}",
                json={"method": "code", "email": email},
            )
        )
        code = code_of(mail.wait(email)[-1])
        r = checked(
            api.post(
                f"/self-service/verification?flow={flow['id']}",
                json={"method": "code", "code": code},
            )
        )
        assert r.status_code == 200, r.text
    (after,) = receiver.received("/verification/after")
    assert after.method == "PUT"
    assert after.json()["identity"]["id"] == identity["id"]
    assert after.json()["identity"]["verifiable_addresses"][0]["verified"] is True
