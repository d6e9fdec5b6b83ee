"""Plain ASGI middleware: callables that wrap ``send``, testable with a fake ``send``."""

from __future__ import annotations

__all__: list[str] = []
