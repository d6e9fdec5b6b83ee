"""The form nodes of the ``code`` and ``link`` methods in recovery and verification, and
the answer to a submission that left ``email`` empty.

Both methods show the same first screen (``email`` and a ``method`` button, in their own
node group); the ``code`` screen adds the code field, a hidden ``method`` and a button
that sends the code again. Login and registration by code use the same screen
(:func:`code_sent_nodes`, Kratos ``populateEmailSentFlow``) after their own fields.
"""

from __future__ import annotations

from phalanx import text
from phalanx.schema import is_email
from phalanx.schema.validation import FORMAT_ERROR_TEMPLATE
from phalanx.selfservice.flow.base import Flow
from phalanx.selfservice.flow.errors import FlowValidationError
from phalanx.selfservice.strategy.code.store import CODE_LENGTH
from phalanx.text.gofmt import go_quote
from phalanx.ui import Autocomplete, InputType, NodeGroup, UiNode, input_node
from phalanx.ui.attributes import InputAttributes

__all__ = [
    "code_input",
    "code_sent_nodes",
    "email_input",
    "email_invalid",
    "email_required",
    "hide",
    "method_input",
    "resend_button",
    "submit_button",
]

GROUP = NodeGroup.CODE


def email_input(value: str | None = None, *, group: str = GROUP, or_phone: bool = False) -> UiNode:
    """The ``email`` field; ``or_phone``: a text field for an e-mail address or a phone
    number (verification with SMS enabled)."""
    return input_node(
        "email",
        InputType.TEXT if or_phone else InputType.EMAIL,
        group=group,
        value=value or None,
        required=True,
        label=text.label_email_or_phone() if or_phone else text.label_email(),
    )


def code_input(label: text.UiText, *, strict: bool = True) -> UiNode:
    """The ``code`` field; recovery's has Kratos's digits pattern and length."""
    return input_node(
        "code",
        InputType.TEXT,
        group=GROUP,
        required=True,
        autocomplete=Autocomplete.ONE_TIME_CODE,
        pattern="[0-9]+" if strict else "",
        maxlength=CODE_LENGTH if strict else 0,
        label=label,
    )


def submit_button(method: str, *, group: str = GROUP) -> UiNode:
    return input_node(
        "method", InputType.SUBMIT, group=group, value=method, label=text.label_continue()
    )


def method_input(method: str) -> UiNode:
    """The code screen's hidden ``method`` (it has no ``email`` field to tell it apart)."""
    return input_node("method", InputType.HIDDEN, group=GROUP, value=method)


def resend_button(name: str, address: str) -> UiNode:
    """The code screen's "Resend code": submits ``name`` = ``address`` once more."""
    return input_node(
        name, InputType.SUBMIT, group=GROUP, value=address, label=text.label_resend_otp()
    )


def email_required(flow: Flow, field: UiNode) -> FlowValidationError:
    """``email`` was empty: ``field`` (re)placed on the flow, the error to raise for it."""
    flow.ui.upsert(field)
    return FlowValidationError(node_messages=[("email", text.validation_required("email"))])


def email_invalid(flow: Flow, field: UiNode, email: str) -> FlowValidationError | None:
    """Kratos decodes the recovery body against ``{"email": {"format": "email"}}``: a value
    that is no e-mail address is a 4000001 on the ``email`` node (nothing is sent)."""
    if is_email(email):
        return None
    flow.ui.upsert(field)
    reason = FORMAT_ERROR_TEMPLATE.format(value=go_quote(email), format=go_quote("email"))
    return FlowValidationError(node_messages=[("email", text.validation_generic(reason))])


def code_sent_nodes(
    kept: list[UiNode], code_label: text.UiText, *, resend: UiNode, back: UiNode | None = None
) -> list[UiNode]:
    """Kratos ``populateEmailSentFlow`` for login and registration: the ``kept`` fields
    (made hidden by the caller), a hidden ``method=code``, the ``code`` field, "Continue",
    ``resend`` and, for two-step registration, ``back``."""
    nodes = list(kept)
    nodes.append(input_node("method", InputType.HIDDEN, group=GROUP, value="code"))
    nodes.append(input_node("code", InputType.TEXT, group=GROUP, required=True, label=code_label))
    nodes.append(submit_button("code"))
    nodes.append(resend)
    if back is not None:
        nodes.append(back)
    return nodes


def hide(node: UiNode) -> UiNode:
    """The input ``node`` turned into a hidden one (its other attributes and label kept)."""
    if isinstance(node.attributes, InputAttributes):
        node.attributes.type = InputType.HIDDEN
    return node
