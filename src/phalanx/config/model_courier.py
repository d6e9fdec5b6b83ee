"""``courier``: SMTP and HTTP delivery, SMS channels, templates and the worker.

Mirrors ``properties.courier`` (and ``courierTemplates``) of the Kratos v25.4 schema.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from phalanx.config.base import Duration, Email, Open, Strict, Uri
from phalanx.config.model_hooks import HttpRequestConfig

__all__ = [
    "CourierChannel",
    "CourierConfig",
    "CourierHttpConfig",
    "CourierTemplates",
    "CourierWorkerConfig",
    "EmailTemplate",
    "EmailTemplateBody",
    "InvalidTemplate",
    "SmsTemplate",
    "SmsTemplateBody",
    "SmtpConfig",
    "TemplatePair",
    "ValidOnlyTemplate",
    "ValidTemplate",
]

_SMTP_URI = re.compile(r"^smtps?://")


def _smtp_uri(value: str) -> str:
    if not _SMTP_URI.match(value):
        scheme = value.split(":", 1)[0]
        raise ValueError(
            f'invalid connection URI (expected smtp:// or smtps://, got "{scheme}:...")'
        )
    return value


class EmailTemplateBody(Strict):
    """``<template>.<valid|invalid>.email.body``: template URIs."""

    plaintext: Uri | None = None
    html: Uri | None = None


class EmailTemplate(Strict):
    """``<template>.<valid|invalid>.email``."""

    body: EmailTemplateBody | None = None
    subject: Uri | None = None


class SmsTemplateBody(Strict):
    """``<template>.valid.sms.body``."""

    plaintext: Uri | None = None


class SmsTemplate(Strict):
    """``<template>.valid.sms``."""

    body: SmsTemplateBody | None = None


class InvalidTemplate(Strict):
    """Template sent to an unknown address (``invalid``); e-mail only."""

    email: EmailTemplate


class ValidTemplate(Strict):
    """Template sent to a known address (``valid``)."""

    email: EmailTemplate
    sms: SmsTemplate | None = None


class TemplatePair(Strict):
    """``recovery``, ``recovery_code``, ``verification``, ``verification_code``."""

    invalid: InvalidTemplate | None = None
    valid: ValidTemplate | None = None


class ValidOnlyTemplate(Strict):
    """``registration_code`` and ``login_code``."""

    valid: ValidTemplate | None = None


class CourierTemplates(Strict):
    """``courier.templates``: per-message template overrides."""

    recovery: TemplatePair | None = None
    recovery_code: TemplatePair | None = None
    verification: TemplatePair | None = None
    verification_code: TemplatePair | None = None
    registration_code: ValidOnlyTemplate | None = None
    login_code: ValidOnlyTemplate | None = None


class CourierWorkerConfig(Open):
    """``courier.worker``: how many queued messages one poll takes, and how often."""

    pull_count: int = 10
    pull_wait: Duration = timedelta(seconds=1)


class CourierHttpConfig(Strict):
    """``courier.http``: e-mail delivery through an HTTP API."""

    request_config: HttpRequestConfig | None = None


class SmtpConfig(Strict):
    """``courier.smtp``."""

    connection_uri: Annotated[str, AfterValidator(_smtp_uri)] | None = None
    client_cert_path: str = ""
    client_key_path: str = ""
    from_address: Email = "no-reply@ory.kratos.sh"
    from_name: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    local_name: str = "localhost"


class CourierChannel(Strict):
    """``courier.channels[]``: the ``sms`` channel over HTTP."""

    id: Literal["sms"]
    type: Literal["http"] | None = None
    request_config: HttpRequestConfig


class CourierConfig(Strict):
    """``courier``."""

    templates: CourierTemplates = CourierTemplates()
    template_override_path: str | None = None
    message_retries: int = 5
    worker: CourierWorkerConfig = CourierWorkerConfig()
    delivery_strategy: Literal["smtp", "http"] = "smtp"
    http: CourierHttpConfig = CourierHttpConfig()
    smtp: SmtpConfig = SmtpConfig()
    channels: list[CourierChannel] = Field(default_factory=list)
