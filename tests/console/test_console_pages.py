"""The admin console over HTTP on a REAL ``phalanx serve`` (SQLite, PostgreSQL, MariaDB).

Pages answer on the admin port only, carry a strict CSP and load nothing from elsewhere;
every POST without a CSRF token is refused and changes nothing; the identity list pages
by keyset and filters by identifier (exact, prefix), state and schema; forms create and
edit identities through the admin API's services; an abandoned message can be retried.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from phalanx.config import parse_dsn
from phalanx.courier.message import Message, MessageType
from phalanx.persistence.sql.courier_store import SQLCourierStore
from phalanx.persistence.sql.engine import Database, create_engine
from tests.console.pages import ConsoleClient, csrf_token, form_actions
from tests.support.identities import unique_email
from tests.support.server import BACKENDS, PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest, module_server_factory: ServerFactory) -> PhalanxServer:
    return module_server_factory.start(
        database=request.param,
        config={
            # Sessions can be extended only in their last minute (the browser journeys
            # extend one with the default: any time).
            "session": {"earliest_possible_extend": "1m"},
            "selfservice": {
                "methods": {"link": {"enabled": True}, "code": {"enabled": True}},
                "flows": {"recovery": {"enabled": True, "use": "code"}},
            },
        },
    )


@pytest.fixture
def console(server: PhalanxServer) -> Iterator[ConsoleClient]:
    with ConsoleClient(server.admin_url) as client:
        yield client


def _create(server: PhalanxServer, email: str, **extra: Any) -> dict[str, Any]:
    body = {"schema_id": "default", "traits": {"email": email}, **extra}
    r = httpx.post(f"{server.admin_url}/admin/identities", json=body, timeout=10)
    assert r.status_code == 201, r.text
    created: dict[str, Any] = r.json()
    return created


def _admin_identity(server: PhalanxServer, identity_id: str) -> httpx.Response:
    return httpx.get(f"{server.admin_url}/admin/identities/{identity_id}", timeout=10)


def test_console_is_not_on_the_public_port(server: PhalanxServer) -> None:
    for path in ("/admin/ui", "/admin/ui/", "/admin/ui/identities", "/admin/ui/login"):
        assert httpx.get(f"{server.public_url}{path}", timeout=10).status_code == 404, path
    r = httpx.post(f"{server.public_url}/admin/ui/identities/new", timeout=10)
    assert r.status_code in (404, 405)


def test_pages_are_locked_down(server: PhalanxServer, console: ConsoleClient) -> None:
    r = console.get("/admin/ui/")
    assert r.status_code == 303 and r.headers["location"].endswith("/admin/ui/identities")
    r = console.get("/admin/ui/identities")
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert "unsafe" not in csp and "script-src 'none'" in csp and "form-action 'self'" in csp
    assert r.headers["x-frame-options"] == "DENY" and r.headers["cache-control"] == "no-store"
    # Nothing from another origin: every asset is under /admin/ui/.
    for url in re.findall(r'(?:src|href)="([^"]+)"', r.text):
        assert url.startswith(("/admin/ui/", "#")), url
    assert "<script" not in r.text
    for asset in re.findall(r'(?:src|href)="(/admin/ui/(?:static|theme)[^"]+)"', r.text):
        assert console.get(asset).status_code == 200, asset
    cookie = r.headers["set-cookie"]
    assert "phalanx_console_csrf=" in cookie and "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie and "Path=/admin/ui" in cookie


def test_search_by_identifier_exact_and_prefix(
    server: PhalanxServer, console: ConsoleClient
) -> None:
    tag = uuid.uuid4().hex[:8]
    ada = _create(server, f"ada-{tag}@example.org")
    _create(server, f"ada-{tag}x@example.org")
    exact = console.page(f"identities?q=ada-{tag}@example.org&match=exact")
    assert ada["id"] in exact and f"ada-{tag}x@" not in exact
    prefix = console.page(f"identities?q=ada-{tag}&match=prefix")
    assert len(re.findall(r'href="/admin/ui/identities/[0-9a-f-]{36}"', prefix)) == 2
    # Identifiers are matched normalized (e-mail case) as the admin API does.
    assert ada["id"] in console.page(f"identities?q=ADA-{tag}@example.org&match=exact")
    assert "No identity matches." in console.page(f"identities?q=nobody-{tag}&match=exact")


def test_filters_by_state_and_schema(server: PhalanxServer, console: ConsoleClient) -> None:
    tag = uuid.uuid4().hex[:8]
    inactive = _create(server, f"off-{tag}@example.org", state="inactive")
    active = _create(server, f"on-{tag}@example.org")
    r = httpx.post(
        f"{server.admin_url}/admin/identities",
        json={"schema_id": "customer", "traits": {"username": f"cust-{tag}"}},
        timeout=10,
    )
    customer = r.json()
    by_state = console.page(f"identities?q={'off-' + tag}&state=inactive")
    assert inactive["id"] in by_state
    assert inactive["id"] not in console.page(f"identities?q=off-{tag}&state=active")
    assert active["id"] in console.page(f"identities?q=on-{tag}&state=active")
    by_schema = console.page("identities?schema=customer")
    assert customer["id"] in by_schema and active["id"] not in by_schema


def test_list_pages_by_keyset(server: PhalanxServer, console: ConsoleClient) -> None:
    tag = uuid.uuid4().hex[:8]
    body = {
        "identities": [
            {"create": {"schema_id": "default", "traits": {"email": f"p{i}-{tag}@example.org"}}}
            for i in range(55)
        ]
    }
    assert httpx.patch(f"{server.admin_url}/admin/identities", json=body, timeout=30).is_success
    first = console.page("identities?q=p&match=prefix")
    found = re.search(r'href="(/admin/ui/identities\?[^"]*after=[^"]+)" rel="next"', first)
    assert found is not None
    first_ids = set(re.findall(r'href="/admin/ui/identities/([0-9a-f-]{36})"', first))
    assert len(first_ids) == 50
    second = console.get(found.group(1).replace("&amp;", "&"))
    second_ids = set(re.findall(r'href="/admin/ui/identities/([0-9a-f-]{36})"', second.text))
    assert second_ids and not (first_ids & second_ids)


def test_every_post_without_a_token_is_refused(
    server: PhalanxServer, console: ConsoleClient
) -> None:
    created = _create(
        server,
        unique_email("csrf"),
        credentials={"password": {"config": {"password": "a long password 12345"}}},
    )
    identity_id = created["id"]
    token = _login_api(server, created["traits"]["email"])
    actions = set(form_actions(console.page(f"identities/{identity_id}")))
    actions |= set(form_actions(console.page(f"identities/{identity_id}/sessions")))
    actions |= set(form_actions(console.page(f"identities/{identity_id}/delete")))
    actions |= {
        "/admin/ui/identities/new",
        f"/admin/ui/identities/{identity_id}/edit",
        f"/admin/ui/courier/{uuid.uuid4()}/retry",
        "/admin/ui/logout",
    }
    assert len(actions) >= 8, actions
    forged = {"state": "inactive", "method": "link", "type": "password", "session": ""}
    for action in sorted(actions):
        for data in ({}, {"csrf_token": "forged"}):
            r = console.post(action, data={**forged, **data})
            assert r.status_code == 403, (action, r.status_code)
            assert "CSRF" in r.text
    # A token from another browser (another CSRF cookie) is refused too.
    with ConsoleClient(server.admin_url) as other:
        foreign = csrf_token(other.page("identities/new"))
    r = console.post(f"/admin/ui/identities/{identity_id}/delete", data={"csrf_token": foreign})
    assert r.status_code == 403
    # Nothing happened: the identity and its session are still there.
    assert _admin_identity(server, identity_id).json()["state"] == "active"
    whoami = httpx.get(
        f"{server.public_url}/sessions/whoami", headers={"X-Session-Token": token}, timeout=10
    )
    assert whoami.status_code == 200


def _login_api(server: PhalanxServer, email: str) -> str:
    flow = httpx.get(f"{server.public_url}/self-service/login/api", timeout=10).json()
    r = httpx.post(
        f"{server.public_url}/self-service/login?flow={flow['id']}",
        json={"method": "password", "identifier": email, "password": "a long password 12345"},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    token: str = r.json()["session_token"]
    return token


def test_create_from_the_schema_form(server: PhalanxServer, console: ConsoleClient) -> None:
    form = console.page("identities/new")
    assert 'name="traits.email"' in form and 'type="email"' in form
    email = unique_email("created")
    r = console.submit(
        "identities/new",
        {
            "schema_id": "default",
            "traits.email": email,
            "state": "active",
            "metadata_public": '{"plan": "pro"}',
            "metadata_admin": "",
            "password": "a long password 12345",
        },
        token_from="identities/new",
    )
    assert r.status_code == 303, r.text[:500]
    identity_id = r.headers["location"].split("/identities/")[1].split("?")[0]
    stored = _admin_identity(server, identity_id).json()
    assert stored["traits"] == {"email": email}
    assert stored["metadata_public"] == {"plan": "pro"}
    assert stored["metadata_admin"] is None
    assert "password" in stored["credentials"]
    assert stored["verifiable_addresses"][0]["value"] == email
    _login_api(server, email)  # the password works

    # Schema violations are shown at their field; nothing is created.
    bad = console.submit(
        "identities/new",
        {"schema_id": "default", "traits.email": "not-an-email", "state": "active"},
        token_from="identities/new",
    )
    assert bad.status_code == 400
    assert 'aria-invalid="true"' in bad.text and "not-an-email" in bad.text
    # A taken identifier is the admin API's conflict, shown above the form.
    taken = console.submit(
        "identities/new",
        {"schema_id": "default", "traits.email": email, "state": "active"},
        token_from="identities/new",
    )
    assert taken.status_code == 400 and 'role="alert"' in taken.text


def test_edit_traits_metadata_and_state(server: PhalanxServer, console: ConsoleClient) -> None:
    created = _create(server, unique_email("edit"), metadata_admin={"note": "keep"})
    identity_id = created["id"]
    edit = console.page(f"identities/{identity_id}/edit")
    assert created["traits"]["email"] in edit and "&#34;note&#34;" in edit
    new_email = unique_email("edited")
    r = console.submit(
        f"identities/{identity_id}/edit",
        {
            "traits.email": new_email,
            "state": "inactive",
            "metadata_public": '{"a": 1}',
            "metadata_admin": '{"note": "changed"}',
        },
        token_from=f"identities/{identity_id}/edit",
    )
    assert r.status_code == 303
    stored = _admin_identity(server, identity_id).json()
    assert stored["traits"]["email"] == new_email and stored["state"] == "inactive"
    assert stored["metadata_public"] == {"a": 1}
    assert stored["metadata_admin"] == {"note": "changed"}
    bad = console.submit(
        f"identities/{identity_id}/edit",
        {"traits.email": new_email, "state": "active", "metadata_public": "{oops"},
        token_from=f"identities/{identity_id}/edit",
    )
    assert bad.status_code == 400 and "metadata_public is not valid JSON" in bad.text
    assert _admin_identity(server, identity_id).json()["state"] == "inactive"


def test_credentials_are_shown_without_secrets(
    server: PhalanxServer, console: ConsoleClient
) -> None:
    created = _create(
        server,
        unique_email("creds"),
        credentials={"password": {"config": {"password": "a long password 12345"}}},
    )
    page = console.page(f"identities/{created['id']}")
    assert "Password" in page and created["traits"]["email"] in page
    assert "$2a$" not in page and "hashed_password" not in page
    # The last first factor cannot go: the manager's refusal is shown.
    r = console.submit(
        f"identities/{created['id']}/credentials",
        {"type": "password", "identifier": ""},
        token_from=f"identities/{created['id']}",
    )
    assert r.status_code == 400 and "last first factor" in r.text


def test_recovery_code_is_shown_once(server: PhalanxServer, console: ConsoleClient) -> None:
    created = _create(server, unique_email("recover"))
    r = console.submit(
        f"identities/{created['id']}/recovery",
        {"method": "code"},
        token_from=f"identities/{created['id']}",
    )
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    code = re.search(r'id="recovery-code">(\d+)<', r.text)
    link = re.search(r'id="recovery-link">([^<]+)<', r.text)
    assert code is not None and link is not None
    assert link.group(1).startswith(f"{server.public_url}/") and "recovery?flow=" in link.group(1)
    assert code.group(1) not in console.page(f"identities/{created['id']}")


def test_delete_needs_the_confirmation_post(server: PhalanxServer, console: ConsoleClient) -> None:
    created = _create(server, unique_email("delete"))
    confirm = console.page(f"identities/{created['id']}/delete")
    assert "cannot be undone" in confirm
    assert _admin_identity(server, created["id"]).status_code == 200
    r = console.submit(
        f"identities/{created['id']}/delete", {}, token_from=f"identities/{created['id']}/delete"
    )
    assert r.status_code == 303 and "done=deleted" in r.headers["location"]
    assert _admin_identity(server, created["id"]).status_code == 404
    assert console.get(f"/admin/ui/identities/{created['id']}").status_code == 404


def _abandoned_message(server: PhalanxServer, recipient: str) -> uuid.UUID:
    """A message the courier gave up on, written with Phalanx's own store."""

    async def write() -> uuid.UUID:
        url = parse_dsn(server.dsn)
        database = Database(create_engine(url.sqlalchemy_url, memory=url.is_memory))
        try:
            store = SQLCourierStore(database)
            message = Message(
                type=MessageType.EMAIL,
                recipient=recipient,
                subject="Recover access to your account",
                body="Your code is 123456",
                template_type="recovery_code_valid",
            )
            await store.add(message)
            await store.increment_send_count(message.id)
            await store.mark_abandoned(message.id, {"message": "connection refused"})
            return message.id
        finally:
            await database.dispose()

    return asyncio.run(write())


def test_courier_filters_and_retry(server: PhalanxServer, console: ConsoleClient) -> None:
    recipient = unique_email("mail")
    message_id = _abandoned_message(server, recipient)
    listed = console.page(f"courier?status=abandoned&recipient={recipient}")
    assert str(message_id) in listed
    assert str(message_id) not in console.page(f"courier?status=sent&recipient={recipient}")
    detail = console.page(f"courier/{message_id}")
    assert "Your code is 123456" in detail and "connection refused" in detail
    r = console.submit(f"courier/{message_id}/retry", {}, token_from=f"courier/{message_id}")
    assert r.status_code == 303
    stored = httpx.get(f"{server.admin_url}/admin/courier/messages/{message_id}", timeout=10)
    assert stored.json()["status"] == "queued" and stored.json()["send_count"] == 0
    # Only abandoned messages can be retried (the button is gone, the POST finds nothing).
    page = console.page(f"courier/{message_id}")
    assert "Retry delivery" not in page
    token = csrf_token(console.page("identities/new"))
    again = console.post(f"/admin/ui/courier/{message_id}/retry", data={"csrf_token": token})
    assert again.status_code == 404


def test_audit_page_lists_console_changes(server: PhalanxServer, console: ConsoleClient) -> None:
    message_id = _abandoned_message(server, unique_email("audited"))
    r = console.submit(f"courier/{message_id}/retry", {}, token_from=f"courier/{message_id}")
    assert r.status_code == 303
    events = httpx.get(
        f"{server.admin_url}/admin/audit/events",
        params={"type": "courier.message_retried"},
        timeout=10,
    ).json()
    mine = [e for e in events if e["details"].get("message_id") == str(message_id)]
    assert len(mine) == 1 and mine[0]["actor"] == "admin_console"
    page = console.page("audit?type=courier.message_retried")
    assert str(message_id) in page and "admin_console" in page
    other = console.page("audit?type=identity.deleted")
    assert str(message_id) not in other
    assert "No events." in console.page("audit?until=2000-01-01")


def test_hostile_input_is_refused_like_the_admin_api(
    server: PhalanxServer, console: ConsoleClient
) -> None:
    created = _create(server, unique_email("hostile"))
    edit = f"identities/{created['id']}/edit"
    deep = "[" * 40 + "]" * 40
    r = console.submit(
        edit,
        {"traits.email": created["traits"]["email"], "state": "active", "metadata_admin": deep},
        token_from=edit,
    )
    assert r.status_code == 400 and "nested more than 24 levels" in r.text
    nul = console.submit(edit, {"traits.email": "a\x00b@example.org"}, token_from=edit)
    assert nul.status_code == 400 and "Nothing was changed." in nul.text
    token = csrf_token(console.page(edit))
    big = console.post(
        f"/admin/ui/{edit}", data={"csrf_token": token, "metadata_public": "x" * (2 << 20)}
    )
    assert big.status_code == 400 and "exceeds the limit" in big.text
    stored = _admin_identity(server, created["id"]).json()
    assert stored["traits"] == created["traits"] and stored["metadata_admin"] is None


def _events(server: PhalanxServer, identity_id: str) -> list[dict[str, Any]]:
    r = httpx.get(
        f"{server.admin_url}/admin/audit/events", params={"identity": identity_id}, timeout=10
    )
    assert r.status_code == 200, r.text
    events: list[dict[str, Any]] = r.json()
    return events


def test_console_changes_are_audited_as_the_console(
    server: PhalanxServer, console: ConsoleClient
) -> None:
    created = _create(
        server,
        unique_email("audit"),
        credentials={"password": {"config": {"password": "a long password 12345"}}},
    )
    identity_id = created["id"]
    _login_api(server, created["traits"]["email"])
    edit = f"identities/{identity_id}/edit"
    r = console.submit(
        edit, {"traits.email": created["traits"]["email"], "state": "inactive"}, token_from=edit
    )
    assert r.status_code == 303
    page = f"identities/{identity_id}"
    assert console.submit(f"{page}/recovery", {"method": "code"}, token_from=page).is_success
    sessions = f"{page}/sessions"
    assert console.submit(f"{sessions}/revoke-all", {}, token_from=sessions).status_code == 303
    delete = f"{page}/delete"
    assert console.submit(delete, {}, token_from=delete).status_code == 303
    actors = {(e["type"], e["actor"]) for e in _events(server, identity_id)}
    # The admin API's create and the user's login keep their own actors.
    assert ("identity.created", "admin") in actors
    assert ("session.issued", "self") in actors
    for kind in ("identity.updated", "recovery.code_issued", "session.revoked", "identity.deleted"):
        assert (kind, "admin_console") in actors, (kind, sorted(actors))
    # The audit page lists them, linked to the identity.
    listed = console.page(f"audit?identity={identity_id}")
    assert listed.count("admin_console") >= 4
    assert f'href="/admin/ui/identities/{identity_id}"' in listed


def test_extend_too_early_says_so(server: PhalanxServer, console: ConsoleClient) -> None:
    created = _create(
        server,
        unique_email("extend"),
        credentials={"password": {"config": {"password": "a long password 12345"}}},
    )
    token = _login_api(server, created["traits"]["email"])
    whoami = httpx.get(
        f"{server.public_url}/sessions/whoami", headers={"X-Session-Token": token}, timeout=10
    ).json()
    sessions = f"identities/{created['id']}/sessions"
    r = console.submit(f"{sessions}/extend", {"session": whoami["id"]}, token_from=sessions)
    assert r.status_code == 303 and "done=not_extended" in r.headers["location"]
    assert "was not extended" in console.page(f"{sessions}?done=not_extended")
    after = httpx.get(f"{server.admin_url}/admin/sessions/{whoami['id']}", timeout=10).json()
    assert after["expires_at"] == whoami["expires_at"]
