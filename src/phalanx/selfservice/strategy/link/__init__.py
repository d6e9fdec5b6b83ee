"""The ``link`` method: one-time links sent by e-mail (recovery and verification)."""

from __future__ import annotations

__all__: list[str] = []
