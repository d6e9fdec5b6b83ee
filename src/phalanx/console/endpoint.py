"""Starlette glue of the console: one wrapper every console endpoint goes through.

:func:`console_view` builds the request's :class:`Console` (registry, CSRF token, signed-in
user), sends a visitor without a console login to ``/admin/ui/login`` when
``phalanx.admin_ui.auth`` is set, and refuses a POST whose form lacks a matching CSRF
token (403 page). A POST runs as the audit actor ``admin_console``, so whatever the
services it calls record (identity, credential, session and recovery events) names the
console. Views return HTML through :meth:`Console.page` (security headers, the
CSRF cookie when new) or redirect with :meth:`Console.redirect` (303, PRG).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from phalanx.audit import acting_as
from phalanx.console.access import (
    AUTH_COOKIE,
    CONSOLE_PATH,
    CSRF_COOKIE,
    ConsoleLogin,
    Csrf,
    cookie_header,
)
from phalanx.console.pages import console_csp, render_page
from phalanx.errors import KratosError
from phalanx.http.body import read_body
from phalanx.http.state import registry_of
from phalanx.web.security import page_headers

if TYPE_CHECKING:
    from phalanx.registry import Registry

__all__ = ["Console", "ConsoleView", "console_view", "form_text"]

ConsoleView = Callable[["Console"], Awaitable[Response]]


@dataclass(slots=True)
class Console:
    """One console request: what every view needs."""

    request: Request
    registry: Registry
    csrf: Csrf
    login: ConsoleLogin
    user: str | None
    #: A POST's body as the self-service edge decodes it (size, depth and NUL limits).
    form: dict[str, Any] | None = None

    @property
    def root(self) -> str:
        """``<root_path>/admin/ui/``: the prefix of every console URL."""
        return f"{self.request.scope.get('root_path', '')}{CONSOLE_PATH}/"

    def cookie(self, name: str, value: str, *, max_age: int | None = None) -> str:
        """A ``Set-Cookie`` value for the console's path (the mount prefix included)."""
        return cookie_header(
            name, value, secure=self.secure, path=self.root.rstrip("/"), max_age=max_age
        )

    @property
    def secure(self) -> bool:
        return self.registry.config.admin_base_url.startswith("https://")

    @property
    def actor(self) -> str:
        """Who acts, for the audit log."""
        return f"admin console ({self.user})" if self.user else "admin console"

    def url(self, path: str, **query: Any) -> str:
        params = {k: v for k, v in query.items() if v not in (None, "")}
        suffix = f"?{urlencode(params)}" if params else ""
        return f"{self.root}{path}{suffix}"

    def page(self, template: str, title: str, status: int = 200, **context: Any) -> Response:
        body = render_page(
            self.registry.config,
            self.root,
            template,
            title,
            csrf_token=self.csrf.form_token(),
            user=self.user,
            auth=self.login.required,
            **context,
        )
        headers = page_headers(console_csp(self.registry.config))
        response = HTMLResponse(body, status_code=status, headers=headers)
        self._keep_csrf(response)
        return response

    def redirect(self, path: str, **query: Any) -> Response:
        response = RedirectResponse(self.url(path, **query), status_code=303)
        response.headers["Cache-Control"] = "no-store"
        self._keep_csrf(response)
        return response

    def _keep_csrf(self, response: Response) -> None:
        if self.csrf.fresh:
            response.headers.append("Set-Cookie", self.cookie(CSRF_COOKIE, self.csrf.real))

    def value(self, name: str) -> str:
        """A submitted form field as text ("" when absent)."""
        return form_text(self.form, name)


def form_text(form: Mapping[str, Any] | None, name: str) -> str:
    value = form.get(name) if form is not None else None
    return value if isinstance(value, str) else ""


def console_view(
    view: ConsoleView, *, public: bool = False
) -> Callable[[Request], Awaitable[Response]]:
    """Wrap ``view`` with the console's login and CSRF checks (``public``: the login page)."""

    async def endpoint(request: Request) -> Response:
        registry = registry_of(request)
        login = ConsoleLogin.from_config(registry.config, registry.hashing)
        user = login.user_of(request.cookies.get(AUTH_COOKIE)) if login.required else None
        console = Console(
            request=request,
            registry=registry,
            csrf=Csrf.of(request.cookies.get(CSRF_COOKIE)),
            login=login,
            user=user,
        )
        if login.required and user is None and not public:
            return console.redirect("login")
        if request.method == "POST":
            try:
                console.form = await read_body(request)
            except KratosError as error:
                return console.page(
                    "denied.html", "Request refused", status=400, reason=error.reason
                )
            if not console.csrf.accepts(console.form.get("csrf_token")):
                return console.page("denied.html", "Request refused", status=403, reason=None)
            # Changes made here are recorded in the audit log as the console's.
            with acting_as("admin_console"):
                return await view(console)
        return await view(console)

    endpoint.__name__ = view.__name__
    return endpoint
