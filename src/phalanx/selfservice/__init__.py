"""Self-service flows and strategies. Nothing under this package imports Starlette."""

from __future__ import annotations

__all__: list[str] = []
