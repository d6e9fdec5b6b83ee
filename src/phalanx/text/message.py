"""The uiText value object (``ory/kratos:text/message.go``).

On the wire a message is ``{"id": int, "text": str, "type": "info"|"error"|"success"}`` plus
``"context"`` when the message carries one. Kratos marshals the context from a Go map, so its
keys come out sorted and times are RFC 3339 strings; :func:`make_text` normalises a context the
same way once, at construction, so :meth:`UiText.to_dict` is plain JSON.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, cast

from phalanx import clock
from phalanx.text.gofmt import go_time_json
from phalanx.text.ids import MessageId, MessageType

__all__ = ["TextType", "UiText", "make_text", "minutes_between", "unix_seconds", "utc_now"]

TextType = Literal["info", "error", "success"]


@dataclass(frozen=True, slots=True)
class UiText:
    """One UI message: what Kratos calls ``text.Message`` and the API calls ``uiText``.

    ``context`` is ``None`` when the message has none (it is then omitted on the wire);
    treat it as read-only.
    """

    id: int
    text: str
    type: TextType
    context: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """``{"id", "text", "type"[, "context"]}`` exactly as Kratos serializes it."""
        out: dict[str, Any] = {"id": int(self.id), "text": self.text, "type": self.type}
        if self.context:
            out["context"] = self.context
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> UiText:
        """Rebuild a message from its wire form (e.g. a flow loaded from the database)."""
        kind = str(data.get("type", "info"))
        if kind not in ("info", "error", "success"):
            raise ValueError(f"unknown uiText type {kind!r}")
        context = data.get("context")
        return cls(
            id=int(data["id"]),
            text=str(data.get("text", "")),
            type=cast(TextType, kind),
            context=dict(context) if context else None,
        )

    @property
    def message_id(self) -> MessageId | None:
        """The id as :class:`MessageId`, or ``None`` for an id Kratos does not declare."""
        try:
            return MessageId(self.id)
        except ValueError:
            return None


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return go_time_json(value)
    if isinstance(value, UiText):
        return value.to_dict()
    if isinstance(value, Mapping):
        return {str(k): _json_value(v) for k, v in sorted(value.items(), key=lambda kv: kv[0])}
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return value


_TYPES: dict[MessageType, TextType] = {
    MessageType.INFO: "info",
    MessageType.ERROR: "error",
    MessageType.SUCCESS: "success",
}


def make_text(message_id: MessageId, text: str, context: Mapping[str, Any] | None = None) -> UiText:
    """Build a :class:`UiText` of ``message_id``'s type with a Go-normalised context."""
    kind = _TYPES[message_id.type]
    ctx = _json_value(context) if context else None
    return UiText(id=int(message_id), text=text, type=kind, context=ctx)


def minutes_between(later: datetime, earlier: datetime) -> str:
    """Go's ``%.2f`` of ``later.Sub(earlier).Minutes()`` (negative when ``later`` is earlier)."""
    later = later if later.tzinfo else later.replace(tzinfo=UTC)
    earlier = earlier if earlier.tzinfo else earlier.replace(tzinfo=UTC)
    return f"{(later - earlier).total_seconds() / 60:.2f}"


def unix_seconds(value: datetime) -> int:
    """``time.Time.Unix()``: whole seconds since the epoch."""
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return math.floor(value.timestamp())


def utc_now() -> datetime:
    """The current instant, used when a constructor is not handed ``now``."""
    return clock.utcnow()
