"""``/self-service/settings/*`` routes."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from phalanx.http.adapter import run_flow
from phalanx.http.state import registry_of
from phalanx.selfservice.flow.base import FlowType

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


routes = [
    Route("/self-service/settings/browser", create_browser, methods=["GET"]),
    Route("/self-service/settings/api", create_api, methods=["GET"]),
    Route("/self-service/settings/flows", fetch, methods=["GET"]),
    Route("/self-service/settings", submit, methods=["POST"]),
]


async def change_password(request: Request) -> Response:
    """``/.well-known/change-password`` → the settings flow (RFC 8615 change-password URL)."""
    from starlette.responses import RedirectResponse

    return RedirectResponse(str(request.url_for("settings_browser")), status_code=303)


routes[0] = Route(
    "/self-service/settings/browser", create_browser, methods=["GET"], name="settings_browser"
)
routes.append(Route("/.well-known/change-password", change_password, methods=["GET"]))
