"""The courier: queued e-mail and SMS, templates, channels and the delivery worker.

Mirrors Kratos's ``courier`` package. Flows queue through :class:`Courier` (rendering
happens at queue time, delivery never blocks a flow); :class:`CourierWorker` (run by
``phalanx serve --watch-courier`` or ``phalanx courier watch``) delivers through the
``email`` channel (SMTP or HTTP) and the ``sms`` channel (HTTP).

Public API::

    courier = Courier(store, TemplateRenderer(config.courier))
    await courier.queue_email("a@example.org", "recovery_code_valid", {"recovery_code": "123456"})
    await run_worker(registry)          # registry.config, registry.courier_store
"""

from __future__ import annotations

from phalanx.courier.channel import (
    Channel,
    DeliveryError,
    MockChannel,
    PermanentDeliveryError,
    error_json,
)
from phalanx.courier.gotemplate import UnsupportedTemplateError
from phalanx.courier.http_channel import HTTPChannel
from phalanx.courier.message import (
    Backoff,
    Dispatch,
    DispatchStatus,
    Message,
    MessageStatus,
    MessageType,
    TemplateType,
)
from phalanx.courier.queue import Courier, InvalidRecipientError, validate_email_address
from phalanx.courier.smtp import SMTPChannel, SMTPSettings
from phalanx.courier.store import CourierStore, InvalidPageTokenError, MessagePage
from phalanx.courier.template import RenderedEmail, TemplateError, TemplateRenderer
from phalanx.courier.worker import (
    CourierWorker,
    SupportsCourier,
    build_channels,
    run_worker,
    run_worker_from_registry,
)

__all__ = [
    "Backoff",
    "Channel",
    "Courier",
    "CourierStore",
    "CourierWorker",
    "DeliveryError",
    "Dispatch",
    "DispatchStatus",
    "HTTPChannel",
    "InvalidPageTokenError",
    "InvalidRecipientError",
    "Message",
    "MessagePage",
    "MessageStatus",
    "MessageType",
    "MockChannel",
    "PermanentDeliveryError",
    "RenderedEmail",
    "SMTPChannel",
    "SMTPSettings",
    "SupportsCourier",
    "TemplateError",
    "TemplateRenderer",
    "TemplateType",
    "UnsupportedTemplateError",
    "build_channels",
    "error_json",
    "run_worker",
    "run_worker_from_registry",
    "validate_email_address",
]
