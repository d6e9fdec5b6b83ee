"""The development mailbox page (``/ui/mailbox``): the last messages the courier queued.

Shown only in ``--dev`` mode with no SMTP server configured (the
:class:`~phalanx.courier.dev_mailbox.DevMailboxChannel` case); everywhere else the route
answers 404, as if it did not exist. Each message shows its recipient, subject, time and
status, the codes it carries (``template_data``'s ``*_code`` values) and the links in its
body, so a newcomer can finish sign-up and verification in the browser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from phalanx.config import Config
    from phalanx.courier.message import Message

__all__ = ["MAILBOX_SIZE", "MailView", "dev_mailbox_enabled", "mail_view"]

#: How many messages the page lists (newest first).
MAILBOX_SIZE = 20
_LINK = re.compile(r"https?://[^\s<>\"']+")


@dataclass(frozen=True, slots=True)
class MailView:
    id: str
    recipient: str
    subject: str
    created_at: str
    status: str
    codes: tuple[str, ...]
    links: tuple[str, ...]
    body: str


def dev_mailbox_enabled(config: Config, *, dev: bool) -> bool:
    """True in ``--dev`` when mail is not delivered anywhere else (no SMTP, no HTTP)."""
    courier = config.courier
    return dev and not courier.smtp.connection_uri and courier.delivery_strategy != "http"


def mail_view(message: Message) -> MailView:
    """What the page shows of one message."""
    codes = tuple(
        str(value)
        for key, value in sorted(message.template_data.items())
        if key.endswith("code") and isinstance(value, str | int) and str(value)
    )
    links = tuple(dict.fromkeys(m.rstrip(".,;)") for m in _LINK.findall(message.body)))
    return MailView(
        id=str(message.id),
        recipient=message.recipient,
        subject=message.subject,
        created_at=message.created_at.isoformat(),
        status=str(message.status),
        codes=codes,
        links=links,
        body=message.body,
    )
