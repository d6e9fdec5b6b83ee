"""Courier messages and their delivery attempts (Kratos ``courier/message.go``).

A :class:`Message` is what flows queue and the worker delivers. Its wire form
(:meth:`Message.to_dict`) is the OpenAPI ``message`` schema: ``status``, ``type`` and
``template_type`` render as strings, ``channel`` as ``null`` when unset, and
``dispatches`` appears only when the message was loaded with its attempts (Kratos's
``omitempty`` on an eager-loaded relation: present on ``GET /admin/courier/messages/{id}``,
absent on the list).

``body`` is the plaintext body (Kratos stores the plaintext for e-mail and the SMS text
for SMS). The HTML alternative of an e-mail is *not* stored: like Kratos, the channel
re-renders it from ``template_type`` + ``template_data`` when it sends the message.
``template_data`` is the template model as JSON (the same keys Kratos marshals, e.g.
``to``, ``recovery_code``, ``identity``); it is what the HTTP channel exposes as
``ctx.template_data`` and it is never shown on the admin API.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from phalanx.clock import isoformat, utcnow

__all__ = [
    "REDACTED_BODY",
    "Backoff",
    "Dispatch",
    "DispatchStatus",
    "Message",
    "MessageStatus",
    "MessageType",
    "TemplateType",
]

REDACTED_BODY = "<redacted-unless-dev-mode>"
"""What the admin API shows instead of ``body`` unless Kratos runs with ``--dev``."""


class MessageStatus(StrEnum):
    """``courierMessageStatus``: Kratos stores 1..4 in this order; Phalanx stores the text."""

    QUEUED = "queued"
    SENT = "sent"
    PROCESSING = "processing"
    ABANDONED = "abandoned"


class MessageType(StrEnum):
    """``courierMessageType``: the spec says ``email|phone``, Kratos marshals ``sms``."""

    EMAIL = "email"
    SMS = "sms"


class DispatchStatus(StrEnum):
    """``messageDispatch.status``."""

    FAILED = "failed"
    SUCCESS = "success"


class TemplateType(StrEnum):
    """``template_type`` values of Kratos v25.4 (``courier/template/type.go``)."""

    RECOVERY_INVALID = "recovery_invalid"
    RECOVERY_VALID = "recovery_valid"
    RECOVERY_CODE_INVALID = "recovery_code_invalid"
    RECOVERY_CODE_VALID = "recovery_code_valid"
    VERIFICATION_INVALID = "verification_invalid"
    VERIFICATION_VALID = "verification_valid"
    VERIFICATION_CODE_INVALID = "verification_code_invalid"
    VERIFICATION_CODE_VALID = "verification_code_valid"
    STUB = "stub"
    LOGIN_CODE_VALID = "login_code_valid"
    REGISTRATION_CODE_VALID = "registration_code_valid"
    #: Phalanx only: someone tried to sign up with an address that has an account
    #: (``security.account_enumeration.mitigate``); sent to the owner instead.
    REGISTRATION_CODE_INVALID = "registration_code_invalid"
    #: Phalanx only: the account's identifier was locked after failed sign-ins
    #: (``phalanx.rate_limits.lockout.notify``).
    LOCKOUT_VALID = "lockout_valid"

    @property
    def directory(self) -> str:
        """The template directory, e.g. ``recovery_code/valid`` (``stub`` -> ``test_stub``)."""
        if self is TemplateType.STUB:
            return "test_stub"
        name, _, validity = self.value.rpartition("_")
        return f"{name}/{validity}"


@dataclass(slots=True)
class Dispatch:
    """One delivery attempt (``messageDispatch``); ``error`` is herodot's error JSON."""

    id: uuid.UUID
    message_id: uuid.UUID
    status: DispatchStatus
    error: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime

    def to_dict(self) -> dict[str, Any]:
        """``messageDispatch``; ``error`` is left out when there is none (the spec types it
        as an object, so ``null`` would break clients validating it)."""
        out: dict[str, Any] = {
            "id": str(self.id),
            "message_id": str(self.message_id),
            "status": str(self.status),
        }
        if self.error is not None:
            out["error"] = self.error
        out["created_at"] = isoformat(self.created_at)
        out["updated_at"] = isoformat(self.updated_at)
        return out


@dataclass(slots=True)
class Message:
    """A queued e-mail or SMS (``courier_messages`` row)."""

    type: MessageType
    recipient: str
    subject: str
    body: str
    template_type: str
    template_data: dict[str, Any] = field(default_factory=dict)
    channel: str | None = None
    status: MessageStatus = MessageStatus.QUEUED
    send_count: int = 0
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    request_headers: dict[str, Any] | None = None
    dispatches: list[Dispatch] = field(default_factory=list)

    def to_dict(self, *, redact_body: bool = False) -> dict[str, Any]:
        """The ``message`` JSON; ``redact_body`` mirrors Kratos outside dev mode."""
        body: dict[str, Any] = {
            "id": str(self.id),
            "status": str(self.status),
            "type": str(self.type),
            "recipient": self.recipient,
            "body": REDACTED_BODY if redact_body else self.body,
            "subject": self.subject,
            "template_type": str(self.template_type),
            "channel": self.channel or None,
            "send_count": self.send_count,
            "created_at": isoformat(self.created_at),
            "updated_at": isoformat(self.updated_at),
        }
        if self.dispatches:
            body["dispatches"] = [d.to_dict() for d in self.dispatches]
        return body


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential delay before a failed message is tried again.

    Kratos retries a failed message on the very next poll (so an SMTP outage of a few
    seconds abandons mail); Phalanx waits ``base * 2**(attempts-1)``, at most ``cap``,
    which keeps a down server from being hammered. ``courier.message_retries`` still
    bounds the number of attempts exactly as in Kratos.
    """

    base: timedelta = timedelta(seconds=5)
    cap: timedelta = timedelta(minutes=5)

    def delay(self, attempts: int) -> timedelta:
        """How long a message that failed ``attempts`` times waits (0 for a new one)."""
        if attempts <= 0:
            return timedelta(0)
        # Bound the exponent: the cap is reached long before 2**30.
        return min(self.base * (1 << min(attempts - 1, 30)), self.cap)
