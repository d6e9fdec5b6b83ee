"""``/self-service/verification/*`` routes (a link GET as in the recovery routes, see
:mod:`phalanx.http.routes.recovery`)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from phalanx.http.adapter import run_flow
from phalanx.http.routes.recovery import open_link
from phalanx.http.state import registry_of
from phalanx.selfservice.flow.base import FlowType

__all__ = ["routes"]


async def create_browser(request: Request) -> Response:
    service = registry_of(request).verification
    return await run_flow(request, lambda req: service.create(req, FlowType.BROWSER))


async def create_api(request: Request) -> Response:
    service = registry_of(request).verification
    return await run_flow(request, lambda req: service.create(req, FlowType.API))


async def fetch(request: Request) -> Response:
    service = registry_of(request).verification
    return await run_flow(request, lambda req: service.fetch(req, req.query.get("id")))


async def submit(request: Request) -> Response:
    service = registry_of(request).verification
    return await run_flow(
        request, lambda req: service.submit(req, req.query.get("flow")), with_body=True
    )


async def open_(request: Request) -> Response:
    service = registry_of(request).verification
    return await open_link(request, lambda req: service.open(req, req.query.get("flow")))


routes = [
    Route("/self-service/verification/browser", create_browser, methods=["GET"]),
    Route("/self-service/verification/api", create_api, methods=["GET"]),
    Route("/self-service/verification/flows", fetch, methods=["GET"]),
    Route("/self-service/verification", submit, methods=["POST"]),
    Route("/self-service/verification", open_, methods=["GET"]),
]
