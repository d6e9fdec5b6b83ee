"""Starlette request → FlowRequest, and Outcome → Starlette response.

The only place that knows how cookies are written and how a client kind is detected.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from phalanx.clock import utcnow
from phalanx.errors import KratosError
from phalanx.http.body import read_body
from phalanx.http.cookies import SameSite, set_cookie
from phalanx.http.responses import NO_CACHE, JSONResponse, error_response
from phalanx.http.state import registry_of
from phalanx.selfservice.flow.csrf import cookie_name, new_real_token, parse_real_token
from phalanx.selfservice.request import FlowRequest, Outcome
from phalanx.session.cookie import encode_session_cookie

if TYPE_CHECKING:
    from phalanx.registry import Registry
    from phalanx.session.model import Session

__all__ = [
    "accepts_json",
    "apply_cookies",
    "clear_session_cookie",
    "client_ip",
    "flow_request",
    "is_json_request",
    "issue_session_cookie",
    "respond",
    "run_flow",
    "set_csrf_cookie",
    "set_session_cookie",
]


def _negotiate(accept: str, offers: list[str], default: str) -> str:
    """Pick the best offer for an Accept header (q-values honoured, order breaks ties)."""
    if not accept.strip():
        return default
    best: tuple[float, int, str] | None = None
    for raw in accept.split(","):
        parts = [p.strip() for p in raw.split(";")]
        media = parts[0].lower()
        q = 1.0
        for param in parts[1:]:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        if q <= 0:
            continue
        for index, offer in enumerate(offers):
            o_type = offer.partition("/")[0]
            m_type, _, m_sub = media.partition("/")
            if media == offer:
                specificity = 3
            elif m_type == o_type and m_sub == "*":
                specificity = 2
            elif media == "*/*":
                specificity = 1
            else:
                continue
            score = (q, specificity, -index)
            if best is None or score > (best[0], best[1], -offers.index(best[2])):
                best = (q, specificity, offer)
    return best[2] if best else default


def accepts_json(request: Request) -> bool:
    """Accept-only negotiation between HTML and JSON (Kratos ContentNegotiationRedirection)."""
    accept = request.headers.get("accept", "")
    return _negotiate(accept, ["text/html", "application/json"], "text/html") == "application/json"


def is_json_request(request: Request) -> bool:
    """Kratos ``x.IsJSONRequest``: Accept negotiates JSON, or Content-Type is JSON."""
    if request.headers.get("content-type", "").split(";")[0].strip() == "application/json":
        return True
    accept = request.headers.get("accept", "")
    offers = ["text/html", "text/*", "*/*", "application/json"]
    return _negotiate(accept, offers, "text/html") == "application/json"


def _request_url(request: Request) -> str:
    """The URL as the client saw it, honouring X-Forwarded-Proto/Host like Kratos."""
    url = request.url
    proto = request.headers.get("x-forwarded-proto")
    host = request.headers.get("x-forwarded-host")
    if proto or host:
        url = url.replace(scheme=proto or url.scheme, netloc=host or url.netloc)
    return str(url)


async def flow_request(request: Request, *, with_body: bool = False) -> FlowRequest:
    registry = registry_of(request)
    csrf_name = cookie_name(registry.config.public_base_url)
    req = FlowRequest(
        method=request.method,
        url=_request_url(request),
        # A repeated query parameter means its first value, as Go's ``Query().Get``.
        query={key: request.query_params.getlist(key)[0] for key in request.query_params},
        headers={k.lower(): v for k, v in request.headers.items()},
        cookies=dict(request.cookies),
        client_ip=client_ip(request),
        peer_ip=request.client.host if request.client else None,
        is_json=is_json_request(request),
        accepts_json=accepts_json(request),
        csrf_cookie=parse_real_token(request.cookies.get(csrf_name)),
    )
    if with_body:
        req.body = await read_body(request)
    return req


def client_ip(request: Request) -> str | None:
    """The client's address: the first ``X-Forwarded-For`` entry, else the peer."""
    forwarded = request.headers.get("x-forwarded-for")
    if forwarded:
        return forwarded.split(",")[0].strip()
    return request.client.host if request.client else None


def _see_other(location: str, status: int) -> Response:
    body = f'<a href="{html.escape(location)}">See Other</a>.\n' if status == 303 else ""
    return Response(
        body,
        status_code=status,
        headers={"Location": location, "Cache-Control": NO_CACHE},
        media_type="text/html; charset=utf-8",
    )


def respond(registry: Registry, req: FlowRequest, outcome: Outcome) -> Response:
    if outcome.location is not None and outcome.body is None:
        response = _see_other(outcome.location, outcome.status)
    elif outcome.body is None:
        response = Response(status_code=outcome.status, headers={"Cache-Control": NO_CACHE})
    else:
        response = JSONResponse(outcome.body, status_code=outcome.status)
        response.headers["Cache-Control"] = NO_CACHE
    for key, value in outcome.headers.items():
        response.headers[key] = value
    apply_cookies(registry, response, outcome, req)
    return response


def apply_cookies(
    registry: Registry, response: Response, outcome: Outcome, req: FlowRequest | None = None
) -> None:
    """Write the session and CSRF cookies an Outcome asks for, with Kratos's attributes."""
    if outcome.issue_session is not None and outcome.issue_session.token:
        set_session_cookie(registry, response, outcome.issue_session)
    if outcome.clear_session:
        clear_session_cookie(registry, response)
    csrf_value = new_real_token() if outcome.rotate_csrf else outcome.set_csrf
    if csrf_value:
        set_csrf_cookie(registry, response, csrf_value)
    if outcome.set_continuity is not None:
        set_continuity_cookie(registry, response, outcome.set_continuity)


def set_continuity_cookie(registry: Registry, response: Response, value: str) -> None:
    """``ory_kratos_continuity``: binds an OIDC round-trip to this browser; HttpOnly, SameSite
    Lax (the provider's redirect back is a top-level navigation), 30 minutes."""
    cookie = registry.config.session_cookie
    response.set_cookie(
        "ory_kratos_continuity",
        value,
        max_age=1800 if value else -1,
        path=cookie.path,
        domain=cookie.domain or None,
        secure=cookie.secure,
        httponly=True,
        samesite="lax",
    )


def _same_site(value: str, secure: bool) -> SameSite:
    same_site = value.lower()
    if same_site not in ("lax", "strict", "none") or (not secure and same_site == "none"):
        return "lax"
    return same_site  # type: ignore[return-value]


def set_session_cookie(registry: Registry, response: Response, session: Session) -> None:
    """``ory_kratos_session`` (Kratos ``IssueCookie``): HttpOnly, ``session.cookie.*``,
    ``Max-Age`` until the session expires unless ``session.cookie.persistent: false``."""
    issue_session_cookie(registry, response, session.token or "", session.expires_at)


def issue_session_cookie(
    registry: Registry, response: Response, token: str, expires_at: datetime
) -> None:
    """:func:`set_session_cookie` from the token and the session's expiry alone."""
    settings = registry.config.session_cookie
    value = encode_session_cookie(token, expires_at.timestamp(), registry.cookie_keys[0])
    max_age = None
    if settings.persistent:
        max_age = max(0, int((expires_at - utcnow()).total_seconds()))
    set_cookie(
        response,
        registry.session_cookie_name,
        value,
        max_age=max_age,
        path=settings.path,
        domain=settings.domain or None,
        secure=settings.secure,
        httponly=True,
        samesite=_same_site(settings.same_site, settings.secure),
    )


def clear_session_cookie(registry: Registry, response: Response) -> None:
    """Logout: the session cookie with ``Max-Age=-1``."""
    settings = registry.config.session_cookie
    set_cookie(
        response,
        registry.session_cookie_name,
        "",
        max_age=-1,
        path=settings.path,
        domain=settings.domain or None,
        secure=settings.secure,
        httponly=True,
        samesite=_same_site(settings.same_site, settings.secure),
    )


def set_csrf_cookie(registry: Registry, response: Response, real_token: str) -> None:
    """``csrf_token_<sha256(public base URL)>``: a year, HttpOnly, ``cookies.*``; SameSite
    falls back to Lax when the cookie is not secure (nosurfx ``NosurfBaseCookieHandler``)."""
    config = registry.config
    csrf = config.csrf_cookie
    set_cookie(
        response,
        cookie_name(config.public_base_url),
        real_token,
        max_age=31536000,
        path=csrf.path,
        domain=csrf.domain or None,
        secure=csrf.secure,
        httponly=True,
        samesite=_same_site(str(csrf.same_site), csrf.secure) if csrf.secure else "lax",
    )
    response.headers.append("Vary", "Cookie")


async def run_flow(
    request: Request,
    step: Callable[[FlowRequest], Awaitable[Outcome]],
    *,
    with_body: bool = False,
) -> Response:
    """Build the FlowRequest, run one flow step, render its Outcome (or error)."""
    registry = registry_of(request)
    req = await flow_request(request, with_body=with_body)
    try:
        outcome = await step(req)
    except KratosError as error:
        response: Response = error_response(error)
        return response
    return respond(registry, req, outcome)
