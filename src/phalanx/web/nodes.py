"""One flow UI node (Kratos ``uiNode`` JSON) → one drawable :class:`Field`.

Inputs keep type, value, ``required``, ``pattern``, ``maxlength``, ``disabled`` and
``autocomplete`` (inferred for ``identifier``, passwords and codes when the node has none);
``options`` become a ``<select>``; ``submit``/``button`` become buttons carrying the node's
``name``/``value``; ``text``, ``img``, ``a`` and ``div`` nodes are drawn; a ``script`` node
(``webauthn.js``) becomes a ``script`` field the page loads in its head, and inputs naming a
WebAuthn trigger (``onclickTrigger``/``onloadTrigger``) keep its name as ``trigger``, which
``webauthn-ui.js`` binds (no inline handlers, so the CSP stays without ``unsafe-inline``).
Labels and messages go through the message catalogue
(:func:`phalanx.web.i18n.translate_text`). Passwords are never echoed back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

from phalanx.web.i18n import translate_text

__all__ = [
    "DomIds",
    "Field",
    "FieldKind",
    "Message",
    "Option",
    "field_from_node",
    "humanize",
    "messages_of",
    "slug",
    "value_text",
]

FieldKind = Literal[
    "hidden", "input", "checkbox", "select", "submit", "button", "text", "img", "a", "div", "script"
]

_DEFAULT = "default"
_TEXT_INPUT_TYPES = frozenset(
    {"text", "password", "number", "email", "tel", "datetime-local", "date", "url"}
)
_CODE_NAMES = frozenset({"code", "totp_code", "lookup_secret"})
_MESSAGE_TYPES = frozenset({"info", "error", "success"})


@dataclass(frozen=True, slots=True)
class Message:
    """One translated uiText: ``type`` is ``info``, ``error`` or ``success``."""

    text: str
    type: str = "info"
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Option:
    value: str
    label: str
    selected: bool = False


@dataclass(slots=True)
class Field:
    """One drawable node; ``kind`` tells the template which control to draw."""

    kind: FieldKind
    dom_id: str
    group: str
    name: str = ""
    label: str = ""
    input_type: str = "text"
    value: str | None = None
    checked: bool = False
    required: bool = False
    disabled: bool = False
    autocomplete: str | None = None
    pattern: str | None = None
    maxlength: int | None = None
    inputmode: str | None = None
    options: tuple[Option, ...] = ()
    messages: tuple[Message, ...] = ()
    novalidate: bool = False
    primary: bool = False
    autofocus: bool = False
    text: str = ""
    monospace: bool = False
    items: tuple[str, ...] = ()
    src: str = ""
    href: str = ""
    width: int | None = None
    height: int | None = None
    css_class: str = ""
    data: tuple[tuple[str, str], ...] = ()
    trigger: str = ""
    integrity: str = ""

    @property
    def invalid(self) -> bool:
        return any(m.type == "error" for m in self.messages)

    @property
    def messages_id(self) -> str:
        return f"{self.dom_id}-messages"


def messages_of(raw: Any, locale: str = "en") -> list[Message]:
    """Translate a JSON list of uiTexts."""
    out: list[Message] = []
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        return out
    for item in raw:
        if not isinstance(item, Mapping):
            continue
        kind = str(item.get("type", "info"))
        ident = item.get("id")
        out.append(
            Message(
                text=translate_text(item, locale),
                type=kind if kind in _MESSAGE_TYPES else "info",
                id=ident if isinstance(ident, int) else None,
            )
        )
    return out


def value_text(value: Any) -> str | None:
    """A node value as the string a form would post back (``true``, numbers, JSON)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return json.dumps(value)
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


class DomIds:
    """Unique, stable DOM ids derived from node names."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def make(self, *parts: str) -> str:
        base = "-".join(p for p in (slug(x) for x in parts) if p) or "node"
        base = f"n-{base}"
        count = self.seen.get(base, 0)
        self.seen[base] = count + 1
        return base if count == 0 else f"{base}-{count + 1}"


def slug(text: str) -> str:
    """A DOM-id-safe form of ``text``."""
    return re.sub(r"[^a-zA-Z0-9_-]+", "-", text).strip("-").lower()


def humanize(name: str) -> str:
    """The label of a field without one: its last name segment, capitalized
    (``traits.name.first`` -> ``First``)."""
    last = name.rsplit(".", 1)[-1]
    words = last.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:] if words else name


def _label(node: Mapping[str, Any], attrs: Mapping[str, Any], locale: str) -> str:
    meta = node.get("meta")
    if isinstance(meta, Mapping) and isinstance(meta.get("label"), Mapping):
        text = translate_text(meta["label"], locale)
        if text:
            return text
    if isinstance(attrs.get("label"), Mapping):
        text = translate_text(attrs["label"], locale)
        if text:
            return text
    return ""


def _autocomplete(attrs: Mapping[str, Any], flow: str, refresh: bool) -> str | None:
    given = attrs.get("autocomplete")
    if isinstance(given, str) and given:
        return given
    name = str(attrs.get("name", ""))
    input_type = str(attrs.get("type", "text"))
    if input_type == "password":
        return "current-password" if flow == "login" or refresh else "new-password"
    if name == "identifier":
        return "username"
    if name in _CODE_NAMES:
        return "one-time-code"
    if input_type == "email":
        return "email"
    if input_type == "tel":
        return "tel"
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value > 0:
        return value
    return None


class _Common(TypedDict):
    group: str
    name: str
    disabled: bool
    messages: tuple[Message, ...]


def _input_field(
    node: Mapping[str, Any],
    attrs: Mapping[str, Any],
    ids: DomIds,
    locale: str,
    flow: str,
    refresh: bool,
) -> Field:
    group = str(node.get("group", _DEFAULT))
    name = str(attrs.get("name", ""))
    input_type = str(attrs.get("type", "text"))
    value = attrs.get("value")
    common: _Common = {
        "group": group,
        "name": name,
        "disabled": bool(attrs.get("disabled")),
        "messages": tuple(messages_of(node.get("messages"), locale)),
    }
    trigger = str(attrs.get("onclickTrigger") or attrs.get("onloadTrigger") or "")
    if input_type == "hidden":
        return Field(
            kind="hidden", dom_id=ids.make(name), value=value_text(value), trigger=trigger, **common
        )
    label = _label(node, attrs, locale)
    if input_type in ("submit", "button"):
        text_value = value_text(value)
        return Field(
            kind="submit" if input_type == "submit" else "button",
            dom_id=ids.make(name, text_value or ""),
            label=label or humanize(text_value or name),
            value=text_value,
            trigger=trigger if input_type == "button" else "",
            **common,
        )
    dom_id = ids.make(name)
    label = label or humanize(name)
    if input_type == "checkbox":
        return Field(
            kind="checkbox",
            dom_id=dom_id,
            label=label,
            value="true",
            checked=value is True or value == "true",
            required=bool(attrs.get("required")),
            **common,
        )
    options = attrs.get("options")
    if isinstance(options, Sequence) and not isinstance(options, str) and options:
        current = value_text(value)
        choices = []
        for option in options:
            if not isinstance(option, Mapping):
                continue
            option_value = value_text(option.get("value")) or ""
            option_label = option.get("label")
            shown = translate_text(option_label, locale) if option_label else option_value
            choices.append(Option(option_value, shown, option_value == current))
        return Field(
            kind="select",
            dom_id=dom_id,
            label=label,
            options=tuple(choices),
            required=bool(attrs.get("required")),
            **common,
        )
    pattern = attrs.get("pattern")
    numeric = isinstance(pattern, str) and pattern in ("[0-9]+", "^[0-9]+$", "\\d+")
    if input_type not in _TEXT_INPUT_TYPES:
        input_type = "text"
    return Field(
        kind="input",
        dom_id=dom_id,
        label=label,
        input_type=input_type,
        # Passwords are never echoed back into the page.
        value=None if input_type == "password" else value_text(value),
        required=bool(attrs.get("required")),
        autocomplete=_autocomplete(attrs, flow, refresh),
        pattern=pattern if isinstance(pattern, str) and pattern else None,
        maxlength=_int(attrs.get("maxlength")),
        inputmode="numeric" if numeric or name in _CODE_NAMES else None,
        **common,
    )


def _other_field(
    node: Mapping[str, Any], attrs: Mapping[str, Any], ids: DomIds, locale: str
) -> Field | None:
    node_type = str(node.get("type") or attrs.get("node_type") or "")
    group = str(node.get("group", _DEFAULT))
    ident = str(attrs.get("id", ""))
    messages = tuple(messages_of(node.get("messages"), locale))
    label = _label(node, attrs, locale)
    if node_type == "text":
        raw = attrs.get("text")
        context = raw.get("context") if isinstance(raw, Mapping) else None
        context = context if isinstance(context, Mapping) else {}
        secrets = context.get("secrets")
        items: tuple[str, ...] = ()
        if isinstance(secrets, Sequence) and not isinstance(secrets, str):
            items = tuple(translate_text(s, locale) for s in secrets)
        return Field(
            kind="text",
            dom_id=ids.make(ident or "text"),
            group=group,
            name=ident,
            label=label,
            text="" if items else translate_text(raw, locale),
            monospace="secret" in context or bool(items),
            items=items,
            messages=messages,
        )
    if node_type == "img":
        return Field(
            kind="img",
            dom_id=ids.make(ident or "img"),
            group=group,
            name=ident,
            label=label or humanize(ident or "image"),
            src=str(attrs.get("src", "")),
            width=_int(attrs.get("width")),
            height=_int(attrs.get("height")),
            messages=messages,
        )
    if node_type == "a":
        title = translate_text(attrs.get("title"), locale) or label or humanize(ident)
        return Field(
            kind="a",
            dom_id=ids.make(ident or "link"),
            group=group,
            name=ident,
            label=title,
            href=str(attrs.get("href", "")),
            messages=messages,
        )
    if node_type == "div":
        data = attrs.get("data")
        pairs = (
            tuple((slug(str(k)), value_text(v) or "") for k, v in data.items())
            if isinstance(data, Mapping)
            else ()
        )
        return Field(
            kind="div",
            dom_id=ids.make(ident or "div"),
            group=group,
            name=ident,
            css_class=str(attrs.get("class", "")),
            data=pairs,
            messages=messages,
        )
    if node_type == "script":
        return Field(
            kind="script",
            dom_id=ids.make(ident or "script"),
            group=group,
            name=ident,
            src=str(attrs.get("src", "")),
            integrity=str(attrs.get("integrity", "")),
            messages=messages,
        )
    # An unknown node type is skipped rather than guessed at.
    return None


def field_from_node(
    node: Mapping[str, Any], ids: DomIds, locale: str, flow: str, refresh: bool
) -> Field | None:
    """The field for ``node``, or None for nodes that are not drawn (scripts, garbage)."""
    attrs = node.get("attributes")
    if not isinstance(attrs, Mapping):
        return None
    node_type = str(node.get("type") or attrs.get("node_type") or "")
    if node_type == "input":
        return _input_field(node, attrs, ids, locale, flow, refresh)
    return _other_field(node, attrs, ids, locale)
