"""The ``phalanx`` command line, shaped like the Kratos CLI."""

from __future__ import annotations

__all__: list[str] = []
