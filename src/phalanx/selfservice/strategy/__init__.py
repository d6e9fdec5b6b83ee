"""One package per method, one module per flow it joins."""

from __future__ import annotations

__all__: list[str] = []
