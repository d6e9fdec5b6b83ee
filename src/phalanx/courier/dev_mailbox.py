"""The development mailbox: where mail goes in ``--dev`` when no SMTP server is configured.

Without ``courier.smtp.connection_uri`` every e-mail would fail ("connection_uri is not
set") and a newcomer running ``phalanx serve --dev --watch-courier`` could not verify an
address without reading the admin API. In ``--dev`` (only) the built-in ``email``
channel is then this one: delivering is keeping the message where it already is, in the
courier queue, marked ``sent``; the built-in UI lists the last messages with their codes
and links at ``/ui/mailbox`` (dev only, :mod:`phalanx.web.mailbox`). Configuring an SMTP
server (or ``delivery_strategy: http``) turns it off.
"""

from __future__ import annotations

import logging

from phalanx.courier.channel import Channel
from phalanx.courier.message import Message

__all__ = ["MAILBOX_PATH", "DevMailboxChannel"]

log = logging.getLogger("phalanx.courier")

#: Path of the mailbox page under the public base URL.
MAILBOX_PATH = "ui/mailbox"


class DevMailboxChannel(Channel):
    """``email`` in ``--dev`` without SMTP: the message stays in the queue for the UI."""

    id = "email"

    def __init__(self, public_base_url: str = "") -> None:
        self.mailbox_url = f"{public_base_url}{MAILBOX_PATH}"
        self._announced = False

    async def send(self, message: Message) -> None:
        if not self._announced:
            self._announced = True
            log.info(
                "courier.smtp.connection_uri is not set: in --dev mode mail is kept in the "
                "development mailbox at %s",
                self.mailbox_url,
            )
