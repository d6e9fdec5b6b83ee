"""The password method."""

from __future__ import annotations

__all__: list[str] = []
