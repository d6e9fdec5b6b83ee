"""Persistence ports for flows and stored browser errors."""

from __future__ import annotations

import uuid
from typing import Any, Protocol, TypeVar

from phalanx.selfservice.flow.base import Flow

__all__ = ["ErrorStore", "FlowStore"]

F = TypeVar("F", bound=Flow)


class FlowStore(Protocol[F]):
    async def create(self, flow: F) -> None: ...

    async def get(self, flow_id: uuid.UUID) -> F | None: ...

    async def update(self, flow: F) -> None: ...


class ErrorStore(Protocol):
    """``selfservice_errors``: errors shown to browsers via ``/self-service/errors?id=``."""

    async def add(self, error: dict[str, Any]) -> uuid.UUID: ...

    async def get(self, error_id: uuid.UUID) -> dict[str, Any] | None:
        """``{"id", "error", "created_at", "updated_at"}`` or None."""
        ...
