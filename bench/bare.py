"""The baseline of the scale benchmark: a bare Starlette app on the same server stack as
Phalanx (uvicorn, uvloop, httptools, one process), answering ``GET /health/alive`` with a
small JSON body. ``python -m bench.bare <port>``."""

from __future__ import annotations

import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

__all__ = ["app"]


async def alive(_request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


app = Starlette(routes=[Route("/health/alive", alive)])

if __name__ == "__main__":
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
    )
