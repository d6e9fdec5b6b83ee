"""Moved to :mod:`tests.support.mail`; these names stay importable from here for suites
not yet updated."""

from __future__ import annotations

from tests.support.mail import (
    PASSWORD,
    Mail,
    MailSink,
    code_of,
    confirmation_form,
    create_identity,
    csrf_of,
    flows_config,
    link_of,
    message_ids,
    node,
)

__all__ = [
    "PASSWORD",
    "Mail",
    "MailSink",
    "code_of",
    "confirmation_form",
    "create_identity",
    "csrf_of",
    "flows_config",
    "link_of",
    "message_ids",
    "node",
]
