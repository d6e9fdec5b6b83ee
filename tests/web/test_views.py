"""The ``/ui`` endpoints against a fake registry (no database): redirects, errors, headers,
the welcome page and its CSRF-protected revoke form."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from starlette.applications import Starlette

from phalanx.config import Config
from phalanx.errors import (
    AAL2RequiredError,
    CSRFViolationError,
    GoneError,
    KratosError,
    NotFoundError,
    SessionInactiveError,
)
from phalanx.selfservice.flow.csrf import cookie_name, mask_token, new_real_token
from phalanx.selfservice.request import FlowRequest, Outcome
from phalanx.session.manager import SessionManager
from phalanx.session.model import Session
from phalanx.session.store import SessionPage
from phalanx.web.routes import routes
from tests.web import flows
from tests.web.a11y import assert_accessible
from tests.web.dom import parse
from tests.web.static_app import SESSION

PUBLIC = flows.PUBLIC


@dataclass
class FakeFlows:
    flow: Mapping[str, Any] | None = None
    error: KratosError | None = None
    seen: list[tuple[FlowRequest, str | None]] = field(default_factory=list)

    async def fetch(self, req: FlowRequest, flow_id: str | None) -> Outcome:
        self.seen.append((req, flow_id))
        if self.error is not None:
            raise self.error
        return Outcome.json(dict(self.flow or {}))


@dataclass
class FakeSessions:
    current: Session | None = None
    store: FakeStore | None = None
    revoked: list[uuid.UUID] = field(default_factory=list)
    revoked_others: list[tuple[uuid.UUID, uuid.UUID | None]] = field(default_factory=list)

    async def from_request(self, req: FlowRequest) -> Session | None:
        return self.current

    async def revoke(self, session_id: uuid.UUID) -> bool:
        self.revoked.append(session_id)
        return True

    async def revoke_own(self, current: Session, target: uuid.UUID) -> bool:
        """The real rule (``SessionManager.revoke_own``) over this fake's store and revoke."""
        return await SessionManager.revoke_own(self, current, target)  # type: ignore[arg-type]

    async def revoke_others(self, identity_id: uuid.UUID, keep: uuid.UUID | None) -> int:
        self.revoked_others.append((identity_id, keep))
        return 1


@dataclass
class FakeStore:
    sessions: list[Session] = field(default_factory=list)

    async def get(self, session_id: uuid.UUID, *, with_identity: bool = True) -> Session | None:
        return next((s for s in self.sessions if s.id == session_id), None)

    async def list_for_identity(
        self, identity_id: uuid.UUID, *, active: bool | None = None, **_: Any
    ) -> SessionPage:
        return SessionPage([s for s in self.sessions if s.identity_id == identity_id])


class FakeRenderer:
    def session(
        self, session: Session, *, include_identity: bool = True, **_: Any
    ) -> dict[str, Any]:
        out = {**SESSION, "id": str(session.id)}
        if not include_identity:
            out.pop("identity")
        return out


@dataclass
class FakeLogout:
    async def create_browser(self, req: FlowRequest) -> Outcome:
        return Outcome.json({"logout_url": f"{PUBLIC}self-service/logout?token=ory_lo_abc"})


@dataclass
class FakeSchema:
    raw: Mapping[str, Any]


class FakeSchemas:
    """The identity schemas: ``default`` with titles, nothing else."""

    def get(self, schema_id: str = "") -> FakeSchema:
        if schema_id not in ("", "default"):
            raise NotFoundError(f"Identity schema `{schema_id}` could not be found.")
        name = {"type": "object", "properties": {"first": {"type": "string", "title": "Given"}}}
        traits = {
            "type": "object",
            "properties": {"email": {"type": "string", "title": "Email"}, "name": name},
        }
        return FakeSchema(raw={"properties": {"traits": traits}})


@dataclass
class FakeErrors:
    stored: dict[uuid.UUID, Mapping[str, Any]] = field(default_factory=dict)

    async def get(self, error_id: uuid.UUID) -> Mapping[str, Any] | None:
        return self.stored.get(error_id)


@dataclass
class FakeRegistry:
    config: Config
    login: FakeFlows = field(default_factory=FakeFlows)
    registration: FakeFlows = field(default_factory=FakeFlows)
    settings: FakeFlows = field(default_factory=FakeFlows)
    recovery: FakeFlows = field(default_factory=FakeFlows)
    verification: FakeFlows = field(default_factory=FakeFlows)
    logout: FakeLogout = field(default_factory=FakeLogout)
    sessions: FakeSessions = field(default_factory=FakeSessions)
    session_store: FakeStore = field(default_factory=FakeStore)
    session_renderer: FakeRenderer = field(default_factory=FakeRenderer)
    error_store: FakeErrors = field(default_factory=FakeErrors)
    schemas: FakeSchemas = field(default_factory=FakeSchemas)
    dev: bool = True

    def __post_init__(self) -> None:
        self.sessions.store = self.session_store


@pytest.fixture
def registry(config: Config) -> FakeRegistry:
    return FakeRegistry(config=config)


pytestmark = pytest.mark.anyio


@pytest.fixture
async def client(registry: FakeRegistry) -> AsyncIterator[httpx.AsyncClient]:
    app = Starlette(routes=routes)
    app.state.registry = registry
    transport = httpx.ASGITransport(app=app, client=("192.0.2.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC.rstrip("/")) as c:
        yield c


def make_session(identity: uuid.UUID) -> Session:
    return Session(identity_id=identity, expires_at=datetime.now(UTC) + timedelta(days=1))


async def test_without_flow_redirects_to_init_carrying_the_query(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/ui/login?return_to=http%3A%2F%2F127.0.0.1%3A4433%2Fx&refresh=true"
    )
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location._replace(query="").geturl() == f"{PUBLIC}self-service/login/browser"
    assert parse_qs(location.query) == {
        "return_to": ["http://127.0.0.1:4433/x"],
        "refresh": ["true"],
    }
    assert (await client.get("/ui/settings")).headers["location"] == (
        f"{PUBLIC}self-service/settings/browser"
    )


async def test_flow_page_fetches_in_process_with_the_cookies(
    client: httpx.AsyncClient, registry: FakeRegistry, config: Config
) -> None:
    registry.login.flow = flows.login_flow()
    real = new_real_token()
    client.cookies.set(cookie_name(config.public_base_url), real)
    response = await client.get(
        f"/ui/login?flow={flows.FLOW_ID}", headers={"accept-language": "en"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    ((req, flow_id),) = registry.login.seen
    assert flow_id == flows.FLOW_ID
    assert req.csrf_cookie == real
    doc = parse(response.text)
    assert_accessible(doc)
    assert doc.find("form")["action"] == flows.login_flow()["ui"]["action"]


async def test_pages_send_security_headers(
    client: httpx.AsyncClient, registry: FakeRegistry
) -> None:
    registry.registration.flow = flows.registration_flow()
    response = await client.get(f"/ui/registration?flow={flows.FLOW_ID}")
    headers = response.headers
    csp = headers["content-security-policy"]
    assert "default-src 'self'" in csp and "style-src 'self'" in csp
    assert "img-src 'self' data:" in csp
    assert "form-action 'self' http://127.0.0.1:4433" in csp
    assert "unsafe-inline" not in csp
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "no-store"
    assert headers["content-language"] == "en"


@pytest.mark.parametrize(
    ("error", "location"),
    [
        (NotFoundError("Unable to locate the resource"), f"{PUBLIC}self-service/recovery/browser"),
        (
            GoneError(
                "The recovery flow has expired.",
                details={"redirect_to": f"{PUBLIC}self-service/recovery/browser?return_to=x"},
            ),
            f"{PUBLIC}self-service/recovery/browser?return_to=x",
        ),
    ],
)
async def test_unknown_or_expired_flows_restart(
    client: httpx.AsyncClient, registry: FakeRegistry, error: KratosError, location: str
) -> None:
    registry.recovery.error = error
    response = await client.get(f"/ui/recovery?flow={flows.FLOW_ID}")
    assert (response.status_code, response.headers["location"]) == (303, location)


async def test_malformed_flow_id_restarts(
    client: httpx.AsyncClient, registry: FakeRegistry
) -> None:
    from phalanx.errors import BadRequestError

    registry.verification.error = BadRequestError(
        "The flow query parameter is missing or malformed."
    )
    response = await client.get("/ui/verification?flow=nope")
    assert response.headers["location"] == f"{PUBLIC}self-service/verification/browser"


async def test_csrf_mismatch_shows_an_error_instead_of_looping(
    client: httpx.AsyncClient, registry: FakeRegistry
) -> None:
    registry.login.error = CSRFViolationError("Please retry the flow and clear your cookies.")
    response = await client.get(f"/ui/login?flow={flows.FLOW_ID}")
    assert response.status_code == 403
    doc = parse(response.text)
    assert "cookies are enabled" in doc.find("div", class_="flash").text
    assert doc.find("nav").find("a")["href"] == f"{PUBLIC}self-service/login/browser"
    assert "content-security-policy" in response.headers


async def test_settings_without_session_goes_to_login(
    client: httpx.AsyncClient, registry: FakeRegistry
) -> None:
    registry.settings.error = SessionInactiveError()
    location = (await client.get(f"/ui/settings?flow={flows.FLOW_ID}")).headers["location"]
    assert location == (
        f"{PUBLIC}self-service/login/browser?return_to="
        "http%3A%2F%2F127.0.0.1%3A4433%2Fself-service%2Fsettings%2Fbrowser"
    )
    registry.settings.error = AAL2RequiredError(f"{PUBLIC}self-service/login/browser?aal=aal2")
    location = (await client.get(f"/ui/settings?flow={flows.FLOW_ID}")).headers["location"]
    assert location == f"{PUBLIC}self-service/login/browser?aal=aal2"


async def test_settings_page_links_sign_out(
    client: httpx.AsyncClient, registry: FakeRegistry
) -> None:
    registry.settings.flow = flows.settings_flow(success=True)
    doc = parse((await client.get(f"/ui/settings?flow={flows.FLOW_ID}")).text)
    links = {a.text: a["href"] for a in doc.find("nav").find_all("a")}
    assert links["Sign out"] == f"{PUBLIC}self-service/logout?token=ory_lo_abc"


async def test_flows_the_registry_lacks_are_404(
    client: httpx.AsyncClient, registry: FakeRegistry
) -> None:
    del registry.recovery  # e.g. a build without the recovery flow yet
    response = await client.get(f"/ui/recovery?flow={flows.FLOW_ID}")
    assert response.status_code == 404
    assert "not available" in parse(response.text).find("div", class_="flash").text


async def test_error_page(client: httpx.AsyncClient, registry: FakeRegistry) -> None:
    error_id = uuid.uuid4()
    registry.error_store.stored[error_id] = {
        "id": str(error_id),
        "error": {"code": 500, "status": "Internal Server Error", "message": "boom"},
    }
    response = await client.get(f"/ui/error?id={error_id}")
    assert response.status_code == 200
    assert "boom" in parse(response.text).find("div", class_="flash").text
    assert (await client.get(f"/ui/error?id={uuid.uuid4()}")).status_code == 404
    assert (await client.get("/ui/error?id=not-a-uuid")).status_code == 404
    assert (await client.get("/ui/error")).status_code == 404


async def test_stored_csrf_error_says_it_once_and_explains(
    client: httpx.AsyncClient, registry: FakeRegistry
) -> None:
    """Kratos's CSRF error repeats its message in its reason; the page says it once and
    adds what to do about it (cookies)."""
    error_id = uuid.uuid4()
    registry.error_store.stored[error_id] = {
        "id": str(error_id),
        "error": {
            "id": "security_csrf_violation",
            "code": 403,
            "status": "Forbidden",
            "reason": "Please retry the flow and optionally clear your cookies. The request "
            "was rejected to protect you from Cross-Site-Request-Forgery (CSRF) which could "
            "cause account takeover.",
            "message": "the request was rejected to protect you from Cross-Site-Request-Forgery",
        },
    }
    response = await client.get(f"/ui/error?id={error_id}")
    items = parse(response.text).find("div", class_="flash").find_all("li")
    assert len(items) == 2
    assert items[0].text.startswith("Please retry the flow")
    assert "cookies are enabled" in items[1].text


async def test_welcome_requires_a_session(client: httpx.AsyncClient) -> None:
    response = await client.get("/ui/welcome")
    assert response.headers["location"] == f"{PUBLIC}self-service/login/browser"
    assert (await client.get("/ui")).headers["location"] == "/ui/welcome"


async def test_welcome_lists_sessions_and_sets_a_csrf_cookie(
    client: httpx.AsyncClient, registry: FakeRegistry, config: Config
) -> None:
    identity = uuid.uuid4()
    me, other = make_session(identity), make_session(identity)
    registry.sessions.current = me
    registry.session_store.sessions = [me, other, make_session(uuid.uuid4())]
    response = await client.get("/ui/welcome")
    assert response.status_code == 200
    name = cookie_name(config.public_base_url)
    assert name in response.cookies
    doc = parse(response.text)
    assert_accessible(doc)
    (row,) = doc.find("ul", class_="sessions").find_all("li", class_="session")
    assert row.find("button")["value"] == str(other.id)
    token = row.find("input", name="csrf_token")["value"]
    assert token and token != response.cookies[name]
    logout = doc.find("ul", class_="actions").find_all("a")[-1]
    assert logout["href"] == f"{PUBLIC}self-service/logout?token=ory_lo_abc"
    labels = [dt.text for dt in doc.find_all("dl")[0].find_all("dt")]
    # the identity schema's titles, as the forms show them; "last" has none
    assert labels[:3] == ["Email", "Given", "Last"]


async def test_revoke_checks_csrf(
    client: httpx.AsyncClient, registry: FakeRegistry, config: Config
) -> None:
    identity = uuid.uuid4()
    me, other = make_session(identity), make_session(identity)
    stranger = make_session(uuid.uuid4())
    registry.sessions.current = me
    registry.session_store.sessions = [me, other, stranger]
    real = new_real_token()
    client.cookies.set(cookie_name(config.public_base_url), real)

    forged = await client.post("/ui/sessions/revoke", data={"revoke": str(other.id)})
    assert forged.status_code == 403
    wrong = await client.post(
        "/ui/sessions/revoke",
        data={"revoke": str(other.id), "csrf_token": mask_token(new_real_token())},
    )
    assert wrong.status_code == 403
    assert registry.sessions.revoked == []

    ok = await client.post(
        "/ui/sessions/revoke", data={"revoke": str(other.id), "csrf_token": mask_token(real)}
    )
    assert (ok.status_code, ok.headers["location"]) == (303, "/ui/welcome?revoked=one")
    assert registry.sessions.revoked == [other.id]
    for target in (str(stranger.id), str(me.id), "junk"):
        response = await client.post(
            "/ui/sessions/revoke", data={"revoke": target, "csrf_token": mask_token(real)}
        )
        assert response.headers["location"] == "/ui/welcome"
    assert registry.sessions.revoked == [other.id]

    all_others = await client.post(
        "/ui/sessions/revoke", data={"revoke": "others", "csrf_token": mask_token(real)}
    )
    assert all_others.headers["location"] == "/ui/welcome?revoked=others"
    assert registry.sessions.revoked_others == [(identity, me.id)]
    notice = parse((await client.get("/ui/welcome?revoked=others")).text).find(
        "div", class_="flash"
    )
    assert "All other sessions have been signed out." in notice.text


async def test_static_assets_and_theme(client: httpx.AsyncClient) -> None:
    css = await client.get("/ui/static/style.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert css.headers["x-content-type-options"] == "nosniff"
    assert len(css.content) < 12_000  # small CSS
    icon = await client.get("/ui/static/favicon.svg")
    assert icon.headers["content-type"] == "image/svg+xml"
    assert icon.text.startswith("<svg")
    theme = await client.get("/ui/theme.css")
    assert theme.text.startswith(":root{--primary:#4f46e5;")
    assert (await client.get("/ui/static/../views.py")).status_code == 404
