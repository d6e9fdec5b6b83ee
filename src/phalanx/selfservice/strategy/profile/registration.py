"""The ``profile`` method in the registration flow (Kratos ``profile/registration.go``).

It renders the traits form in both registration styles. With
``selfservice.flows.registration.style: profile_first`` (Kratos's default) it also runs
the first step: ``{method: profile, traits}`` validates the traits and moves on to the
credential screen (traits hidden, every method's button, a ``screen=previous`` "Back");
``screen: previous`` goes back to the traits, ``screen: credential-selection`` (the code
screen's "Back") to the credential screen. With ``unified`` it never takes a submission.
"""

from __future__ import annotations

from typing import Any, ClassVar

from phalanx import text
from phalanx.selfservice.flow.errors import FlowValidationError
from phalanx.selfservice.flow.registration.flow import RegistrationFlow
from phalanx.selfservice.flow.registration.strategy import (
    NextScreen,
    RegistrationOutcome,
    RegistrationStrategy,
    first_value,
)
from phalanx.selfservice.request import FlowRequest
from phalanx.selfservice.traits import TraitForms
from phalanx.ui import InputType, NodeGroup, UiNode, input_node
from phalanx.ui.attributes import InputAttributes

__all__ = ["ProfileRegistration", "back_to_credentials", "back_to_profile"]

CREDENTIAL_SELECTION = "credential-selection"
PREVIOUS = "previous"


def back_to_profile() -> UiNode:
    """The credential screen's "Back" (``screen=previous``)."""
    return input_node(
        "screen",
        InputType.SUBMIT,
        group=NodeGroup.PROFILE,
        value=PREVIOUS,
        label=text.registration_back(),
    )


def back_to_credentials() -> UiNode:
    """The code screen's "Back" (``screen=credential-selection``)."""
    return input_node(
        "screen",
        InputType.SUBMIT,
        group=NodeGroup.PROFILE,
        value=CREDENTIAL_SELECTION,
        label=text.registration_back(),
    )


def _submit_profile() -> UiNode:
    return input_node(
        "method",
        InputType.SUBMIT,
        group=NodeGroup.PROFILE,
        value="profile",
        label=text.registration(),
    )


class ProfileRegistration(RegistrationStrategy):
    """The ``profile`` method's registration cell."""

    id: ClassVar[str] = "profile"

    def __init__(self, forms: TraitForms, *, two_step: bool) -> None:
        self.forms = forms
        self.two_step = two_step

    def handles(self, body: dict[str, Any]) -> bool:
        if not self.two_step:
            return False
        method = first_value(body.get("method"))
        return method in ("profile", "profile:back") or bool(first_value(body.get("screen")))

    # -- forms ----------------------------------------------------------------------------
    def populate(self, flow: RegistrationFlow) -> None:
        for node in self.forms.trait_nodes(group=NodeGroup.DEFAULT):
            flow.ui.upsert(node)

    def populate_profile(self, flow: RegistrationFlow, traits: Any) -> None:
        flow.ui.remove_matching(back_to_profile())
        for node in self.forms.trait_nodes(group=NodeGroup.DEFAULT):
            flow.ui.upsert(node)
        if traits:
            flow.ui.update_values(traits, prefix="traits", group=NodeGroup.DEFAULT)
        flow.ui.append(_submit_profile())

    def populate_credentials(self, flow: RegistrationFlow, traits: Any) -> None:
        flow.ui.append(back_to_profile())
        flow.ui.remove_matching(_submit_profile())
        for node in flow.ui.nodes:
            if node.group != NodeGroup.DEFAULT or not isinstance(node.attributes, InputAttributes):
                continue
            node.attributes.type = InputType.HIDDEN
        flow.ui.add_message(text.registration_choose_credentials())

    # -- submit ----------------------------------------------------------------------------
    def check_payload(self, flow: RegistrationFlow, body: dict[str, Any]) -> None:
        traits = body.get("traits")
        if isinstance(traits, dict):
            flow.ui.update_values(traits, prefix="traits", group=NodeGroup.DEFAULT)

    async def register(
        self, req: FlowRequest, flow: RegistrationFlow, body: dict[str, Any]
    ) -> RegistrationOutcome:
        traits = self.forms.submitted_traits(req, body)
        screen = first_value(body.get("screen"))
        method = first_value(body.get("method"))
        if screen == PREVIOUS or (not screen and method == "profile:back"):
            return NextScreen("profile", traits)
        # "Continue" on the profile screen, or the code screen's "Back".
        errors = list(self.forms.trait_errors(traits if traits is not None else {}))
        if errors:
            raise FlowValidationError(node_messages=errors)
        self.forms.new_identity(traits if isinstance(traits, dict) else {})
        return NextScreen("credentials", traits)
