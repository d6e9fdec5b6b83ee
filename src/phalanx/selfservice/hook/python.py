"""Python hooks: async functions registered in code at the same points as ``web_hook``.

For a Python service that embeds Phalanx (builds a :class:`~phalanx.registry.Registry` and
mounts the ASGI apps): no second web service is needed to add a rule. A hook gets a
:class:`~phalanx.selfservice.hook.events.HookEvent` and may

* raise :class:`~phalanx.selfservice.hook.events.HookInterrupt` to stop the flow with
  messages on form nodes (nothing is written);
* change ``event.identity`` (``traits``, ``metadata_public``, ``metadata_admin``) in the
  ``after`` phase of registration and settings, before the identity is stored.

Python hooks run after the configured web hooks of the same point.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from phalanx.selfservice.hook.events import FlowName, HookEvent, Phase

__all__ = ["FLOWS", "PythonHook", "PythonHooks"]

PythonHook = Callable[[HookEvent], Awaitable[None]]
FLOWS: tuple[FlowName, ...] = ("login", "registration", "settings", "recovery", "verification")


@dataclass(frozen=True, slots=True)
class _Entry:
    flow: FlowName
    phase: Phase
    method: str | None
    hook: PythonHook


@dataclass(slots=True)
class PythonHooks:
    """The registered Python hooks; pass one to ``Registry.build(config, hooks=...)``."""

    _entries: list[_Entry] = field(default_factory=list)

    def add(
        self, flow: FlowName, phase: Phase, hook: PythonHook, *, method: str | None = None
    ) -> PythonHook:
        """Register ``hook`` for ``flow``/``phase``; ``method`` limits an after-hook to one
        method (``password``, ``code``, ...)."""
        if flow not in FLOWS:
            raise ValueError(f"unknown flow {flow!r} (one of {', '.join(FLOWS)})")
        if phase not in ("before", "after"):
            raise ValueError(f"unknown phase {phase!r} (before or after)")
        if phase == "before" and method is not None:
            raise ValueError("before-hooks run before a method is chosen; drop method=")
        self._entries.append(_Entry(flow, phase, method, hook))
        return hook

    def before(self, flow: FlowName) -> Callable[[PythonHook], PythonHook]:
        """Decorator: ``@hooks.before("login")``."""
        return lambda hook: self.add(flow, "before", hook)

    def after(
        self, flow: FlowName, *, method: str | None = None
    ) -> Callable[[PythonHook], PythonHook]:
        """Decorator: ``@hooks.after("registration", method="password")``."""
        return lambda hook: self.add(flow, "after", hook, method=method)

    def at(self, flow: FlowName, phase: Phase, method: str | None) -> list[PythonHook]:
        """The hooks for one point, in registration order."""
        return [
            e.hook
            for e in self._entries
            if e.flow == flow and e.phase == phase and (e.method is None or e.method == method)
        ]
