"""A real SMTP sink for the browser journeys: aiosmtpd on a free loopback port, in a thread.

The server under test (``phalanx serve --watch-courier``) delivers to it over plain SMTP
(``smtp://127.0.0.1:<port>/?disable_starttls=true``); a journey then reads the one-time
code out of the mail exactly as a person would::

    with Mailbox.running() as mailbox:
        ...  # ask the server to send a code to ada@example.org
        code = mailbox.code_for("ada@example.org", subject="verify")

Thread-safe: aiosmtpd's loop runs in its own thread, the test waits on a condition.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session

__all__ = ["Mail", "Mailbox"]

_CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


@dataclass(frozen=True, slots=True)
class Mail:
    """One accepted mail: envelope recipients, subject and plaintext body."""

    to: tuple[str, ...]
    subject: str
    text: str

    @property
    def code(self) -> str:
        """The six-digit one-time code the mail carries (Kratos's code templates)."""
        found = _CODE.search(self.text)
        if found is None:
            raise AssertionError(f"no six-digit code in the mail {self.subject!r}:\n{self.text}")
        return found.group(1)


@dataclass
class Mailbox:
    """The sink's handler and inbox (aiosmtpd calls :meth:`handle_DATA`)."""

    port: int = 0
    mails: list[Mail] = field(default_factory=list)
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        raw = envelope.content
        assert isinstance(raw, bytes)
        parsed = message_from_bytes(raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        body = parsed.get_body(preferencelist=("plain", "html"))
        text = body.get_content() if body is not None else ""
        mail = Mail(
            to=tuple(str(r).lower() for r in envelope.rcpt_tos),
            subject=str(parsed["Subject"] or ""),
            text=str(text),
        )
        with self._arrived:
            self.mails.append(mail)
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    @property
    def connection_uri(self) -> str:
        """``courier.smtp.connection_uri`` for a server delivering here."""
        return f"smtp://127.0.0.1:{self.port}/?disable_starttls=true"

    def wait_for(self, to: str, *, subject: str = "", after: int = 0, timeout: float = 15) -> Mail:
        """The first mail to ``to`` (subject containing ``subject``, case-insensitive)
        among those that arrived after the first ``after`` mails; waits up to ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                for mail in self.mails[after:]:
                    if to.lower() in mail.to and subject.lower() in mail.subject.lower():
                        return mail
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(m.to, m.subject) for m in self.mails]
                    raise AssertionError(f"no mail to {to} ({subject!r}) in {timeout}s: {seen}")
                self._arrived.wait(left)

    def count(self) -> int:
        with self._arrived:
            return len(self.mails)

    @classmethod
    @contextmanager
    def running(cls) -> Iterator[Mailbox]:
        """Start the sink on a free loopback port; stop it on exit."""
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        mailbox = cls(port=port)
        controller = Controller(mailbox, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            yield mailbox
        finally:
            controller.stop()
