"""``/self-service/logout*`` routes."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from phalanx.http.adapter import run_flow
from phalanx.http.state import registry_of

__all__ = ["routes"]


async def create_browser(request: Request) -> Response:
    service = registry_of(request).logout
    return await run_flow(request, service.create_browser)


async def logout(request: Request) -> Response:
    service = registry_of(request).logout
    return await run_flow(request, service.logout_browser)


async def logout_api(request: Request) -> Response:
    service = registry_of(request).logout
    return await run_flow(request, service.logout_api, with_body=True)


routes = [
    Route("/self-service/logout/browser", create_browser, methods=["GET"]),
    Route("/self-service/logout", logout, methods=["GET"]),
    Route("/self-service/logout/api", logout_api, methods=["DELETE"]),
]
