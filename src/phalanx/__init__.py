"""Phalanx: an identity server that speaks the Ory Kratos v25.4 HTTP API.

The public surface for embedding Phalanx in a Python service (README, "Embedding
Phalanx")::

    import phalanx

    hooks = phalanx.PythonHooks()

    @hooks.after("registration")
    async def tag(event: phalanx.HookEvent) -> None: ...

    px = phalanx.Phalanx.from_config("kratos.yml", hooks=hooks)
    app = FastAPI(lifespan=px.lifespan, exception_handlers=px.exception_handlers)
    app.mount("/auth", px.public_app)

and :mod:`phalanx.testing` for tests. Every other module is private by convention.
The names are imported on first use, so ``import phalanx`` stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from phalanx.config import Config, ConfigError
    from phalanx.embed import Phalanx, RequiredAal, SessionError
    from phalanx.selfservice.hook.events import HookEvent, HookInterrupt, HookMessage
    from phalanx.selfservice.hook.python import PythonHooks

__all__ = [
    "Config",
    "ConfigError",
    "HookEvent",
    "HookInterrupt",
    "HookMessage",
    "Phalanx",
    "PythonHooks",
    "RequiredAal",
    "SessionError",
    "__version__",
]

__version__ = "0.1.0"

_LAZY = {
    "Config": "phalanx.config",
    "ConfigError": "phalanx.config",
    "HookEvent": "phalanx.selfservice.hook.events",
    "HookInterrupt": "phalanx.selfservice.hook.events",
    "HookMessage": "phalanx.selfservice.hook.events",
    "Phalanx": "phalanx.embed",
    "PythonHooks": "phalanx.selfservice.hook.python",
    "RequiredAal": "phalanx.embed",
    "SessionError": "phalanx.embed",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'phalanx' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(__all__)
