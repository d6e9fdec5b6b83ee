"""``/self-service/logout*`` routes."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from phalanx.errors import BadRequestError, KratosError
from phalanx.http.adapter import flow_request, respond, run_flow
from phalanx.http.body import read_json
from phalanx.http.responses import error_response
from phalanx.http.state import registry_of

__all__ = ["routes"]


async def create_browser(request: Request) -> Response:
    service = registry_of(request).logout
    return await run_flow(request, service.create_browser)


async def logout(request: Request) -> Response:
    service = registry_of(request).logout
    return await run_flow(request, service.logout_browser)


async def logout_api(request: Request) -> Response:
    """The body is decoded as JSON whatever its content type (Kratos ``HTTPJSONDecoder``)."""
    registry = registry_of(request)
    req = await flow_request(request)
    try:
        body: Any = await read_json(request, strict_media_type=False)
        if not isinstance(body, dict):
            raise BadRequestError("Unable to decode JSON payload: expected a JSON object.")
        req.body = body
        outcome = await registry.logout.logout_api(req)
    except KratosError as error:
        return error_response(error)
    return respond(registry, req, outcome)


routes = [
    Route("/self-service/logout/browser", create_browser, methods=["GET"]),
    Route("/self-service/logout", logout, methods=["GET"]),
    Route("/self-service/logout/api", logout_api, methods=["DELETE"]),
]
