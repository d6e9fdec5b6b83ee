"""Per-flow messages chosen by flow name: "flow expired" and "no strategy found".

Kratos has one constructor per flow for these (``NewErrorValidation<Flow>FlowExpired``,
``NewErrorValidation<Flow>NoStrategyFound``); flow-generic code (the shared error handler)
picks by the flow's name with :func:`flow_expired` and :func:`no_strategy`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from phalanx.text.login import (
    login_flow_expired,
    login_no_strategy,
    recovery_no_strategy,
    registration_no_strategy,
    settings_no_strategy,
    verification_no_strategy,
)
from phalanx.text.message import UiText
from phalanx.text.recovery import recovery_flow_expired
from phalanx.text.registration import registration_flow_expired
from phalanx.text.settings import settings_flow_expired
from phalanx.text.verification import verification_flow_expired

__all__ = ["FLOW_NAMES", "flow_expired", "no_strategy"]

FLOW_NAMES = ("login", "registration", "settings", "recovery", "verification")

_EXPIRED: dict[str, Callable[..., UiText]] = {
    "login": login_flow_expired,
    "registration": registration_flow_expired,
    "settings": settings_flow_expired,
    "recovery": recovery_flow_expired,
    "verification": verification_flow_expired,
}
_NO_STRATEGY: dict[str, Callable[[], UiText]] = {
    "login": login_no_strategy,
    "registration": registration_no_strategy,
    "settings": settings_no_strategy,
    "recovery": recovery_no_strategy,
    "verification": verification_no_strategy,
}


def _lookup(table: dict[str, Callable[..., UiText]], flow: str) -> Callable[..., UiText]:
    try:
        return table[str(flow)]
    except KeyError:
        raise ValueError(
            f"unknown flow {flow!r}; expected one of {', '.join(FLOW_NAMES)}"
        ) from None


def flow_expired(flow: str, expired_at: datetime, *, now: datetime | None = None) -> UiText:
    """4010001 / 4040001 / 4050001 / 4060005 / 4070005 for ``flow``."""
    return _lookup(_EXPIRED, flow)(expired_at, now=now)


def no_strategy(flow: str) -> UiText:
    """4010002 ... 4010006: "Could not find a strategy to ..." for ``flow``."""
    return _lookup(_NO_STRATEGY, flow)()
