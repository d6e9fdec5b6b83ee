"""Admin session API: list (keyset pages, active filter, expand), get, extend, disable, and
the sessions of one identity."""

from __future__ import annotations

import uuid

import ory_kratos_client as kratos
import pytest

from phalanx.testing import flows_config
from phalanx.testing.sdk import frontend, login_api, register_api
from tests.support.api import SpecClient, error_of
from tests.support.identities import unique_email
from tests.support.server import PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(module_server_factory: ServerFactory) -> PhalanxServer:
    return module_server_factory.start(config=flows_config())


@pytest.fixture
def admin(server: PhalanxServer) -> SpecClient:
    with SpecClient(server.admin_url) as client:
        yield client  # type: ignore[misc]


def _user(server: PhalanxServer, logins: int = 0) -> tuple[str, list[str], list[str]]:
    """(identity id, session ids, tokens) of a new user with ``logins`` extra sessions."""
    email = unique_email("admin-sessions")
    with frontend(server) as api:
        registered = register_api(api, email)
        results = [login_api(api, email) for _ in range(logins)]
    ids = [registered.session.id] + [r.session.id for r in results]  # type: ignore[union-attr]
    tokens = [registered.session_token] + [r.session_token for r in results]
    return registered.identity.id, ids, tokens  # type: ignore[return-value]


def test_get_session_with_and_without_expansion(admin: SpecClient, server: PhalanxServer) -> None:
    identity_id, (session_id,), _ = _user(server)
    plain = admin.get(f"/admin/sessions/{session_id}").json()
    assert plain["id"] == session_id and "identity" not in plain and plain["devices"] == []
    full = admin.get(f"/admin/sessions/{session_id}?expand=identity&expand=devices").json()
    assert full["identity"]["id"] == identity_id
    assert "metadata_admin" not in full["identity"]
    assert len(full["devices"]) == 1
    r = admin.get(f"/admin/sessions/{uuid.uuid4()}")
    assert r.status_code == 404 and error_of(r)["message"] == "Unable to locate the resource"
    r = admin.get("/admin/sessions/not-a-uuid")
    assert r.status_code == 400
    r = admin.get(f"/admin/sessions/{session_id}?expand=everything")
    assert r.status_code == 400


def test_list_sessions_pages_filter_and_expand(admin: SpecClient, server: PhalanxServer) -> None:
    identity_id, ids, _ = _user(server, logins=2)
    admin.delete(f"/admin/sessions/{ids[0]}")
    seen: dict[str, dict[str, object]] = {}
    url = "/admin/sessions?page_size=2&expand=identity"
    pages = 0
    while url and pages < 50:
        r = admin.get(url)
        assert r.status_code == 200
        for item in r.json():
            seen[item["id"]] = item
        links = dict(
            (part.split(";")[1].strip(), part.split(";")[0].strip().strip("<>"))
            for part in r.headers["Link"].split(",")
        )
        url = links.get('rel="next"', "").removeprefix(server.admin_url)
        pages += 1
    assert set(ids) <= set(seen)
    assert seen[ids[1]]["identity"]["id"] == identity_id  # type: ignore[index]
    active = {s["id"] for s in admin.get("/admin/sessions?active=true").json()}
    inactive = {s["id"] for s in admin.get("/admin/sessions?active=false").json()}
    assert ids[0] in inactive and ids[0] not in active
    assert ids[1] in active
    assert admin.get("/admin/sessions?active=maybe").status_code == 400
    bad = admin.get("/admin/sessions?page_token=not-a-token")
    assert bad.status_code == 400
    assert bad.json()["error"]["reason"] == "The page token is invalid."


def test_extend_session(admin: SpecClient, server: PhalanxServer) -> None:
    _, (session_id,), _ = _user(server)
    r = admin.patch(f"/admin/sessions/{session_id}/extend")
    assert r.status_code == 200 and r.json()["id"] == session_id
    assert r.json()["identity"]["id"]
    assert admin.patch(f"/admin/sessions/{uuid.uuid4()}/extend").status_code == 404


def test_disable_session(admin: SpecClient, server: PhalanxServer) -> None:
    _, (session_id,), (token,) = _user(server)
    assert admin.delete(f"/admin/sessions/{session_id}").status_code == 204
    assert admin.get(f"/admin/sessions/{session_id}").json()["active"] is False
    with frontend(server) as api, pytest.raises(kratos.exceptions.ApiException):
        api.to_session(x_session_token=token)
    assert admin.delete(f"/admin/sessions/{uuid.uuid4()}").status_code == 404


def test_identity_sessions(admin: SpecClient, server: PhalanxServer) -> None:
    identity_id, ids, _ = _user(server, logins=2)
    admin.delete(f"/admin/sessions/{ids[0]}")
    r = admin.get(f"/admin/identities/{identity_id}/sessions")
    assert r.status_code == 200 and r.headers["X-Total-Count"] == "3"
    assert {s["id"] for s in r.json()} == set(ids)
    assert all("identity" not in s for s in r.json())
    active = admin.get(f"/admin/identities/{identity_id}/sessions?active=true").json()
    assert {s["id"] for s in active} == set(ids[1:])
    page = admin.get(f"/admin/identities/{identity_id}/sessions?per_page=1&page=1")
    assert len(page.json()) == 1 and page.headers["X-Total-Count"] == "3"

    assert admin.delete(f"/admin/identities/{identity_id}/sessions").status_code == 204
    assert admin.get(f"/admin/identities/{identity_id}/sessions").json() == []
    assert admin.delete(f"/admin/identities/{identity_id}/sessions").status_code == 404
    assert admin.get(f"/admin/identities/{uuid.uuid4()}/sessions").json() == []


def test_sdk_identity_api_sessions(server: PhalanxServer) -> None:
    identity_id, ids, _ = _user(server, logins=1)
    with kratos.ApiClient(kratos.Configuration(host=server.admin_url)) as client:
        identities = kratos.IdentityApi(client)
        listed = identities.list_identity_sessions(identity_id)
        assert {s.id for s in listed} == set(ids)
        session = identities.get_session(ids[0], expand=["identity"])
        assert session.identity is not None and session.identity.id == identity_id
        extended = identities.extend_session(ids[0])
        assert extended.id == ids[0]
        identities.disable_session(ids[1])
        assert identities.get_session(ids[1]).active is False
        assert any(s.id == ids[0] for s in identities.list_sessions(active=True, page_size=500))
        identities.delete_identity_sessions(identity_id)
        assert identities.list_identity_sessions(identity_id) == []
