"""Delivery channels (Kratos ``courier/channel.go``) and their errors.

A channel delivers one message; the worker picks it by ``message.channel`` (``email`` or
``sms``). Shaped like httpx's ``BaseTransport``: :class:`Channel` is the abstract base,
:class:`MockChannel` runs a handler in-process (tests, embedding). Exceptions::

    DeliveryError              delivery failed; the message is retried (then abandoned)
     └── PermanentDeliveryError  the server refused for good (SMTP 5xx); abandoned at once

:meth:`DeliveryError.to_json` is the dispatch row's ``error`` — herodot's error JSON, as
Kratos records it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import Any

from phalanx.courier.message import Message

__all__ = [
    "Channel",
    "DeliveryError",
    "MockChannel",
    "PermanentDeliveryError",
    "error_json",
]


class DeliveryError(Exception):
    """A failed delivery attempt; ``reason`` and ``message`` feed the dispatch error JSON."""

    def __init__(self, message: str, *, reason: str | None = None, code: int = 500) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.code = code

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "status": _STATUS.get(self.code, "Error")}
        if self.reason:
            body["reason"] = self.reason
        body["message"] = self.message
        return body


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help (an SMTP 5xx reply): Kratos abandons the message at once."""


_STATUS = {400: "Bad Request", 500: "Internal Server Error", 502: "Bad Gateway"}


def error_json(exc: BaseException) -> dict[str, Any]:
    """herodot's ``ToDefaultError`` for any exception: code 500 and the error text."""
    if isinstance(exc, DeliveryError):
        return exc.to_json()
    text = str(exc) or type(exc).__name__
    return {"code": 500, "status": "Internal Server Error", "message": text}


class Channel(ABC):
    """Delivers messages of one channel id (``email`` or ``sms``)."""

    id: str

    @abstractmethod
    async def send(self, message: Message) -> None:
        """Deliver ``message``; raise :class:`DeliveryError` (or any exception) on failure."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook, most channels hold nothing
        """Release resources (HTTP clients); called when the worker stops."""


class MockChannel(Channel):
    """A channel that hands each message to ``handler`` (or just records it).

    ``sent`` lists every message delivered without error, in order.
    """

    def __init__(
        self,
        id: str = "email",
        handler: Callable[[Message], Awaitable[None]] | None = None,
    ) -> None:
        self.id = id
        self.handler = handler
        self.sent: list[Message] = []

    async def send(self, message: Message) -> None:
        if self.handler is not None:
            await self.handler(message)
        self.sent.append(message)
