"""UI nodes (``ory/kratos:ui/node/node.go``) and the builders strategies use.

A node is ``{"type", "group", "attributes", "messages", "meta"}``: ``type`` follows from the
attributes class, ``messages`` is ``[]`` when empty and ``meta`` always an object (``{}`` or
``{"label": uiText}``). The builders match Kratos's constructors: :func:`input_node`
(``NewInputField``), :func:`input_from_value` (``NewInputFieldFromJSON``: type guessed from the
value), :func:`csrf_node`, :func:`text_node`, :func:`image_node`, :func:`anchor_node`,
:func:`script_node` (defaults of ``NewScriptField``) and :func:`div_node`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from phalanx.text import UiText
from phalanx.ui.attributes import (
    AnchorAttributes,
    Attributes,
    DivAttributes,
    ImageAttributes,
    InputAttributes,
    ScriptAttributes,
    TextAttributes,
    attributes_from_dict,
)

__all__ = [
    "CSRF_TOKEN_NAME",
    "Autocomplete",
    "InputType",
    "NodeGroup",
    "NodeMeta",
    "NodeType",
    "UiNode",
    "anchor_node",
    "csrf_node",
    "div_node",
    "form_type_for",
    "image_node",
    "input_from_value",
    "input_node",
    "script_node",
    "text_node",
]

CSRF_TOKEN_NAME = "csrf_token"


class NodeType(StrEnum):
    """``uiNode.type``."""

    TEXT = "text"
    INPUT = "input"
    IMAGE = "img"
    ANCHOR = "a"
    SCRIPT = "script"
    DIV = "div"


class NodeGroup(StrEnum):
    """``uiNode.group``: the method a node belongs to."""

    DEFAULT = "default"
    PASSWORD = "password"
    OIDC = "oidc"
    PROFILE = "profile"
    LINK = "link"
    CODE = "code"
    TOTP = "totp"
    LOOKUP_SECRET = "lookup_secret"
    WEBAUTHN = "webauthn"
    PASSKEY = "passkey"
    IDENTIFIER_FIRST = "identifier_first"
    CAPTCHA = "captcha"
    SAML = "saml"


class InputType(StrEnum):
    """``uiNodeInputAttributes.type``."""

    TEXT = "text"
    PASSWORD = "password"
    NUMBER = "number"
    CHECKBOX = "checkbox"
    HIDDEN = "hidden"
    EMAIL = "email"
    TEL = "tel"
    SUBMIT = "submit"
    BUTTON = "button"
    DATETIME_LOCAL = "datetime-local"
    DATE = "date"
    URL = "url"


class Autocomplete(StrEnum):
    """``uiNodeInputAttributes.autocomplete``."""

    EMAIL = "email"
    TEL = "tel"
    URL = "url"
    CURRENT_PASSWORD = "current-password"
    NEW_PASSWORD = "new-password"
    ONE_TIME_CODE = "one-time-code"
    USERNAME_WEBAUTHN = "username webauthn"


@dataclass(slots=True)
class NodeMeta:
    """``uiNodeMeta``: an optional label."""

    label: UiText | None = None

    def to_dict(self) -> dict[str, Any]:
        return {} if self.label is None else {"label": self.label.to_dict()}


_TYPES: dict[type, NodeType] = {
    InputAttributes: NodeType.INPUT,
    TextAttributes: NodeType.TEXT,
    ImageAttributes: NodeType.IMAGE,
    AnchorAttributes: NodeType.ANCHOR,
    ScriptAttributes: NodeType.SCRIPT,
    DivAttributes: NodeType.DIV,
}


@dataclass(slots=True)
class UiNode:
    """One form element of a flow's ``ui``."""

    group: str
    attributes: Attributes
    messages: list[UiText] = field(default_factory=list)
    meta: NodeMeta = field(default_factory=NodeMeta)

    @property
    def type(self) -> NodeType:
        return _TYPES[type(self.attributes)]

    @property
    def id(self) -> str:
        """The node's name (``ID()``): the input name or the element id."""
        return self.attributes.id

    @property
    def value(self) -> Any:
        return self.attributes.value

    def with_label(self, label: UiText | None) -> UiNode:
        """Set ``meta.label`` (``WithMetaLabel``) and return the node."""
        self.meta.label = label
        return self

    def reset(self) -> None:
        """Clear messages and the value (``Node.Reset``)."""
        self.messages = []
        self.attributes.reset()

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": str(self.type),
            "group": str(self.group),
            "attributes": self.attributes.to_dict(),
            "messages": [m.to_dict() for m in self.messages],
            "meta": self.meta.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> UiNode:
        meta = data.get("meta") or {}
        label = meta.get("label") if isinstance(meta, Mapping) else None
        return cls(
            group=str(data.get("group", "default")),
            attributes=attributes_from_dict(str(data.get("type")), data.get("attributes") or {}),
            messages=[UiText.from_dict(m) for m in data.get("messages") or []],
            meta=NodeMeta(UiText.from_dict(label) if isinstance(label, Mapping) else None),
        )


def form_type_for(name: str, value: Any) -> str:
    """The input type Kratos guesses from a name and a value (``toFormType``)."""
    if name == CSRF_TOKEN_NAME:
        return InputType.HIDDEN
    if name == "password":
        return InputType.PASSWORD
    if isinstance(value, bool):
        return InputType.CHECKBOX
    if isinstance(value, int | float):
        return InputType.NUMBER
    return InputType.TEXT


def input_node(
    name: str,
    type: str = InputType.TEXT,
    *,
    group: str,
    value: Any = None,
    label: UiText | None = None,
    required: bool = False,
    autocomplete: str | None = None,
    disabled: bool = False,
    pattern: str = "",
    maxlength: int = 0,
    onclick: str = "",
    onclick_trigger: str = "",
    onload: str = "",
    onload_trigger: str = "",
) -> UiNode:
    """An input node (``NewInputField``); ``label`` goes to ``meta.label``.

    ``input_node("method", "submit", group="password", value="password", label=label_save())``
    """
    attributes = InputAttributes(
        name=name,
        type=str(type),
        value=value,
        required=required,
        autocomplete=str(autocomplete) if autocomplete else None,
        disabled=disabled,
        pattern=pattern,
        maxlength=maxlength,
        onclick=onclick,
        onclick_trigger=onclick_trigger,
        onload=onload,
        onload_trigger=onload_trigger,
    )
    return UiNode(group=str(group), attributes=attributes, meta=NodeMeta(label))


def input_from_value(name: str, value: Any, *, group: str) -> UiNode:
    """An input whose type follows from the value (``NewInputFieldFromJSON``)."""
    return input_node(name, form_type_for(name, value), group=group, value=value)


def csrf_node(token: str) -> UiNode:
    """The hidden, required ``csrf_token`` input of browser flows (``NewCSRFNode``)."""
    return input_node(
        CSRF_TOKEN_NAME, InputType.HIDDEN, group=NodeGroup.DEFAULT, value=token, required=True
    )


def text_node(identifier: str, text: UiText, *, group: str) -> UiNode:
    """A text node (``NewTextField``)."""
    return UiNode(group=str(group), attributes=TextAttributes(text=text, identifier=identifier))


def image_node(
    identifier: str, src: str, *, group: str, width: int = 256, height: int = 256
) -> UiNode:
    """An image node (``NewImageField``); TOTP QR codes are 256x256."""
    return UiNode(
        group=str(group),
        attributes=ImageAttributes(src=src, identifier=identifier, width=width, height=height),
    )


def anchor_node(identifier: str, href: str, *, group: str, title: UiText) -> UiNode:
    """A link node (``NewAnchorField``)."""
    return UiNode(
        group=str(group), attributes=AnchorAttributes(href=href, title=title, identifier=identifier)
    )


def script_node(
    identifier: str, src: str, *, group: str, integrity: str = "", nonce: str | None = None
) -> UiNode:
    """A script node with Kratos's defaults: async, ``no-referrer``, ``anonymous``, a nonce."""
    return UiNode(
        group=str(group),
        attributes=ScriptAttributes(
            src=src,
            identifier=identifier,
            integrity=integrity,
            nonce=nonce if nonce is not None else str(uuid.uuid4()),
        ),
    )


def div_node(
    identifier: str, *, group: str, class_: str = "", data: Mapping[str, str] | None = None
) -> UiNode:
    """A division node (``NewDivisionField``)."""
    return UiNode(
        group=str(group),
        attributes=DivAttributes(
            identifier=identifier, class_=class_, data=dict(data) if data is not None else None
        ),
    )
