"""The console login (``phalanx.admin_ui.auth``) and the ``enabled`` switch, on a REAL server.

With users configured, every console page and action redirects to the console login until
the user signs in with the argon2id-hashed password; the login form itself needs its CSRF
token; a wrong password and an unknown name get the same answer. Without ``--dev`` the
console is off unless enabled.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import httpx
import pytest

from phalanx.hash import Argon2Hasher
from tests.console.pages import ConsoleClient, csrf_token
from tests.support.server import PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e

ADMIN = "operator"
PASSWORD = "console password 0123456789"
#: Small argon2id parameters keep the test fast; the format is what production uses.
HASH = Argon2Hasher(memory_kib=1024, iterations=1, parallelism=1).hash(PASSWORD)

PAGES = [
    "identities",
    "identities/new",
    f"identities/{uuid.uuid4()}",
    f"identities/{uuid.uuid4()}/edit",
    f"identities/{uuid.uuid4()}/delete",
    f"identities/{uuid.uuid4()}/sessions",
    "courier",
    f"courier/{uuid.uuid4()}",
    "audit",
]
ACTIONS = [
    "identities/new",
    f"identities/{uuid.uuid4()}/edit",
    f"identities/{uuid.uuid4()}/delete",
    f"identities/{uuid.uuid4()}/credentials",
    f"identities/{uuid.uuid4()}/recovery",
    f"identities/{uuid.uuid4()}/sessions/revoke",
    f"identities/{uuid.uuid4()}/sessions/revoke-all",
    f"identities/{uuid.uuid4()}/sessions/extend",
    f"courier/{uuid.uuid4()}/retry",
    "logout",
]


@pytest.fixture(scope="module")
def server(module_server_factory: ServerFactory) -> PhalanxServer:
    return module_server_factory.start(
        config={"phalanx": {"admin_ui": {"auth": [{"username": ADMIN, "password_hash": HASH}]}}}
    )


@pytest.fixture
def console(server: PhalanxServer) -> Iterator[ConsoleClient]:
    with ConsoleClient(server.admin_url) as client:
        yield client


def _sign_in(console: ConsoleClient, username: str, password: str) -> httpx.Response:
    token = csrf_token(console.page("login"))
    return console.post(
        "/admin/ui/login", data={"username": username, "password": password, "csrf_token": token}
    )


def test_every_page_redirects_to_the_login(console: ConsoleClient) -> None:
    for path in PAGES:
        r = console.get(f"/admin/ui/{path}")
        assert r.status_code == 303, path
        assert r.headers["location"] == "/admin/ui/login", path
    token = csrf_token(console.page("login"))
    for path in ACTIONS:
        r = console.post(f"/admin/ui/{path}", data={"csrf_token": token})
        assert r.status_code == 303 and r.headers["location"] == "/admin/ui/login", path


def test_wrong_credentials_are_refused_alike(console: ConsoleClient) -> None:
    wrong = _sign_in(console, ADMIN, "not the password at all")
    unknown = _sign_in(console, "nobody", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert "The name or the password is not correct." in wrong.text
    assert re.sub(r'value="[^"]*"', "", wrong.text).replace(ADMIN, "nobody") == re.sub(
        r'value="[^"]*"', "", unknown.text
    )
    assert "phalanx_console=" not in wrong.headers.get("set-cookie", "")
    assert console.get("/admin/ui/identities").status_code == 303


def test_login_form_needs_its_csrf_token(console: ConsoleClient) -> None:
    console.page("login")
    r = console.post("/admin/ui/login", data={"username": ADMIN, "password": PASSWORD})
    assert r.status_code == 403
    assert console.get("/admin/ui/identities").status_code == 303


def test_sign_in_and_out(server: PhalanxServer, console: ConsoleClient) -> None:
    r = _sign_in(console, ADMIN, PASSWORD)
    assert r.status_code == 303 and r.headers["location"] == "/admin/ui/identities"
    cookie = r.headers["set-cookie"]
    assert "phalanx_console=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    page = console.page("identities")
    assert f"Sign out {ADMIN}" in page
    assert console.get("/admin/ui/login").status_code == 303  # already signed in
    # A forged or tampered cookie is no login.
    with ConsoleClient(server.admin_url) as other:
        value = console.cookies.get("phalanx_console") or ""
        other.cookies.set("phalanx_console", value[:-2] + "AA", path="/admin/ui")
        assert other.get("/admin/ui/identities").status_code == 303
    token = csrf_token(page)
    out = console.post("/admin/ui/logout", data={"csrf_token": token})
    assert out.status_code == 303 and out.headers["location"] == "/admin/ui/login"
    assert console.get("/admin/ui/identities").status_code == 303


def test_console_is_off_without_dev(server_factory: ServerFactory) -> None:
    srv = server_factory.start(dev=False, database="memory")
    assert httpx.get(f"{srv.admin_url}/admin/ui/identities", timeout=10).status_code == 404
    srv.stop()
    enabled = server_factory.start(
        dev=False, database="memory", config={"phalanx": {"admin_ui": {"enabled": True}}}
    )
    r = httpx.get(f"{enabled.admin_url}/admin/ui/identities", timeout=10)
    assert r.status_code == 200
    assert httpx.get(f"{enabled.public_url}/admin/ui/identities", timeout=10).status_code == 404
