"""How a failed submission is answered, shared by every flow (Kratos ``*/error.go``).

Order as Kratos: expired → a fresh flow (410 ``use_flow_id`` or 303 to it); validation
errors and plain 400s → rendered into the flow (400 JSON or 303 to the UI); anything
else → forwarded (error envelope for JSON clients, error UI for browsers).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from phalanx import text
from phalanx.clock import isoformat, utcnow
from phalanx.errors import BadRequestError, FlowExpiredError, IdentityDisabledError, KratosError
from phalanx.selfservice.flow.base import Flow, FlowKind
from phalanx.selfservice.flow.environment import FlowEnvironment
from phalanx.selfservice.flow.errors import FlowValidationError
from phalanx.selfservice.flow.store import FlowStore
from phalanx.selfservice.request import FlowRequest, Outcome

__all__ = ["expired_outcome", "handle_submit_error"]

F = TypeVar("F", bound=Flow)


def expired_error(old: Flow, new_flow_id: str) -> FlowExpiredError:
    now = utcnow()
    since = now - old.expires_at
    minutes = since.total_seconds() / 60
    return FlowExpiredError(
        f"The self-service flow expired {minutes:.2f} minutes ago, initialize a new one.",
        extra={
            "expired_at": isoformat(old.expires_at),
            "since": int(since.total_seconds() * 1_000_000_000),
            "use_flow_id": new_flow_id,
        },
    )


async def expired_outcome(
    env: FlowEnvironment,
    req: FlowRequest,
    old: Flow,
    recreate: Callable[[], Awaitable[F]],
    store: FlowStore[F],
) -> Outcome:
    """Replace an expired flow by a fresh one carrying the "flow expired" message."""
    new = await recreate()
    new.ui.add_message(text.flow_expired(str(old.kind), old.expires_at))
    await store.update(new)
    if old.is_api or req.is_json:
        raise expired_error(old, str(new.id))
    return Outcome.redirect(env.flow_ui_url(new))


def apply_validation(flow: Flow, error: Exception, group: str) -> bool:
    """Put the error's messages on the flow. False when the error is not form-renderable."""
    if isinstance(error, FlowValidationError):
        flow.ui.reset_messages()
        for message in error.messages:
            flow.ui.add_message(message)
        for name, message in error.node_messages:
            flow.ui.add_node_message(name, message)
        return True
    if isinstance(error, IdentityDisabledError):
        flow.ui.reset_messages()
        flow.ui.add_message(text.identity_disabled())
        return True
    if isinstance(error, KratosError) and error.code == 400 and type(error) is BadRequestError:
        flow.ui.reset_messages()
        flow.ui.add_message(text.validation_generic(error.reason or error.message))
        return True
    return False


async def handle_submit_error(
    env: FlowEnvironment,
    req: FlowRequest,
    flow: F,
    error: Exception,
    store: FlowStore[F],
    *,
    group: str = "default",
    extra_body: dict[str, Any] | None = None,
) -> Outcome:
    """Answer a submission that raised ``error``."""
    if apply_validation(flow, error, group):
        flow.updated_at = utcnow()
        await store.update(flow)
        if flow.is_browser and not req.is_json:
            return Outcome.redirect(env.flow_ui_url(flow))
        body = flow.to_dict()
        if extra_body:
            body.update(extra_body)
        return Outcome.json(body, status=400)
    if isinstance(error, KratosError):
        if flow.is_api:
            raise error
        return await env.forward_error(req, error)
    raise error


def expired_kind_reason(kind: FlowKind, api: bool) -> str:
    name = str(kind)
    if api:
        return (
            f"The {name} flow has expired. Call the {name} flow init API endpoint to initialize "
            f"a new {name} flow."
        )
    return (
        f"The {name} flow has expired. Redirect the user to the {name} flow init endpoint to "
        f"initialize a new {name} flow."
    )
