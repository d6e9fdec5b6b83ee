"""The :class:`Courier` facade: flows queue e-mail and SMS (Kratos ``QueueEmail``/``QueueSMS``).

Queueing renders the message at once — subject and plaintext body for e-mail, the text
for SMS — and stores it as ``queued`` with the template model as ``template_data``;
nothing is delivered here, so a flow never waits for SMTP or an SMS gateway. The worker
(:mod:`phalanx.courier.worker`) delivers later.

Usage::

    courier = Courier(store, TemplateRenderer(config.courier))
    await courier.queue_email("a@example.org", TemplateType.RECOVERY_CODE_VALID,
                              {"recovery_code": "123456", "identity": identity_json,
                               "request_url": flow.request_url, "expires_in_minutes": 15})
    await courier.queue("sms", "+15551234567", "login_code_valid", {"login_code": "123456"})

``data`` keys may be the JSON names (``recovery_code``), the Go names (``RecoveryCode``)
or snake_case; ``to`` defaults to the recipient.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from email.errors import HeaderParseError, NonASCIILocalPartDefect
from email.headerregistry import HeaderRegistry
from typing import Any

from phalanx.courier.message import Message, MessageType, TemplateType
from phalanx.courier.models import normalize
from phalanx.courier.store import CourierStore
from phalanx.courier.template import TemplateRenderer

__all__ = ["Courier", "InvalidRecipientError", "validate_email_address"]

_HEADERS = HeaderRegistry()
log = logging.getLogger("phalanx.courier")


class InvalidRecipientError(ValueError):
    """The e-mail recipient is not one RFC 5322 address (Kratos: ``mail.ParseAddress`` fails)."""


def validate_email_address(value: str) -> str:
    """Return ``value`` if it parses as exactly one RFC 5322 address, else raise.

    Accepts ``a@example.org`` and ``Name <a@example.org>`` like Go's ``mail.ParseAddress``;
    rejects lists, missing local part or domain, and header injection (CR/LF).
    """
    problem = ""
    if not value or "\r" in value or "\n" in value:
        problem = "empty or contains a line break"
    else:
        try:
            header = _HEADERS("to", value)
        except (HeaderParseError, IndexError, ValueError) as exc:
            problem = str(exc) or type(exc).__name__
        else:
            addresses = header.addresses  # type: ignore[attr-defined]
            # RFC 6532 allows UTF-8 local parts, and so do Go's net/mail and Kratos; the
            # SMTP channel delivers them with SMTPUTF8.
            defects = [d for d in header.defects if not isinstance(d, NonASCIILocalPartDefect)]
            if defects:
                problem = str(defects[0])
            elif len(addresses) != 1:
                problem = "expected exactly one address"
            elif not addresses[0].username or not addresses[0].domain:
                problem = "missing @ in addr-spec"
    if problem:
        raise InvalidRecipientError(f"mail: invalid e-mail recipient {value!r}: {problem}")
    return value


def _template_type(value: TemplateType | str) -> TemplateType:
    try:
        return TemplateType(value)
    except ValueError:
        raise ValueError(f"unknown courier template type {value!r}") from None


class Courier:
    """Queues messages; rendering happens here, delivery in the worker."""

    def __init__(self, store: CourierStore, renderer: TemplateRenderer) -> None:
        self.store = store
        self.renderer = renderer

    async def queue_email(
        self,
        recipient: str,
        template_type: TemplateType | str,
        data: Mapping[str, Any] | None = None,
    ) -> uuid.UUID:
        """Render and store an e-mail on the ``email`` channel; its id.

        A recipient that is no e-mail address never fails the caller's request: the
        message is stored ``abandoned`` with the reason in its dispatch (and logged).
        Raises ``ValueError`` for an unknown template type or field,
        :class:`~phalanx.courier.template.TemplateError` if a template fails.
        """
        try:
            validate_email_address(recipient)
        except InvalidRecipientError as exc:
            invalid: InvalidRecipientError | None = exc
        else:
            invalid = None
        kind = _template_type(template_type)
        model = normalize(MessageType.EMAIL, kind, {"to": recipient, **(data or {})})
        rendered = await self.renderer.render_email(kind, model)
        message = Message(
            type=MessageType.EMAIL,
            channel="email",
            recipient=recipient,
            subject=rendered.subject,
            body=rendered.body_plaintext,
            template_type=kind.value,
            template_data=model,
        )
        await self.store.add(message)
        if invalid is not None:
            log.warning("Abandoned an e-mail to an invalid recipient: %s", invalid)
            await self.store.mark_abandoned(
                message.id,
                {
                    "code": 400,
                    "status": "Bad Request",
                    "reason": str(invalid),
                    "message": "The e-mail recipient is not a valid address.",
                },
            )
        return message.id

    async def queue_sms(
        self,
        recipient: str,
        template_type: TemplateType | str,
        data: Mapping[str, Any] | None = None,
    ) -> uuid.UUID:
        """Render and store an SMS on the ``sms`` channel (empty subject, as Kratos)."""
        if not recipient or "\n" in recipient or "\r" in recipient:
            raise InvalidRecipientError(f"invalid SMS recipient {recipient!r}")
        kind = _template_type(template_type)
        model = normalize(MessageType.SMS, kind, {"to": recipient, **(data or {})})
        body = await self.renderer.render_sms(kind, model)
        message = Message(
            type=MessageType.SMS,
            channel="sms",
            recipient=recipient,
            subject="",
            body=body,
            template_type=kind.value,
            template_data=model,
        )
        await self.store.add(message)
        return message.id

    async def queue(
        self,
        via: str,
        recipient: str,
        template_type: TemplateType | str,
        data: Mapping[str, Any] | None = None,
    ) -> uuid.UUID:
        """Queue by address type: ``via`` is ``email`` or ``sms`` (Kratos's code sender)."""
        if via == "email":
            return await self.queue_email(recipient, template_type, data)
        if via == "sms":
            return await self.queue_sms(recipient, template_type, data)
        raise ValueError(f"Expected email or sms but got {via}")
