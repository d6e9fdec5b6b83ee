"""The ``identifier_first`` method: login asks for the identifier before the methods."""

from __future__ import annotations

__all__: list[str] = []
