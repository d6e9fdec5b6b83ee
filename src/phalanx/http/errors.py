"""Exception handling at the edge: every failure leaves as a Kratos error envelope."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match

from phalanx.errors import (
    BadRequestError,
    InternalServerError,
    KratosError,
    NotFoundError,
)
from phalanx.http.responses import error_response

__all__ = ["exception_handlers", "not_found"]

log = logging.getLogger("phalanx.http")


async def handle_kratos_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, KratosError)
    return error_response(exc)


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return error_response(NotFoundError())
    if exc.status_code == 405:
        headers = dict(exc.headers or {})
        allowed = _allowed_methods(request)
        if allowed:
            headers["Allow"] = allowed
        return error_response(
            KratosError(
                f"The method {request.method} is not allowed for this resource.",
                message="The requested method is not allowed",
                status_code=405,
            ),
            headers=headers,
        )
    if exc.status_code == 400:
        return error_response(BadRequestError(str(exc.detail)))
    return error_response(KratosError(str(exc.detail), status_code=exc.status_code))


def _allowed_methods(request: Request) -> str:
    """Every method some route serves on this path, sorted (Go's ``ServeMux`` ``Allow``);
    Starlette's own header names only the first route that matched the path."""
    methods: set[str] = set()
    for route in getattr(request.scope.get("router"), "routes", ()):
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods.update(getattr(route, "methods", None) or ())
    return ", ".join(sorted(methods))


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(InternalServerError())


async def not_found(request: Request) -> Response:
    return error_response(NotFoundError())


exception_handlers = {
    KratosError: handle_kratos_error,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}
