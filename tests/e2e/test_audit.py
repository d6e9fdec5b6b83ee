"""The audit log end to end: every event type Phalanx writes is produced by a real flow or
admin call against a real ``phalanx serve`` (SQLite, SMTP sink), then read back through
``GET /admin/audit/events`` (filters, keyset pages, ``Link``); ``phalanx audit verify`` on
the server's database and ``phalanx cleanup sql --audit.retention`` (hand edits on every
database: ``tests/cli/test_audit_cli.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from phalanx.audit import EventType
from phalanx.cli.main import cli
from phalanx.testing import PASSWORD, MailSink, code_of, mail_config
from tests.support.identities import unique_email
from tests.support.mfa import (
    aal2_flow_api,
    enroll_totp_api,
    fresh_window,
    submit_totp_api,
    totp_code,
)
from tests.support.server import PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e

AGENT = "audit-e2e/1.0"
NEW_PASSWORD = "Another-Long-passw0rd-for-Audit"

#: Written by phalanx.limits (brute-force lockout) and the admin console (courier retry),
#: and tested there, not by a flow of this module.
ELSEWHERE = {
    EventType.LOCKOUT_STARTED,
    EventType.LOCKOUT_ENDED,
    getattr(EventType, "COURIER_MESSAGE_RETRIED", ""),
}


@pytest.fixture(scope="module")
def server(mail: MailSink, module_server_factory: ServerFactory) -> PhalanxServer:
    config = mail_config(
        mail,
        selfservice={
            "methods": {
                "totp": {"enabled": True, "config": {"issuer": "Phalanx Test"}},
                "link": {"enabled": True},
                # A code credential besides the password: the password may be deleted.
                "code": {"enabled": True, "passwordless_enabled": True},
            }
        },
    )
    return module_server_factory.start(config=config, args=("--watch-courier",))


@pytest.fixture(scope="module")
def public(server: PhalanxServer) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=server.public_url, timeout=30, headers={"User-Agent": AGENT}
    ) as http:
        yield http


@pytest.fixture(scope="module")
def admin(server: PhalanxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.admin_url, timeout=30, headers={"User-Agent": AGENT}) as http:
        yield http


def _events(admin: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    r = admin.get("/admin/audit/events", params=params)
    assert r.status_code == 200, r.text
    body: list[dict[str, Any]] = r.json()
    return body


def _one(events: list[dict[str, Any]], type: str) -> dict[str, Any]:
    found = [e for e in events if e["type"] == type]
    assert len(found) == 1, (type, [e["type"] for e in events])
    return found[0]


def _submit(
    http: httpx.Client, flow: dict[str, Any], body: dict[str, Any], **kw: Any
) -> httpx.Response:
    return http.post(flow["ui"]["action"], json=body, **kw)


def _login(http: httpx.Client, email: str, password: str) -> httpx.Response:
    flow = http.get("/self-service/login/api").json()
    return _submit(http, flow, {"method": "password", "identifier": email, "password": password})


def _cli(*args: str) -> Result:
    """The real ``phalanx`` command, run in this process (no interpreter start-up)."""
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_self_service_flows_are_recorded_with_method_aal_fields_and_origin(
    server: PhalanxServer, public: httpx.Client, admin: httpx.Client, mail: MailSink
) -> None:
    email = unique_email("audit")
    flow = public.get("/self-service/registration/api").json()
    r = _submit(
        public, flow, {"method": "password", "traits": {"email": email}, "password": PASSWORD}
    )
    assert r.status_code == 200, r.text
    identity_id = r.json()["identity"]["id"]

    assert _login(public, email, "wrong-" + PASSWORD).status_code == 400
    r = _login(public, email, PASSWORD)
    assert r.status_code == 200, r.text
    token = r.json()["session_token"]
    session_id = r.json()["session"]["id"]
    headers = {"X-Session-Token": token}

    # Settings: a new password (credential changed), TOTP linked, then unlinked.
    flow = public.get("/self-service/settings/api", headers=headers).json()
    r = _submit(public, flow, {"method": "password", "password": NEW_PASSWORD}, headers=headers)
    assert r.status_code == 200, r.text
    fresh_window()
    secret = enroll_totp_api(server.public_url, token)
    second = _login(public, email, NEW_PASSWORD).json()["session_token"]
    step_up = aal2_flow_api(public, second)
    r = submit_totp_api(public, step_up, second, totp_code(secret, 0))
    assert r.status_code == 200, r.text
    flow = public.get("/self-service/settings/api", headers=headers).json()
    r = _submit(public, flow, {"method": "totp", "totp_unlink": True}, headers=headers)
    assert r.status_code == 200, r.text

    # Verification and recovery by mailed code.
    flow = public.get("/self-service/verification/api").json()
    assert _submit(public, flow, {"method": "code", "email": email}).status_code == 200
    r = _submit(public, flow, {"method": "code", "code": code_of(mail.last(email, 2))})
    assert r.status_code == 200 and r.json()["state"] == "passed_challenge", r.text
    flow = public.get("/self-service/recovery/api").json()
    assert _submit(public, flow, {"method": "code", "email": email}).status_code == 200
    r = _submit(public, flow, {"method": "code", "code": code_of(mail.last(email, 3))})
    assert r.status_code == 200 and r.json()["state"] == "passed_challenge", r.text

    # Logout (native) revokes the login session.
    r = public.request("DELETE", "/self-service/logout/api", json={"session_token": token})
    assert r.status_code == 204

    events = _events(admin, identity=identity_id)
    types = [e["type"] for e in events]
    assert types[-1] == EventType.REGISTRATION_SUCCEEDED  # oldest last
    registered = _one(events, EventType.REGISTRATION_SUCCEEDED)
    assert registered["details"]["method"] == "password"
    assert (registered["actor"], registered["outcome"]) == ("self", "success")
    assert (registered["client_address"], registered["user_agent"]) == ("127.0.0.1", AGENT)
    assert registered["flow_id"]

    logins = [e for e in events if e["type"] == EventType.LOGIN_SUCCEEDED]
    assert [
        (e["details"]["method"], e["details"]["aal"], e["details"]["refresh"]) for e in logins
    ] == [
        ("totp", "aal2", True),  # the step-up of the second sign-in
        ("password", "aal1", False),
        ("password", "aal1", False),
    ]
    assert logins[-1]["session_id"] == session_id

    settings = [e for e in events if e["type"] == EventType.SETTINGS_UPDATED]
    assert [
        (
            e["details"]["method"],
            e["details"].get("credentials_changed"),
            e["details"].get("credentials_added"),
            e["details"].get("credentials_removed"),
        )
        for e in reversed(settings)
    ] == [
        ("password", ["password"], None, None),
        ("totp", None, ["totp"], None),
        ("totp", None, None, ["totp"]),
    ]
    assert NEW_PASSWORD not in str(events) and PASSWORD not in str(events)
    assert _one(events, EventType.CREDENTIAL_ADDED)["details"] == {"type": "totp", "method": "totp"}
    assert _one(events, EventType.CREDENTIAL_REMOVED)["details"] == {
        "type": "totp",
        "method": "totp",
    }
    assert _one(events, EventType.VERIFICATION_SUCCEEDED)["details"] == {
        "method": "code",
        "via": "email",
    }
    recovered = _one(events, EventType.RECOVERY_SUCCEEDED)
    assert recovered["details"]["method"] == "code" and recovered["session_id"]
    issued = [e for e in events if e["type"] == EventType.SESSION_ISSUED]
    assert len(issued) == 4  # registration (session hook), two logins, recovery
    revoked = _one(events, EventType.SESSION_REVOKED)
    assert revoked["session_id"] == session_id and revoked["actor"] == "self"

    # The failed sign-in has no identity (nothing is revealed about the account).
    failed = _events(admin, type=EventType.LOGIN_FAILED)
    assert failed[0]["outcome"] == "failure" and failed[0]["identity_id"] is None
    assert failed[0]["details"] == {"method": "password", "aal": "aal1", "errors": [4000006]}


def test_admin_changes_are_recorded_with_actor_admin(
    server: PhalanxServer, public: httpx.Client, admin: httpx.Client
) -> None:
    email = unique_email("admin")
    r = admin.post(
        "/admin/identities",
        json={
            "schema_id": "default",
            "traits": {"email": email},
            "credentials": {"password": {"config": {"password": PASSWORD}}},
        },
    )
    assert r.status_code == 201, r.text
    identity = r.json()
    identity_id = identity["id"]
    r = admin.patch(
        f"/admin/identities/{identity_id}",
        json=[{"op": "replace", "path": "/metadata_public", "value": {"plan": "pro"}}],
    )
    assert r.status_code == 200, r.text
    login = _login(public, email, PASSWORD).json()
    assert admin.patch(f"/admin/sessions/{login['session']['id']}/extend").status_code == 200
    assert admin.delete(f"/admin/sessions/{login['session']['id']}").status_code == 204
    for method in ("code", "link"):
        r = admin.post(f"/admin/recovery/{method}", json={"identity_id": identity_id})
        assert r.status_code in (200, 201), r.text
    r = admin.delete(f"/admin/identities/{identity_id}/credentials/password")
    assert r.status_code == 204, r.text
    assert admin.delete(f"/admin/identities/{identity_id}").status_code == 204

    events = _events(admin, identity=identity_id)
    by_admin = [e for e in events if e["actor"] == "admin"]
    assert [e["type"] for e in reversed(by_admin)] == [
        EventType.IDENTITY_CREATED,
        EventType.IDENTITY_UPDATED,
        EventType.SESSION_EXTENDED,
        EventType.SESSION_REVOKED,
        EventType.RECOVERY_CODE_ISSUED,
        EventType.RECOVERY_LINK_ISSUED,
        EventType.IDENTITY_CREDENTIAL_DELETED,
        EventType.IDENTITY_DELETED,
    ]
    assert _one(events, EventType.IDENTITY_UPDATED)["details"] == {"fields": ["metadata_public"]}
    deleted = _one(events, EventType.IDENTITY_CREDENTIAL_DELETED)["details"]
    assert deleted == {"type": "password", "credentials_removed": ["password"]}
    assert all(e["user_agent"] == AGENT for e in by_admin)
    # The sign-in in between was the identity's own.
    assert _one(events, EventType.LOGIN_SUCCEEDED)["actor"] == "self"


def test_events_page_by_keyset_and_filter_by_type_and_time(
    server: PhalanxServer, admin: httpx.Client
) -> None:
    everything = _events(admin, page_size=1000)
    assert len(everything) > 10
    seqs = [e["seq"] for e in everything]
    assert seqs == sorted(seqs, reverse=True)
    r = admin.get("/admin/audit/events", params={"page_size": 4})
    first = r.json()
    assert [e["seq"] for e in first] == seqs[:4]
    link = r.headers["Link"]
    assert 'rel="first"' in link and 'rel="next"' in link
    nxt = httpx.URL(link.split(",")[1].split(";")[0].strip("<> "))
    second = admin.get("/admin/audit/events", params=dict(nxt.params)).json()
    assert [e["seq"] for e in second] == seqs[4:8]
    last = admin.get("/admin/audit/events", params={"page_size": 1000})
    assert 'rel="next"' not in last.headers["Link"]

    typed = _events(admin, type=[EventType.IDENTITY_CREATED, EventType.IDENTITY_DELETED])
    assert {e["type"] for e in typed} == {EventType.IDENTITY_CREATED, EventType.IDENTITY_DELETED}
    middle = everything[len(everything) // 2]["time"]
    newer = _events(admin, since=middle, page_size=1000)
    older = _events(admin, until=middle, page_size=1000)
    assert len(newer) + len(older) == len(everything)
    assert all(e["time"] >= middle for e in newer) and all(e["time"] < middle for e in older)

    for params, fragment in (
        ({"identity": "nope"}, "identity"),
        ({"since": "yesterday"}, "since"),
        ({"page_token": "x"}, "pagination token"),
    ):
        r = admin.get("/admin/audit/events", params=params)
        assert r.status_code == 400, params
        assert fragment in r.json()["error"]["reason"]


def test_every_event_type_was_produced(server: PhalanxServer, admin: httpx.Client) -> None:
    """Together with the idle-timeout module below (``session.idle_expired``)."""
    seen = {e["type"] for e in _events(admin, page_size=1000)}
    expected = set(EventType.all()) - ELSEWHERE - {EventType.SESSION_IDLE_EXPIRED}
    assert expected <= seen, expected - seen


def test_cli_lists_and_verifies_and_cleanup_keeps_the_chain(server: PhalanxServer) -> None:
    r = _cli("audit", "list", server.dsn, "--type", EventType.IDENTITY_DELETED, "--limit", "1")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.count("\n") == 1 and EventType.IDENTITY_DELETED in r.stdout
    r = _cli("audit", "verify", server.dsn)
    assert r.exit_code == 0, r.stderr
    assert "Audit log intact" in r.stdout
    # Retention of 0s prunes everything written so far; the rest still verifies.
    r = _cli(
        "cleanup",
        "sql",
        server.dsn,
        "--audit.retention",
        "0s",
        "--database.cleanup.sleep.tables",
        "0s",
    )
    assert r.exit_code == 0, r.stderr
    assert "audit events past retention" in r.stderr
    r = _cli("audit", "verify", server.dsn)
    assert r.exit_code == 0 and "0 events verified" in r.stdout, r.stdout + r.stderr
