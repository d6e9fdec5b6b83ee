"""Flow-level failures that are rendered into the flow rather than as error pages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from phalanx.text import UiText

if TYPE_CHECKING:
    from phalanx.selfservice.request import Outcome

__all__ = ["FlowValidationError", "StrategyCompleted", "StrategyNotResponsible"]


class FlowValidationError(Exception):
    """The submission was invalid: messages go onto the flow's UI (HTTP 400 / 303 to the UI).

    ``messages`` land in ``ui.messages``; ``node_messages`` on the named node (or in
    ``ui.messages`` when the flow has no node of that name), as Kratos's ``ParseError``.
    """

    def __init__(
        self,
        messages: Sequence[UiText] = (),
        node_messages: Sequence[tuple[str, UiText]] = (),
        *,
        keep_values: bool = True,
    ) -> None:
        self.messages = list(messages)
        self.node_messages = list(node_messages)
        self.keep_values = keep_values
        texts = [m.text for m in self.messages] + [m.text for _, m in self.node_messages]
        super().__init__("; ".join(texts) or "validation failed")


class StrategyNotResponsible(Exception):
    """A strategy was asked to handle a submission whose ``method`` is not its own."""


class StrategyCompleted(Exception):
    """The strategy answered the submission itself (a redirect to an upstream provider, a
    flow it switched to): the flow service stores the flow and returns ``outcome``."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__("completed by strategy")
        self.outcome = outcome
