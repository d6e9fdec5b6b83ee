"""Results a strategy hands back to its flow service, shared by every flow.

Strategies never build responses and never call back into their service: they change
the flow and return what should happen next; the service turns that into an
:class:`~phalanx.selfservice.request.Outcome`. Each flow adds its own "done" results
(``LoginResult``, ``Recovered``, ``Verified`` ...) next to its strategy ABC; the ones
here mean the same in every flow.
"""

from __future__ import annotations

from dataclasses import dataclass

from phalanx.selfservice.flow.base import FlowType
from phalanx.text import UiText

__all__ = ["ExternalRedirect", "Retry", "ShowFlow"]


@dataclass(frozen=True, slots=True)
class ShowFlow:
    """The strategy changed the flow (nodes, state, messages): store it and show it --
    JSON with ``status`` for API flows and JSON clients, a 303 to the flow's UI for a
    plain browser (Kratos: a code was sent, the next step of a multi-step form)."""

    status: int = 200
    #: JSON clients of browser flows get ``422 browser_location_change_required`` pointing
    #: at the flow's UI instead of the flow (Kratos's WebAuthn/passkey login steps)
    relocate: bool = False


@dataclass(frozen=True, slots=True)
class ExternalRedirect:
    """Send the browser to ``location`` outside Phalanx (an OIDC provider's authorization
    URL): ``422 browser_location_change_required`` for JSON clients, a 303 otherwise.
    ``continuity`` is the value of the ``ory_kratos_continuity`` cookie that binds the
    round-trip to this browser."""

    location: str
    continuity: str | None = None


@dataclass(frozen=True, slots=True)
class Retry:
    """Start over: a new flow of ``flow_type`` (default: the submitted flow's type) for the
    same method, carrying ``message`` or the reason of ``error`` (a 400), and the client
    sent to it (``redirect_by_type``: browser flows to the UI, API flows to fetch it)."""

    message: UiText | None = None
    error: Exception | None = None
    flow_type: FlowType | None = None
    redirect_by_type: bool = False
