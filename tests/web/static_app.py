"""A tiny Starlette app serving the built-in UI's templates from fake flow JSON.

No registry, no database: each ``/ui/<name>`` renders one fixture of :mod:`tests.web.flows`
through :mod:`phalanx.web.pages` with the real security headers, static files and theme,
so the browser harness can screenshot and audit the pages before the flows exist.
Run it by hand with ``python -m tests.web.static_app`` (port 4455).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from phalanx.config import Config
from phalanx.web.branding import Branding, theme_css
from phalanx.web.pages import error_page, flow_page, welcome_page
from phalanx.web.routes import StaticHeaders
from phalanx.web.security import content_security_policy, page_headers, static_headers
from phalanx.web.templates import STATIC_DIR
from tests.web import flows

__all__ = ["PAGES", "create_app"]

SESSION: dict[str, Any] = {
    "id": "5f0c1f52-6d8c-4a55-9d7b-3f6f3e0c2a10",
    "active": True,
    "expires_at": "2026-07-30T12:00:00Z",
    "authenticated_at": "2026-07-29T12:00:00Z",
    "authenticator_assurance_level": "aal1",
    "authentication_methods": [
        {"method": "password", "aal": "aal1", "completed_at": "2026-07-29T12:00:00Z"}
    ],
    "issued_at": "2026-07-29T12:00:00Z",
    "identity": {
        "id": "0b6c8a1e-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
        "schema_id": "default",
        "state": "active",
        "traits": {"email": "ada@example.org", "name": {"first": "Ada", "last": "Lovelace"}},
        "verifiable_addresses": [
            {"value": "ada@example.org", "verified": False, "via": "email", "status": "sent"}
        ],
    },
    "devices": [
        {
            "id": "9a1e0f7c-0000-4000-8000-000000000001",
            "ip_address": "192.0.2.10",
            "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0",
            "location": "",
        }
    ],
}
OTHER_SESSION: dict[str, Any] = {
    **{k: v for k, v in SESSION.items() if k != "identity"},
    "id": "6a7b8c9d-0000-4000-8000-000000000002",
    "authenticated_at": "2026-07-28T08:30:00Z",
    "devices": [
        {
            "id": "9a1e0f7c-0000-4000-8000-000000000002",
            "ip_address": "198.51.100.7",
            "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) "
            "AppleWebKit/605.1.15 Version/17.5 Mobile/15E148 Safari/604.1",
            "location": "Zurich, CH",
        }
    ],
}

Page = Callable[[Config], str]


def _without_scripts(flow: dict[str, Any]) -> dict[str, Any]:
    """The flow minus its script nodes: their fixture ``src`` points at another origin
    (``flows.PUBLIC``), which the page's CSP rightly blocks; the WebAuthn script itself is
    exercised against a real server by ``test_browser_webauthn.py``."""
    flow["ui"]["nodes"] = [n for n in flow["ui"]["nodes"] if n.get("type") != "script"]
    return flow


PAGES: dict[str, Page] = {
    "login": lambda c: flow_page(c, "login", flows.login_flow(oidc=True)),
    "login-errors": lambda c: flow_page(c, "login", flows.login_flow(errors=True)),
    "registration": lambda c: flow_page(
        c, "registration", flows.registration_flow(email_error=True)
    ),
    "settings": lambda c: flow_page(
        c,
        "settings",
        flows.settings_flow(success=True, password_error=True),
        logout_url=f"{c.public_base_url}self-service/logout?token=ory_lo_x",
    ),
    "recovery": lambda c: flow_page(c, "recovery", flows.recovery_sent_email()),
    "verification": lambda c: flow_page(c, "verification", flows.verification_passed()),
    "future": lambda c: flow_page(c, "login", _without_scripts(flows.future_method_login())),
    "error": lambda c: error_page(
        c,
        {
            "id": "security_csrf_violation",
            "code": 403,
            "status": "Forbidden",
            "reason": "Please retry the flow and optionally clear your cookies.",
            "message": "the request was rejected to protect you from Cross-Site-Request-Forgery",
        },
    ),
    "welcome": lambda c: welcome_page(
        c,
        SESSION,
        [SESSION, OTHER_SESSION],
        csrf_token=flows.CSRF,
        revoke_url="/ui/sessions/revoke",
        logout_url=f"{c.public_base_url}self-service/logout?token=ory_lo_x",
        trait_titles={"email": "E-Mail", "name.first": "First Name", "name.last": "Last Name"},
    ),
}


def demo_config(base: str) -> Config:
    from tests.web.conftest import build_config

    return build_config(public=base)


def create_app(base: str) -> Starlette:
    """The demo app for a server reachable at ``base`` (``http://127.0.0.1:<port>/``)."""
    config = demo_config(base)
    headers = page_headers(content_security_policy(config))

    def endpoint(render: Page) -> Callable[[Request], Any]:
        async def page(request: Request) -> Response:
            return HTMLResponse(render(config), headers=headers)

        return page

    async def theme(request: Request) -> Response:
        css = theme_css(Branding.from_config(config))
        return Response(css, media_type="text/css", headers=static_headers())

    routes: list[Any] = [Route(f"/ui/{name}", endpoint(render)) for name, render in PAGES.items()]
    routes += [
        Route("/ui/theme.css", theme),
        Mount("/ui/static", app=StaticHeaders(StaticFiles(directory=STATIC_DIR))),
    ]
    return Starlette(routes=routes)


if __name__ == "__main__":  # pragma: no cover - manual preview
    import uvicorn

    uvicorn.run(create_app("http://127.0.0.1:4455/"), host="127.0.0.1", port=4455)
