"""The hook points of one flow: configured ``web_hook`` hooks, then Python hooks.

Which ``web_hook`` runs where follows Kratos (contract §7.3):

* ``before`` -- at flow creation, before the flow is stored; a failure or an interrupt
  aborts the creation (error UI for browsers, the error for API clients);
* registration and settings ``after`` -- hooks with ``response.parse`` or
  ``can_interrupt`` run **pre-persist** (:meth:`FlowHooks.pre_persist`: they may change the
  identity about to be stored, or interrupt with form messages; nothing is written), the
  others **post-persist** (:meth:`FlowHooks.post_persist`);
* login, recovery and verification ``after`` -- every hook, with the identity (and the
  session for login); identity changes from a login hook are not stored (as Kratos).

A method's own hook list replaces the flow's global one (``after.<method>.hooks`` over
``after.hooks``), as for every other hook.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from phalanx.config.model_hooks import WebHook, WebHookConfig
from phalanx.errors import BadRequestError
from phalanx.selfservice.hook import configured_entries
from phalanx.selfservice.hook.events import FlowName, HookEvent, HookInterrupt, Phase
from phalanx.selfservice.hook.python import PythonHooks
from phalanx.selfservice.hook.web_hook import WebHookCaller

if TYPE_CHECKING:
    from phalanx.identity.model import Identity
    from phalanx.selfservice.request import FlowRequest
    from phalanx.session.model import Session

__all__ = ["FlowHooks"]


def _web_hooks(entries: Sequence[Any]) -> list[WebHookConfig]:
    return [e.config for e in entries if isinstance(e, WebHook)]


def _interrupts(config: WebHookConfig) -> bool:
    return config.can_interrupt or (config.response is not None and config.response.parse)


class FlowHooks:
    """Runs one flow's hook points."""

    def __init__(
        self,
        flow: FlowName,
        before: Any,
        after: Any,
        caller: WebHookCaller,
        python: PythonHooks,
        render_session: Callable[[Session], dict[str, Any]],
    ) -> None:
        self.flow = flow
        self.before_block = before
        self.after_block = after
        self.caller = caller
        self.python = python
        self.render_session = render_session

    def wants_after(self, method: str | None) -> bool:
        """Whether anything runs after ``method`` (callers skip loading data otherwise)."""
        return bool(self._after_hooks(method) or self.python.at(self.flow, "after", method))

    def _after_hooks(self, method: str | None) -> list[WebHookConfig]:
        return _web_hooks(configured_entries(self.after_block, method))

    def _event(
        self,
        phase: Phase,
        req: FlowRequest,
        flow_json: dict[str, Any],
        method: str | None,
        identity: Identity | None = None,
        session_json: dict[str, Any] | None = None,
    ) -> HookEvent:
        return HookEvent(self.flow, phase, method, req, flow_json, identity, session_json)

    async def before(self, req: FlowRequest, flow_json: Callable[[], dict[str, Any]]) -> None:
        """Before-hooks; an interrupt becomes a 400 error (the flow does not exist yet)."""
        hooks = _web_hooks(getattr(self.before_block, "hooks", None) or [])
        python = self.python.at(self.flow, "before", None)
        if not hooks and not python:
            return
        event = self._event("before", req, flow_json(), None)
        try:
            for config in hooks:
                await self.caller.call(config, event)
            for hook in python:
                await hook(event)
        except HookInterrupt as interrupt:
            texts = [m.text for m in interrupt.hook_messages]
            raise BadRequestError(
                "A hook interrupted the flow: " + "; ".join(texts),
                details={"messages": [m.ui_text().to_dict() for m in interrupt.hook_messages]},
            ) from interrupt

    async def pre_persist(
        self,
        req: FlowRequest,
        flow_json: Callable[[], dict[str, Any]],
        identity: Identity,
        method: str,
    ) -> None:
        """Registration/settings: parse/interrupt web hooks and Python after-hooks, which
        may change ``identity`` before it is stored."""
        hooks = [c for c in self._after_hooks(method) if _interrupts(c)]
        python = self.python.at(self.flow, "after", method)
        if not hooks and not python:
            return
        event = self._event("after", req, flow_json(), method, identity)
        for config in hooks:
            await self.caller.call(config, event, target=identity)
        for hook in python:
            await hook(event)

    async def post_persist(
        self,
        req: FlowRequest,
        flow_json: Callable[[], dict[str, Any]],
        identity: Identity,
        method: str,
        session: Session | None = None,
    ) -> None:
        """Registration/settings: the other web hooks, once the identity is stored."""
        hooks = [c for c in self._after_hooks(method) if not _interrupts(c)]
        if not hooks:
            return
        session_json = self.render_session(session) if session is not None else None
        event = self._event("after", req, flow_json(), method, identity, session_json)
        for config in hooks:
            await self.caller.call(config, event)

    async def after(
        self,
        req: FlowRequest,
        flow_json: Callable[[], dict[str, Any]],
        identity: Identity,
        method: str | None,
        session: Session | None = None,
        *,
        keep_changes: bool = True,
    ) -> None:
        """Login/recovery/verification: every after web hook, then Python after-hooks.
        With ``keep_changes=False`` (login) the hooks see a copy of the identity."""
        hooks = self._after_hooks(method)
        python = self.python.at(self.flow, "after", method)
        if not hooks and not python:
            return
        if not keep_changes:
            identity = copy.deepcopy(identity)
        session_json = self.render_session(session) if session is not None else None
        event = self._event("after", req, flow_json(), method, identity, session_json)
        for config in hooks:
            await self.caller.call(config, event, target=identity)
        for hook in python:
            await hook(event)
