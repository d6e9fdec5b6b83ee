"""The steps every flow service takes the same way: a new flow, its CSRF token, finding a
flow by id, the 410 for fetching an expired one, picking the submitted method.

Kratos spreads these over ``flow.NewFlow``-style constructors, ``x.ParseUUID``,
``flow.GetFlowID`` and each flow's ``fetchFlow`` handler; the flow services
(``selfservice/flow/<flow>/service.py``) call them in Kratos's order.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping
from datetime import timedelta
from typing import Any, Protocol, TypeVar

from phalanx import text
from phalanx.clock import utcnow
from phalanx.errors import BadRequestError, GoneError, NotFoundError, endpoint_disabled
from phalanx.selfservice.flow.base import Flow, FlowType
from phalanx.selfservice.flow.csrf import mask_token, new_real_token
from phalanx.selfservice.flow.environment import FlowEnvironment
from phalanx.selfservice.flow.errors import FlowValidationError
from phalanx.selfservice.flow.handling import expired_kind_reason
from phalanx.selfservice.flow.store import FlowStore
from phalanx.selfservice.request import FlowRequest, with_query
from phalanx.ui import UiContainer

__all__ = [
    "Method",
    "blank_flow",
    "expired_fetch_error",
    "fetch_flow",
    "fetch_id",
    "flow_not_found",
    "load_submitted",
    "mint_csrf",
    "parse_flow_id",
    "pick_strategy",
]

F = TypeVar("F", bound=Flow)


class Method(Protocol):
    """A strategy as flow-generic code sees it: its method name, and whether it takes a
    submitted body (usually: ``method`` is its name)."""

    @property
    def id(self) -> str: ...

    def handles(self, body: dict[str, Any]) -> bool: ...


M = TypeVar("M", bound=Method)


# -- flow ids --------------------------------------------------------------------------------
def parse_flow_id(value: str | None) -> uuid.UUID:
    """``flow.GetFlowID``: the ``?flow=`` of a submission, or 400."""
    try:
        return uuid.UUID(value or "")
    except ValueError:
        raise BadRequestError("The flow query parameter is missing or malformed.") from None


def fetch_id(value: str | None) -> uuid.UUID | None:
    """``x.ParseUUID`` of ``?id=``: a malformed id simply matches no flow."""
    try:
        return uuid.UUID(value or "")
    except ValueError:
        return None


def flow_not_found() -> NotFoundError:
    """``sqlcon.ErrNoRows`` as Kratos answers an unknown flow id."""
    return NotFoundError(message="Unable to locate the resource")


# -- new flows -------------------------------------------------------------------------------
def blank_flow(
    flow_class: type[F],
    env: FlowEnvironment,
    flow_type: FlowType,
    request_url: str,
    lifespan: timedelta,
    **fields: Any,
) -> F:
    """A new flow without nodes: a fresh id, issued now, expiring after ``lifespan``, its
    form posting to ``/self-service/<flow>?flow=<id>``; ``fields`` are the flow's own."""
    now = utcnow()
    flow_id = uuid.uuid4()
    return flow_class(
        id=flow_id,
        type=flow_type,
        request_url=request_url,
        issued_at=now,
        expires_at=now + lifespan,
        created_at=now,
        updated_at=now,
        ui=UiContainer(action=env.action_url(flow_class.kind, flow_id), method="POST"),
        **fields,
    )


def mint_csrf(env: FlowEnvironment, req: FlowRequest, flow: Flow) -> tuple[str, str | None]:
    """The CSRF node value of a new recovery, verification or settings flow and the cookie
    to set, if the browser had none. Browser flows are bound to the browser's token; API
    flows get a random one that is never checked (Kratos's strategies add the node anyway).
    """
    if flow.is_browser:
        masked, new_cookie = env.csrf_for_new_flow(req)
        flow.csrf_token = masked
        return masked, new_cookie
    return mask_token(new_real_token()), None


def pick_strategy(
    strategies: Iterable[M],
    body: Mapping[str, Any],
    flow: Flow,
    disabled: Collection[str] = (),
) -> M:
    """The first strategy that takes the submitted ``body`` (in the matrix's order; usually
    the one whose id is ``method``), else the flow's "no strategy found" validation error
    (4010002 ...).

    Without a ``method``, a strategy that lists one of the body's fields in its
    ``implicit_fields`` takes it, as Kratos's strategies decide by themselves (an OIDC
    provider button posts only ``provider``).

    A ``method`` the configuration disables (``disabled``, from :meth:`Matrix.disabled_in`)
    answers Kratos's 404 ``This endpoint was disabled ...`` instead."""
    strategies = list(strategies)
    method = body.get("method")
    for strategy in strategies:
        if strategy.handles(dict(body)):
            return strategy
    if not method and body:
        for strategy in strategies:
            if any(body.get(name) for name in getattr(strategy, "implicit_fields", ())):
                return strategy
    if method in disabled:
        raise endpoint_disabled()
    raise FlowValidationError([text.no_strategy(str(flow.kind))])


# -- fetching --------------------------------------------------------------------------------
def expired_fetch_error(env: FlowEnvironment, flow: Flow) -> GoneError:
    """The 410 ``self_service_flow_expired`` of ``GET /self-service/<flow>/flows``: API
    flows are pointed at the API init endpoint, browsers at the browser one (keeping the
    flow's ``return_to``)."""
    kind = str(flow.kind)
    details: dict[str, Any] = {}
    if flow.is_api:
        details["api"] = env.self_service_url(f"{kind}/api")
    else:
        return_to = flow.request_return_to() or ""
        details["redirect_to"] = with_query(
            env.self_service_url(f"{kind}/browser"), return_to=return_to or None
        )
        details["return_to"] = return_to
    return GoneError(
        expired_kind_reason(flow.kind, flow.is_api),
        details=details,
        error_id="self_service_flow_expired",
    )


async def fetch_flow(
    env: FlowEnvironment, store: FlowStore[F], req: FlowRequest, flow_id: str | None
) -> F:
    """``GET /self-service/<flow>/flows?id=`` of the login and registration flows: unknown
    ids are 404, a browser flow needs the CSRF cookie it was made for, expired flows 410."""
    found = fetch_id(flow_id)
    flow = await store.get(found) if found else None
    if flow is None:
        raise flow_not_found()
    if flow.is_browser and not env.tokens_match_flow(req, flow):
        raise env.csrf_error(req)
    if flow.is_expired():
        raise expired_fetch_error(env, flow)
    return flow


async def load_submitted(store: FlowStore[F], flow_id: str | None) -> F:
    """The flow a submission names in ``?flow=`` (400 when malformed, 404 when unknown)."""
    flow = await store.get(parse_flow_id(flow_id))
    if flow is None:
        raise flow_not_found()
    return flow
