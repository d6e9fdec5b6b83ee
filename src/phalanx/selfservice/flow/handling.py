"""How a failed submission is answered, shared by every flow (Kratos ``*/error.go``).

Order as Kratos's ``WriteFlowError``: expired → a fresh flow (410 ``use_flow_id`` or 303 to
it); validation errors and every 400 → rendered into the flow (400 JSON or 303 to the UI);
anything else → forwarded (the error envelope for API flows and JSON clients, the error UI
for browsers).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TypeVar

from phalanx import text
from phalanx.clock import isoformat, utcnow
from phalanx.errors import (
    FlowExpiredError,
    IdentityDisabledError,
    KratosError,
    LimiterUnavailableError,
    TooManyRequestsError,
)
from phalanx.selfservice.flow.base import Flow, FlowKind
from phalanx.selfservice.flow.environment import FlowEnvironment
from phalanx.selfservice.flow.errors import FlowValidationError
from phalanx.selfservice.flow.store import FlowStore
from phalanx.selfservice.request import FlowRequest, Outcome

__all__ = [
    "apply_validation",
    "expired_error",
    "expired_kind_reason",
    "expired_outcome",
    "handle_submit_error",
]

F = TypeVar("F", bound=Flow)


def expired_error(
    old: Flow, new_flow_id: str, expired_at: datetime | None = None
) -> FlowExpiredError:
    """Kratos ``NewFlowExpiredError(expires_at)`` pointing at the replacement flow
    (``expired_at``: when what expired did, default the flow's ``expires_at``)."""
    now = utcnow()
    expires_at = expired_at or old.expires_at
    since = now - expires_at
    minutes = since.total_seconds() / 60
    return FlowExpiredError(
        f"The self-service flow expired {minutes:.2f} minutes ago, initialize a new one.",
        extra={
            "expired_at": isoformat(expires_at),
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
    *,
    expired_at: datetime | None = None,
) -> Outcome:
    """Replace an expired flow by a fresh one carrying the "flow expired" message
    (``PrepareReplacementForExpiredFlow``): 410 for API flows and JSON clients, else a 303
    to the new flow's UI. ``expired_at``: a code's end of life rather than the flow's."""
    new = await recreate()
    new.ui.add_message(text.flow_expired(str(old.kind), expired_at or old.expires_at))
    await store.update(new)
    if old.is_api or req.is_json:
        raise expired_error(old, str(new.id), expired_at)
    return Outcome.redirect(env.flow_ui_url(new))


def apply_validation(flow: Flow, error: Exception) -> bool:
    """``ui.ParseError``: put the error's messages on the flow. False when the error is not
    form-renderable (then it is forwarded)."""
    if isinstance(error, FlowValidationError):
        for message in error.messages:
            flow.ui.add_message(message)
        for name, message in error.node_messages:
            flow.ui.add_node_message(name, message)
        return True
    if isinstance(error, IdentityDisabledError):
        flow.ui.add_message(text.identity_disabled())
        return True
    if isinstance(error, TooManyRequestsError):
        flow.ui.add_message(text.rate_limited(error.retry_after))
        return True
    if isinstance(error, LimiterUnavailableError):
        flow.ui.add_message(text.rate_limit_store_unavailable(error.retry_after))
        return True
    if isinstance(error, KratosError) and error.code == 400:
        # Any herodot 400 becomes the generic 4000001 carrying its reason.
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
    sort_keys: Sequence[str] | None = None,
) -> Outcome:
    """Answer a submission that raised ``error`` (Kratos ``ErrorHandler.WriteFlowError``).

    ``sort_keys`` re-sorts the nodes as the flow's handler does (login: ``[]``,
    registration: the schema's keys); None leaves the order alone.
    """
    if isinstance(error, FlowExpiredError):
        raise error
    await env.audit.login_failed(req, flow, error)
    flow.ui.reset_messages()
    if not apply_validation(flow, error):
        if not isinstance(error, KratosError):
            raise error
        if flow.is_api:
            raise error
        return await env.forward_error(req, error)
    env.refresh_csrf_node(req, flow)
    flow.ui.clear_passwords()
    if sort_keys is not None:
        flow.ui.sort(str(flow.kind), schema_keys=sort_keys)
    flow.updated_at = utcnow()
    await store.update(flow)
    if flow.is_browser and not req.is_json:
        return Outcome.redirect(env.flow_ui_url(flow))
    if isinstance(error, KratosError):
        # 429/503 from the rate limiter carry Retry-After next to the flow.
        outcome = Outcome.json(flow.to_dict(), status=error.code)
        outcome.headers.update(error.response_headers())
        return outcome
    return Outcome.json(flow.to_dict(), status=400)


def expired_kind_reason(kind: FlowKind, api: bool) -> str:
    """The reason of the 410 a flow fetch answers for an expired flow."""
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
