"""The ``passkey`` method: discoverable WebAuthn credentials as a first factor (Kratos
``selfservice/strategy/passkey``)."""

from __future__ import annotations

__all__: list[str] = []
