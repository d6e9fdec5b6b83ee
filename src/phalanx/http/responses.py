"""JSON responses rendered with orjson, and the Kratos error envelope."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from phalanx.clock import isoformat
from phalanx.errors import KratosError, error_envelope
from phalanx.wire_json import dumps

__all__ = ["NO_CACHE", "JSONResponse", "dumps", "error_response", "isoformat"]

NO_CACHE = "private, no-cache, no-store, must-revalidate"


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content)


def error_response(error: KratosError, headers: dict[str, str] | None = None) -> JSONResponse:
    hdrs = {"Cache-Control": NO_CACHE}
    if error.id and (error.extra or error.code in (401, 403, 410, 422)):
        hdrs["Ory-Error-Id"] = error.id
    hdrs.update(error.response_headers())
    if headers:
        hdrs.update(headers)
    return JSONResponse(error_envelope(error), status_code=error.code, headers=hdrs)
