"""Starlette endpoints of the built-in UI (``/ui/...`` on the public app).

Each flow page takes ``?flow=<id>`` as Kratos hands it to a UI and fetches the flow
in-process with the browser's cookies, through the same service the JSON API uses
(:class:`phalanx.web.backend.UiBackend`). Without ``flow`` it redirects to the flow's init
endpoint, passing the query on (``return_to``, ``refresh``, ``aal``, ...). A flow that is
unknown, expired or malformed restarts; a CSRF mismatch shows the error page (restarting
would loop when the browser refuses cookies); settings without a (sufficient) session goes
where the error says (``redirect_browser_to``) or to login.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, cast

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from phalanx.errors import KratosError
from phalanx.http.adapter import apply_cookies, flow_request
from phalanx.http.errors import not_found
from phalanx.http.state import registry_of
from phalanx.selfservice.flow.csrf import mask_token, new_real_token, tokens_match
from phalanx.selfservice.request import Outcome
from phalanx.session.manager import CurrentSessionError
from phalanx.web.branding import Branding, theme_css
from phalanx.web.i18n import chrome, negotiate_locale
from phalanx.web.mailbox import MAILBOX_SIZE, dev_mailbox_enabled
from phalanx.web.pages import (
    base_path,
    error_page,
    flow_page,
    init_url,
    mailbox_page,
    welcome_page,
)
from phalanx.web.security import content_security_policy, page_headers, static_headers
from phalanx.web.sessions import trait_titles

if TYPE_CHECKING:
    from phalanx.config import Config
    from phalanx.selfservice.request import FlowRequest
    from phalanx.web.backend import FlowFetcher, UiBackend

__all__ = [
    "error_view",
    "flow_endpoint",
    "flow_view",
    "index",
    "mailbox",
    "revoke_session",
    "theme",
    "welcome",
]

_RESTART_STATUSES = frozenset({400, 404, 410})
_CSRF_ERROR = "security_csrf_violation"


def _backend(request: Request) -> UiBackend:
    return cast("UiBackend", registry_of(request))


def _locale(request: Request) -> str:
    return negotiate_locale(request.headers.get("accept-language"))


def _html(config: Config, body: str, status: int = 200, locale: str = "en") -> HTMLResponse:
    csp = content_security_policy(config, logo_url=config.phalanx.ui.logo_url)
    response = HTMLResponse(body, status_code=status, headers=page_headers(csp))
    response.headers["Content-Language"] = locale
    response.headers["Vary"] = "Accept-Language, Cookie"
    return response


def _redirect(location: str) -> Response:
    return RedirectResponse(
        location,
        status_code=303,
        headers={"Cache-Control": "no-store", "Referrer-Policy": "same-origin"},
    )


def _error_body(error: KratosError) -> dict[str, Any]:
    return error.to_dict()


def flow_endpoint(kind: str) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint of ``/ui/<kind>``."""

    async def endpoint(request: Request) -> Response:
        return await flow_view(request, kind)

    endpoint.__name__ = f"{kind}_page"
    return endpoint


async def flow_view(request: Request, kind: str) -> Response:
    """``/ui/<flow>?flow=<id>`` for login, registration, settings, recovery, verification."""
    backend = _backend(request)
    config = backend.config
    locale = _locale(request)
    flow_id = request.query_params.get("flow")
    if not flow_id:
        params = {k: v for k, v in request.query_params.items() if k != "flow"}
        return _redirect(init_url(config, kind, params))
    service = cast("FlowFetcher | None", getattr(backend, kind, None))
    if service is None:  # the flow is not available in this build
        error = {"code": 404, "status": "Not Found", "message": "This flow is not available."}
        return _html(config, error_page(config, error, locale=locale), 404, locale)
    req = await flow_request(request)
    try:
        outcome = await service.fetch(req, flow_id)
    except KratosError as error:
        return _fetch_failed(config, kind, error, locale)
    if outcome.location is not None and outcome.body is None:
        return _redirect(outcome.location)
    flow = outcome.body
    if not isinstance(flow, Mapping):
        return _html(config, error_page(config, None, locale=locale), 500, locale)
    logout_url = None
    if kind == "settings" or (kind == "login" and _upgrading(flow)):
        logout_url = await _logout_url(backend, req)
    body = flow_page(config, kind, flow, locale=locale, logout_url=logout_url)
    return _html(config, body, 200, locale)


def _upgrading(flow: Mapping[str, Any]) -> bool:
    return bool(flow.get("refresh")) or flow.get("requested_aal") in ("aal2", "aal3")


def _fetch_failed(config: Config, kind: str, error: KratosError, locale: str) -> Response:
    redirect = error.extra.get("redirect_browser_to")
    if isinstance(redirect, str) and redirect:
        return _redirect(redirect)
    if error.code == 401:
        return_to = init_url(config, kind)
        return _redirect(init_url(config, "login", {"return_to": return_to}))
    if error.code in _RESTART_STATUSES:
        target = error.details.get("redirect_to") if error.code == 410 else None
        return _redirect(target if isinstance(target, str) and target else init_url(config, kind))
    explanation = chrome("error.csrf", locale) if error.id == _CSRF_ERROR else None
    body = error_page(
        config,
        _error_body(error),
        locale=locale,
        explanation=explanation,
        retry_url=init_url(config, kind),
    )
    return _html(config, body, error.code, locale)


async def _logout_url(backend: UiBackend, req: FlowRequest) -> str | None:
    try:
        outcome = await backend.logout.create_browser(req)
    except KratosError:
        return None
    body = outcome.body
    url = body.get("logout_url") if isinstance(body, Mapping) else None
    return url if isinstance(url, str) else None


async def error_view(request: Request) -> Response:
    """``/ui/error?id=<uuid>``: a stored error (``GET /self-service/errors``), readable."""
    backend = _backend(request)
    config = backend.config
    locale = _locale(request)
    raw = request.query_params.get("id") or request.query_params.get("error") or ""
    stored: Mapping[str, Any] | None = None
    try:
        stored = await backend.error_store.get(uuid.UUID(raw))
    except ValueError:
        stored = None
    error = stored.get("error") if stored is not None else None
    if not isinstance(error, Mapping):
        return _html(config, error_page(config, None, locale=locale), 404, locale)
    explanation = chrome("error.csrf", locale) if error.get("id") == _CSRF_ERROR else None
    body = error_page(config, error, locale=locale, explanation=explanation)
    return _html(config, body, 200, locale)


async def welcome(request: Request) -> Response:
    """``/ui/welcome``: who am I, my sessions (with revoke buttons), sign out."""
    backend = _backend(request)
    config = backend.config
    locale = _locale(request)
    req = await flow_request(request)
    session = await backend.sessions.from_request(req)
    if session is None:
        return _redirect(init_url(config, "login"))
    renderer = backend.session_renderer
    current = renderer.session(session)
    page = await backend.session_store.list_for_identity(session.identity_id, active=True)
    others = [
        renderer.session(s, include_identity=False) for s in page.sessions if s.id != session.id
    ]
    real = req.csrf_cookie
    new_cookie = None
    if real is None:
        real = new_cookie = new_real_token()
    notice = {
        "one": chrome("welcome.revoked", locale),
        "others": chrome("welcome.revoked_others", locale),
    }.get(request.query_params.get("revoked", ""))
    identity = current.get("identity")
    schema_id = identity.get("schema_id") if isinstance(identity, Mapping) else None
    try:
        titles = trait_titles(backend.schemas.get(str(schema_id or "")).raw)
    except KratosError:  # the identity's schema is no longer configured
        titles = {}
    body = welcome_page(
        config,
        current,
        others,
        csrf_token=mask_token(real),
        revoke_url=f"{base_path(config)}ui/sessions/revoke",
        logout_url=await _logout_url(backend, req),
        locale=locale,
        notice=notice,
        trait_titles=titles,
    )
    response = _html(config, body, 200, locale)
    if new_cookie is not None:
        apply_cookies(registry_of(request), response, Outcome(set_csrf=new_cookie))
    return response


async def revoke_session(request: Request) -> Response:
    """``POST /ui/sessions/revoke`` (``revoke`` = a session id or ``others``), CSRF-checked."""
    backend = _backend(request)
    config = backend.config
    locale = _locale(request)
    req = await flow_request(request)
    async with request.form(max_files=0, max_fields=8) as form:
        sent = form.get("csrf_token")
        target = form.get("revoke")
    if not isinstance(sent, str) or not tokens_match(req.csrf_cookie, sent):
        error = {"code": 403, "status": "Forbidden", "id": _CSRF_ERROR}
        body = error_page(
            config,
            error,
            locale=locale,
            explanation=chrome("error.csrf", locale),
            retry_url=f"{base_path(config)}ui/welcome",
        )
        return _html(config, body, 403, locale)
    session = await backend.sessions.from_request(req)
    if session is None:
        return _redirect(init_url(config, "login"))
    welcome_url = f"{base_path(config)}ui/welcome"
    if target == "others":
        await backend.sessions.revoke_others(session.identity_id, session.id)
        return _redirect(f"{welcome_url}?revoked=others")
    try:
        target_id = uuid.UUID(str(target))
    except ValueError:
        return _redirect(welcome_url)
    try:
        if await backend.sessions.revoke_own(session, target_id):
            return _redirect(f"{welcome_url}?revoked=one")
    except CurrentSessionError:
        pass
    return _redirect(welcome_url)


async def mailbox(request: Request) -> Response:
    """``/ui/mailbox``: the development mailbox; 404 unless ``--dev`` without SMTP."""
    backend = _backend(request)
    config = backend.config
    if not dev_mailbox_enabled(config, dev=backend.dev):
        return await not_found(request)
    locale = _locale(request)
    page = await backend.courier_store.list_messages(page_size=MAILBOX_SIZE)
    response = _html(config, mailbox_page(config, page.messages, locale=locale), 200, locale)
    response.headers["Cache-Control"] = "no-store"
    return response


async def index(request: Request) -> Response:
    """``/ui`` and ``/ui/`` → the welcome page."""
    return _redirect(f"{base_path(_backend(request).config)}ui/welcome")


async def theme(request: Request) -> Response:
    """``/ui/theme.css``: the primary colour as CSS custom properties."""
    branding = Branding.from_config(_backend(request).config)
    return Response(theme_css(branding), media_type="text/css", headers=static_headers())
