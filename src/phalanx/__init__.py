"""Phalanx: an identity server that speaks the Ory Kratos v25.4 HTTP API.

Embedding Phalanx in a Python service (see README, "Python hooks")::

    hooks = phalanx.PythonHooks()

    @hooks.after("registration")
    async def tag(event: phalanx.HookEvent) -> None: ...

    registry = await phalanx.Registry.build(config, hooks=hooks)
    public, admin = phalanx.create_public_app(registry), phalanx.create_admin_app(registry)

The names are imported on first use, so ``import phalanx`` stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from phalanx.config import load_config
    from phalanx.http.admin import create_admin_app
    from phalanx.http.public import create_public_app
    from phalanx.registry import Registry
    from phalanx.selfservice.hook.events import HookEvent, HookInterrupt, HookMessage
    from phalanx.selfservice.hook.python import PythonHooks

__all__ = [
    "HookEvent",
    "HookInterrupt",
    "HookMessage",
    "PythonHooks",
    "Registry",
    "__version__",
    "create_admin_app",
    "create_public_app",
    "load_config",
]

__version__ = "0.1.0"

_LAZY = {
    "HookEvent": "phalanx.selfservice.hook.events",
    "HookInterrupt": "phalanx.selfservice.hook.events",
    "HookMessage": "phalanx.selfservice.hook.events",
    "PythonHooks": "phalanx.selfservice.hook.python",
    "Registry": "phalanx.registry",
    "create_admin_app": "phalanx.http.admin",
    "create_public_app": "phalanx.http.public",
    "load_config": "phalanx.config",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'phalanx' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
