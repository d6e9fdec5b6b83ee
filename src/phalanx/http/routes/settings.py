"""``/self-service/settings/*`` routes and ``/.well-known/change-password``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from phalanx.http.adapter import run_flow
from phalanx.http.body import expand_dotted
from phalanx.http.responses import NO_CACHE
from phalanx.http.state import registry_of
from phalanx.selfservice.flow.base import FlowType
from phalanx.selfservice.request import FlowRequest, Outcome

__all__ = ["routes"]


async def create_browser(request: Request) -> Response:
    service = registry_of(request).settings
    return await run_flow(request, lambda req: service.create(req, FlowType.BROWSER))


async def create_api(request: Request) -> Response:
    service = registry_of(request).settings
    return await run_flow(request, lambda req: service.create(req, FlowType.API))


async def fetch(request: Request) -> Response:
    service = registry_of(request).settings
    return await run_flow(request, lambda req: service.fetch(req, req.query.get("id")))


async def submit(request: Request) -> Response:
    service = registry_of(request).settings
    return await run_flow(
        request, lambda req: service.submit(req, req.query.get("flow")), with_body=True
    )


async def submit_get(request: Request) -> Response:
    """``GET /self-service/settings?flow=``: where a refresh login returns to (a change
    paused for it is applied); other query parameters are read as the body, as Kratos's
    decoder does for GET."""
    service = registry_of(request).settings

    async def step(req: FlowRequest) -> Outcome:
        req.body = expand_dotted({k: v for k, v in req.query.items() if k != "flow"})
        return await service.submit(req, req.query.get("flow"))

    return await run_flow(request, step)


async def change_password(request: Request) -> Response:
    """``/.well-known/change-password`` (W3C change-password URL): 303 to
    ``<public base URL>/self-service/settings/browser``, which starts a settings flow (or a
    login first) and sends the browser on to the settings UI.

    Kratos (after v25.4) redirects to the settings ``ui_url`` instead; starting the flow
    works for every UI, including ones that expect ``?flow=``. The URL is built from the
    configured public base URL, never from the request's Host header.
    """
    service = registry_of(request).settings
    location = service.env.self_service_url("settings/browser")
    return Response(status_code=303, headers={"Location": location, "Cache-Control": NO_CACHE})


routes = [
    Route("/self-service/settings/browser", create_browser, methods=["GET"]),
    Route("/self-service/settings/api", create_api, methods=["GET"]),
    Route("/self-service/settings/flows", fetch, methods=["GET"]),
    Route("/self-service/settings", submit, methods=["POST"]),
    Route("/self-service/settings", submit_get, methods=["GET"]),
    Route("/.well-known/change-password", change_password, methods=["GET"]),
]
