"""The ``lookup_secret`` method: backup recovery codes as a second factor."""

from __future__ import annotations

__all__: list[str] = []
