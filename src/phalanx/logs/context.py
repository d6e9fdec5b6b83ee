"""What log records written during a request know about it."""

from __future__ import annotations

import contextvars

__all__ = ["REQUEST_ID"]

#: The id of the request being handled (``request_id`` on every record written meanwhile).
REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "phalanx_request_id", default=None
)
