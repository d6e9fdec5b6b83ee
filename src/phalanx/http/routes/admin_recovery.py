"""``POST /admin/recovery/code`` and ``POST /admin/recovery/link`` (Kratos
``code/strategy_recovery_admin.go``, ``link/strategy_recovery.go``)."""

from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from phalanx.clock import isoformat
from phalanx.errors import BadRequestError, KratosError, NotFoundError, endpoint_disabled
from phalanx.http.adapter import flow_request
from phalanx.http.body import read_json
from phalanx.http.responses import NO_CACHE, JSONResponse, error_response
from phalanx.http.state import registry_of
from phalanx.selfservice.flow.recovery.admin import AdminRecoveryRequest

__all__ = ["routes"]


async def _create(request: Request, method: str, lifespan: timedelta) -> Response:
    registry = registry_of(request)
    service = registry.recovery
    try:
        if method not in service.strategies:
            raise endpoint_disabled()
        body = await read_json(request, strict_media_type=False)
        params = AdminRecoveryRequest.parse(body, method=method, default_lifespan=lifespan)
        identity = (
            await registry.identity_pool.get(params.identity_id)
            if params.identity_id is not None
            else None
        )
        if identity is None:
            if method == "code":
                raise NotFoundError(
                    "could not find identity", message="Unable to locate the resource"
                )
            raise BadRequestError("The requested identity id does not exist.")
        req = await flow_request(request)
        result = await service.create_for_identity(
            req, method, identity, params.lifespan, params.flow_type
        )
    except KratosError as error:
        return error_response(error)
    payload: dict[str, object] = {"recovery_link": result.recovery_link}
    if result.recovery_code is not None:
        payload["recovery_code"] = result.recovery_code
    payload["expires_at"] = isoformat(result.expires_at)
    status = 201 if method == "code" else 200
    return JSONResponse(payload, status_code=status, headers={"Cache-Control": NO_CACHE})


async def create_code(request: Request) -> Response:
    config = registry_of(request).config
    return await _create(request, "code", config.selfservice.methods.code.config.lifespan)


async def create_link(request: Request) -> Response:
    config = registry_of(request).config
    return await _create(request, "link", config.selfservice.methods.link.config.lifespan)


routes = [
    Route("/admin/recovery/code", create_code, methods=["POST"]),
    Route("/admin/recovery/link", create_link, methods=["POST"]),
]
