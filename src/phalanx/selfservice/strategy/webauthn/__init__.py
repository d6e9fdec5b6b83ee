"""The ``webauthn`` method (security keys): login as a second factor or passwordless,
registration when passwordless, settings (Kratos ``selfservice/strategy/webauthn``)."""

from __future__ import annotations

__all__: list[str] = []
