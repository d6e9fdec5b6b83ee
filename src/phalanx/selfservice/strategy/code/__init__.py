"""The ``code`` method: one-time codes sent by e-mail (recovery and verification)."""

from __future__ import annotations

__all__: list[str] = []
