"""Who is acting, and from where: the origin every recorded event inherits.

The HTTP layer sets the origin once per request (``http/middleware/audit_origin.py``:
``self`` on the public port, ``admin`` on the admin port); the client address and user
agent are resolved only when an event is actually recorded, so requests that record
nothing (whoami) pay for one context variable. Code outside a request (CLI, cleanup,
background work) records as ``system``. A caller acting for someone else switches the
actor for a block::

    with acting_as("admin_console"):
        await registry.identities.delete(identity_id)   # recorded with actor admin_console
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from phalanx.audit.events import Actor

__all__ = ["ORIGIN", "Origin", "acting_as", "current_origin"]

Resolver = Callable[[], tuple[str | None, str | None]]


def _nowhere() -> tuple[str | None, str | None]:
    return None, None


class Origin:
    """The actor plus a lazy ``(client_address, user_agent)``."""

    __slots__ = ("_resolve", "_resolved", "actor")

    def __init__(self, actor: Actor, resolve: Resolver = _nowhere) -> None:
        self.actor: Actor = actor
        self._resolve = resolve
        self._resolved: tuple[str | None, str | None] | None = None

    def where(self) -> tuple[str | None, str | None]:
        if self._resolved is None:
            self._resolved = self._resolve()
        return self._resolved

    def as_actor(self, actor: Actor) -> Origin:
        return Origin(actor, self.where)


_SYSTEM = Origin("system")

ORIGIN: contextvars.ContextVar[Origin] = contextvars.ContextVar("phalanx_audit_origin")


def current_origin() -> Origin:
    return ORIGIN.get(_SYSTEM)


@contextmanager
def acting_as(actor: Actor) -> Iterator[Origin]:
    """Record events of this block with ``actor`` (same client address and user agent)."""
    token = ORIGIN.set(current_origin().as_actor(actor))
    try:
        yield ORIGIN.get()
    finally:
        ORIGIN.reset(token)
