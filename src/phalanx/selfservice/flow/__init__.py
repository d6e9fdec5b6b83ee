"""What all self-service flows share."""

from __future__ import annotations

__all__: list[str] = []
