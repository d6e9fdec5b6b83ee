"""Access to the composition root from a Starlette request."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from starlette.requests import Request

if TYPE_CHECKING:
    from phalanx.registry import Registry

__all__ = ["registry_of"]


def registry_of(request: Request) -> Registry:
    return cast("Registry", request.app.state.registry)
