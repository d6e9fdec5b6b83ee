"""The ``totp`` method: authenticator apps as a second factor (login at aal2, settings)."""

from __future__ import annotations

__all__: list[str] = []
