"""Sandboxed Jsonnet: every configured snippet runs in a worker process with a deadline.

Use :func:`evaluate_jsonnet`; see :mod:`phalanx.jsonnet.sandbox` for what the sandbox bounds.
"""

from __future__ import annotations

from phalanx.jsonnet.sandbox import (
    DEFAULT_TIME_LIMIT,
    JsonnetError,
    JsonnetSandbox,
    JsonnetTimeout,
    default_sandbox,
    evaluate_jsonnet,
)

__all__ = [
    "DEFAULT_TIME_LIMIT",
    "JsonnetError",
    "JsonnetSandbox",
    "JsonnetTimeout",
    "default_sandbox",
    "evaluate_jsonnet",
]
