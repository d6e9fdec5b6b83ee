"""The HTTP edge: the only package that imports Starlette."""

from __future__ import annotations

__all__: list[str] = []
