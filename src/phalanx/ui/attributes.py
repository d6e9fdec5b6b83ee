"""Node attributes (``ory/kratos:ui/node/attributes.go``), serialized field for field.

Each class renders its keys in Kratos's order with Kratos's omit rules and mirrors the node
type into ``node_type``:

* input: ``name``, ``type``, ``value`` (omitted only when ``None``; ``""`` is sent),
  ``required`` (omitted when false), ``autocomplete``, ``label``, ``pattern`` (omitted when
  empty), ``disabled`` (always), ``onclick``, ``onclickTrigger``, ``onload``,
  ``onloadTrigger``, ``maxlength`` (omitted when empty/0), ``options`` (omitted when ``None``);
* text: ``text``, ``id``; img: ``src``, ``id``, ``width``, ``height``; a: ``href``,
  ``title``, ``id``; script: ``src``, ``async``, ``referrerpolicy``, ``crossorigin``,
  ``integrity``, ``type``, ``id``, ``nonce``; div: ``class`` (omitted when empty), ``id``,
  ``data`` (omitted when ``None``).

Every class has :attr:`id` (the node's name: ``name`` for inputs, ``id`` otherwise),
:attr:`value` (what ``GetValue`` returns), :meth:`set_value` and :meth:`reset` as Kratos's
``Attributes`` interface does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from phalanx.text import UiText

__all__ = [
    "AnchorAttributes",
    "Attributes",
    "DivAttributes",
    "ImageAttributes",
    "InputAttributes",
    "ScriptAttributes",
    "TextAttributes",
    "attributes_from_dict",
]


def _text(value: Any) -> UiText | None:
    return UiText.from_dict(value) if isinstance(value, Mapping) else None


class _NamedById:
    """Attributes of a node that is not an input: named by ``id``; ``reset`` keeps their
    content (Kratos resets input values only)."""

    __slots__ = ()
    identifier: str

    @property
    def id(self) -> str:
        return self.identifier

    def reset(self) -> None:
        return None


@dataclass(slots=True)
class _SourceValued(_NamedById):
    """An img or script node: its value is ``src`` (the first field)."""

    src: str

    @property
    def value(self) -> Any:
        return self.src

    def set_value(self, value: Any) -> None:
        self.src = value if isinstance(value, str) else ""


@dataclass(slots=True)
class InputAttributes:
    """``uiNodeInputAttributes``: an ``<input>``/button."""

    node_type: ClassVar[str] = "input"

    name: str
    type: str = "text"
    value: Any = None
    required: bool = False
    autocomplete: str | None = None
    label: UiText | None = None
    pattern: str = ""
    disabled: bool = False
    onclick: str = ""
    onclick_trigger: str = ""
    onload: str = ""
    onload_trigger: str = ""
    maxlength: int = 0
    options: list[Any] | None = None

    @property
    def id(self) -> str:
        return self.name

    def set_value(self, value: Any) -> None:
        self.value = value

    def reset(self) -> None:
        self.value = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type}
        if self.value is not None:
            out["value"] = self.value
        if self.required:
            out["required"] = True
        if self.autocomplete:
            out["autocomplete"] = self.autocomplete
        if self.label is not None:
            out["label"] = self.label.to_dict()
        if self.pattern:
            out["pattern"] = self.pattern
        out["disabled"] = self.disabled
        for key, attr in (
            ("onclick", self.onclick),
            ("onclickTrigger", self.onclick_trigger),
            ("onload", self.onload),
            ("onloadTrigger", self.onload_trigger),
        ):
            if attr:
                out[key] = attr
        if self.maxlength:
            out["maxlength"] = self.maxlength
        if self.options is not None:
            out["options"] = [{"value": v} for v in self.options]
        out["node_type"] = self.node_type
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> InputAttributes:
        options = data.get("options")
        return cls(
            name=str(data.get("name", "")),
            type=str(data.get("type", "text")),
            value=data.get("value"),
            required=bool(data.get("required", False)),
            autocomplete=data.get("autocomplete") or None,
            label=_text(data.get("label")),
            pattern=str(data.get("pattern") or ""),
            disabled=bool(data.get("disabled", False)),
            onclick=str(data.get("onclick") or ""),
            onclick_trigger=str(data.get("onclickTrigger") or ""),
            onload=str(data.get("onload") or ""),
            onload_trigger=str(data.get("onloadTrigger") or ""),
            maxlength=int(data.get("maxlength") or 0),
            options=[o.get("value") for o in options] if isinstance(options, list) else None,
        )


@dataclass(slots=True)
class TextAttributes(_NamedById):
    """``uiNodeTextAttributes``: a piece of text (a TOTP secret, backup codes)."""

    node_type: ClassVar[str] = "text"

    text: UiText
    identifier: str

    @property
    def value(self) -> Any:
        return self.text

    def set_value(self, value: Any) -> None:
        if isinstance(value, UiText):
            self.text = value

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text.to_dict(), "id": self.identifier, "node_type": self.node_type}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TextAttributes:
        return cls(
            text=_text(data.get("text")) or UiText(0, "", "info"),
            identifier=str(data.get("id", "")),
        )


@dataclass(slots=True)
class ImageAttributes(_SourceValued):
    """``uiNodeImageAttributes``: an image (the TOTP QR code as a data URI)."""

    node_type: ClassVar[str] = "img"

    identifier: str
    width: int = 0
    height: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "src": self.src,
            "id": self.identifier,
            "width": self.width,
            "height": self.height,
            "node_type": self.node_type,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ImageAttributes:
        return cls(
            src=str(data.get("src", "")),
            identifier=str(data.get("id", "")),
            width=int(data.get("width") or 0),
            height=int(data.get("height") or 0),
        )


@dataclass(slots=True)
class AnchorAttributes(_NamedById):
    """``uiNodeAnchorAttributes``: a link."""

    node_type: ClassVar[str] = "a"

    href: str
    title: UiText
    identifier: str

    @property
    def value(self) -> Any:
        return self.href

    def set_value(self, value: Any) -> None:
        self.href = value if isinstance(value, str) else ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "href": self.href,
            "title": self.title.to_dict(),
            "id": self.identifier,
            "node_type": self.node_type,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AnchorAttributes:
        return cls(
            href=str(data.get("href", "")),
            title=_text(data.get("title")) or UiText(0, "", "info"),
            identifier=str(data.get("id", "")),
        )


@dataclass(slots=True)
class ScriptAttributes(_SourceValued):
    """``uiNodeScriptAttributes``: a script to load (the WebAuthn helper)."""

    node_type: ClassVar[str] = "script"

    identifier: str
    integrity: str = ""
    nonce: str = ""
    async_: bool = True
    referrerpolicy: str = "no-referrer"
    crossorigin: str = "anonymous"
    type: str = "text/javascript"

    def to_dict(self) -> dict[str, Any]:
        return {
            "src": self.src,
            "async": self.async_,
            "referrerpolicy": self.referrerpolicy,
            "crossorigin": self.crossorigin,
            "integrity": self.integrity,
            "type": self.type,
            "id": self.identifier,
            "nonce": self.nonce,
            "node_type": self.node_type,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScriptAttributes:
        return cls(
            src=str(data.get("src", "")),
            identifier=str(data.get("id", "")),
            integrity=str(data.get("integrity", "")),
            nonce=str(data.get("nonce", "")),
            async_=bool(data.get("async", False)),
            referrerpolicy=str(data.get("referrerpolicy", "")),
            crossorigin=str(data.get("crossorigin", "")),
            type=str(data.get("type", "")),
        )


@dataclass(slots=True)
class DivAttributes(_NamedById):
    """``uiNodeDivisionAttributes``: a hook for an interactive widget."""

    node_type: ClassVar[str] = "div"

    identifier: str
    class_: str = ""
    data: dict[str, str] | None = field(default=None)

    @property
    def value(self) -> Any:
        return None

    def set_value(self, value: Any) -> None:
        return None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.class_:
            out["class"] = self.class_
        out["id"] = self.identifier
        if self.data is not None:
            out["data"] = dict(self.data)
        out["node_type"] = self.node_type
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DivAttributes:
        raw = data.get("data")
        return cls(
            identifier=str(data.get("id", "")),
            class_=str(data.get("class") or ""),
            data={str(k): str(v) for k, v in raw.items()} if isinstance(raw, Mapping) else None,
        )


Attributes = (
    InputAttributes
    | TextAttributes
    | ImageAttributes
    | AnchorAttributes
    | ScriptAttributes
    | DivAttributes
)
"""Any node's attributes."""

_BY_TYPE: dict[str, Any] = {
    "input": InputAttributes,
    "text": TextAttributes,
    "img": ImageAttributes,
    "a": AnchorAttributes,
    "script": ScriptAttributes,
    "div": DivAttributes,
}


def attributes_from_dict(node_type: str, data: Mapping[str, Any]) -> Attributes:
    """Attributes of a node of ``node_type`` from their wire form."""
    try:
        cls = _BY_TYPE[node_type]
    except KeyError:
        raise ValueError(f"unexpected node type: {node_type}") from None
    result: Attributes = cls.from_dict(data)
    return result
