"""Admin metadata endpoints: ``/admin/health/config`` and ``/admin/metrics/prometheus``."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from phalanx.http.middleware.metrics import render_metrics
from phalanx.http.state import registry_of

if TYPE_CHECKING:
    from phalanx.config import Config

__all__ = ["config_hash", "routes"]


def config_hash(config: Config) -> str:
    """Kratos's ``/health/config`` body: ``revision`` if set, else a SHA-256 hex digest of
    the effective configuration (defaults included, keys sorted, so it is stable across
    restarts and workers of one config; it changes whenever any value does)."""
    if config.revision:
        return config.revision
    effective = config.model_dump(mode="json", by_alias=True)
    return hashlib.sha256(orjson.dumps(effective, option=orjson.OPT_SORT_KEYS)).hexdigest()


async def health_config(request: Request) -> Response:
    """``GET /admin/health/config`` (``driver/config/handler.go``), ``text/plain``."""
    body = config_hash(registry_of(request).config)
    return Response(body, headers={"Content-Type": "text/plain"})


async def metrics(request: Request) -> Response:
    """``GET /admin/metrics/prometheus``: Prometheus text exposition format 0.0.4."""
    body, content_type = render_metrics()
    return Response(body, headers={"Content-Type": content_type})


routes: list[BaseRoute] = [
    Route("/admin/health/config", health_config, methods=["GET"]),
    Route("/admin/metrics/prometheus", metrics, methods=["GET"]),
]
"""Admin-port routes (the admin app serves them with and without ``/admin``)."""
