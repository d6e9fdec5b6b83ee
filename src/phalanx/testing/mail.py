"""A mail outbox for tests: a real SMTP server on loopback that keeps what it receives.

Point ``courier.smtp.connection_uri`` at :attr:`MailSink.connection_uri` (or use
:func:`phalanx.testing.mail_config`), then :meth:`MailSink.wait` for an address's mail and
read its one-time code (:func:`code_of`) or link (:func:`link_of`). Needs ``aiosmtpd``
(the ``testing`` extra).
"""

from __future__ import annotations

import html
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

__all__ = ["Mail", "MailSink", "code_of", "confirmation_form", "free_port", "link_of"]


@dataclass(frozen=True)
class Mail:
    to: list[str]
    subject: str
    text: str
    html: str


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class _Handler:
    mails: list[Mail] = field(default_factory=list)
    lock: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        assert isinstance(envelope.content, bytes)
        parsed = message_from_bytes(envelope.content)
        text, html_body = _bodies(parsed)
        mail = Mail(
            to=[str(r).lower() for r in envelope.rcpt_tos],
            subject=str(parsed.get("Subject", "")),
            text=text,
            html=html_body,
        )
        with self.lock:
            self.mails.append(mail)
            self.lock.notify_all()
        return "250 Message accepted for delivery"


def _bodies(message: Message) -> tuple[str, str]:
    text = html_body = ""
    for part in message.walk():
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        charset = part.get_content_charset() or "utf-8"
        if part.get_content_type() == "text/plain":
            text = payload.decode(charset, "replace")
        elif part.get_content_type() == "text/html":
            html_body = payload.decode(charset, "replace")
    return text, html_body


class MailSink:
    """An SMTP sink (aiosmtpd, in a thread): ``connection_uri`` for the config, :meth:`wait`
    for mails. ``with MailSink() as sink:`` starts and stops it."""

    def __init__(self, *, smtputf8: bool = False) -> None:
        """``smtputf8``: offer the SMTPUTF8 extension (non-ASCII addresses)."""
        from aiosmtpd.controller import Controller

        self.handler = _Handler()
        self.port = free_port()
        self.controller = Controller(
            self.handler,
            hostname="127.0.0.1",
            port=self.port,
            ready_timeout=5,
            enable_SMTPUTF8=smtputf8,
        )

    @property
    def connection_uri(self) -> str:
        return f"smtp://127.0.0.1:{self.port}/?disable_starttls=true"

    def start(self) -> MailSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def __enter__(self) -> MailSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def to(self, address: str) -> list[Mail]:
        with self.handler.lock:
            return [m for m in self.handler.mails if address.lower() in m.to]

    def wait(self, address: str, count: int = 1, timeout: float = 10.0) -> list[Mail]:
        """Block until ``address`` received ``count`` mails; all of them, oldest first."""
        deadline = time.monotonic() + timeout
        with self.handler.lock:
            while True:
                found = [m for m in self.handler.mails if address.lower() in m.to]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"{address} received {len(found)} mail(s), expected {count}"
                    )
                self.handler.lock.wait(left)

    def wait_for(self, address: str, text: str, timeout: float = 10.0) -> Mail:
        """Block until ``address`` received a mail whose text contains ``text`` (a flow id,
        say); the newest such mail."""
        deadline = time.monotonic() + timeout
        with self.handler.lock:
            while True:
                found = [m for m in self.handler.mails if address.lower() in m.to]
                matching = [m for m in found if text in m.text]
                if matching:
                    return matching[-1]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no mail to {address} mentions {text!r}")
                self.handler.lock.wait(left)

    def last(self, address: str, count: int = 1) -> Mail:
        return self.wait(address, count)[count - 1]


def code_of(mail: Mail) -> str:
    """The six-digit one-time code in a mail."""
    found = re.search(r"(?<!\d)(\d{6})(?!\d)", mail.text)
    assert found, mail.text
    return found.group(1)


def link_of(mail: Mail) -> str:
    """The first link in a mail."""
    found = re.search(r"https?://\S+", mail.text)
    assert found, mail.text
    return found.group(0)


def confirmation_form(page: str) -> tuple[str, dict[str, str]]:
    """The action and hidden fields of the page a mailed link opens
    (``phalanx.link_confirmation``)."""
    action = re.search(r'<form method="POST" action="([^"]+)"', page)
    assert action, page
    pairs = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
    fields = {html.unescape(name): html.unescape(value) for name, value in pairs}
    return html.unescape(action.group(1)), fields
