"""The console's routes under ``/admin/ui/`` (mounted by the admin app only).

Every page goes through :func:`~phalanx.console.endpoint.console_view` (login, CSRF); the
static assets are the built-in UI's (plus ``console.css``) and the theme its branding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from phalanx.console import actions, audit, courier, editing, identities, login, sessions
from phalanx.console.access import CONSOLE_PATH
from phalanx.console.endpoint import ConsoleView, console_view
from phalanx.http.state import registry_of
from phalanx.web.branding import Branding, theme_css
from phalanx.web.routes import StaticHeaders
from phalanx.web.security import static_headers
from phalanx.web.templates import STATIC_DIR

if TYPE_CHECKING:
    from phalanx.config import Config

__all__ = ["console_enabled", "console_routes", "console_routes_for"]

_ID = CONSOLE_PATH + "/identities/{id}"


def console_enabled(enabled: bool | None, *, dev: bool) -> bool:
    """``phalanx.admin_ui.enabled``; unset means on with ``--dev`` only."""
    return dev if enabled is None else enabled


def console_routes_for(config: Config, *, dev: bool) -> list[BaseRoute]:
    """The console's routes when ``phalanx.admin_ui.enabled`` (default: ``dev``), else none:
    what ``phalanx serve`` and embedding hand to ``create_admin_app(console=...)``."""
    return console_routes() if console_enabled(config.phalanx.admin_ui.enabled, dev=dev) else []


async def _index(request: Request) -> Response:
    root = request.scope.get("root_path", "")
    return RedirectResponse(f"{root}{CONSOLE_PATH}/identities", status_code=303)


async def _theme(request: Request) -> Response:
    branding = Branding.from_config(registry_of(request).config)
    return Response(theme_css(branding), media_type="text/css", headers=static_headers())


def _get(path: str, view: ConsoleView) -> Route:
    return Route(path, console_view(view), methods=["GET"])


def _post(path: str, view: ConsoleView) -> Route:
    return Route(path, console_view(view), methods=["POST"])


def console_routes() -> list[BaseRoute]:
    """The console's routes (only its assets and the index skip the login check)."""
    return [
        Route(CONSOLE_PATH, _index, methods=["GET"]),
        Route(CONSOLE_PATH + "/", _index, methods=["GET"]),
        Route(CONSOLE_PATH + "/theme.css", _theme, methods=["GET"]),
        Mount(
            CONSOLE_PATH + "/static",
            app=StaticHeaders(StaticFiles(directory=STATIC_DIR)),
            name="console-static",
        ),
        Route(
            CONSOLE_PATH + "/login", console_view(login.login_form, public=True), methods=["GET"]
        ),
        Route(
            CONSOLE_PATH + "/login", console_view(login.login_submit, public=True), methods=["POST"]
        ),
        _post(CONSOLE_PATH + "/logout", login.logout),
        _get(CONSOLE_PATH + "/identities", identities.list_identities),
        _get(CONSOLE_PATH + "/identities/new", editing.create_form),
        _post(CONSOLE_PATH + "/identities/new", editing.create_identity),
        _get(_ID, identities.show_identity),
        _get(_ID + "/edit", editing.edit_form),
        _post(_ID + "/edit", editing.update_identity),
        _get(_ID + "/delete", identities.confirm_delete),
        _post(_ID + "/delete", identities.delete_identity),
        _post(_ID + "/credentials", actions.delete_credential),
        _post(_ID + "/recovery", actions.issue_recovery),
        _get(_ID + "/sessions", sessions.identity_sessions),
        _post(_ID + "/sessions/revoke", sessions.revoke_session),
        _post(_ID + "/sessions/revoke-all", sessions.revoke_all),
        _post(_ID + "/sessions/extend", sessions.extend_session),
        _get(CONSOLE_PATH + "/courier", courier.list_messages),
        _get(CONSOLE_PATH + "/courier/{id}", courier.show_message),
        _post(CONSOLE_PATH + "/courier/{id}/retry", courier.retry_message),
        _get(CONSOLE_PATH + "/audit", audit.audit_log),
    ]
