"""Mail for the end-to-end suites of the flows that send it (recovery, verification, address
changes in settings).

* :class:`MailSink` -- a real SMTP server (aiosmtpd) on a free loopback port; the server
  under test delivers to it with ``phalanx serve --watch-courier``;
* the ``mail`` fixture -- one started sink per test module (registered as a plugin by
  ``tests/conftest.py``, like the server fixtures);
* :func:`flows_config` -- a server config with recovery and verification enabled and the
  courier pointed at the sink (fast bcrypt, no HIBP);
* small client helpers: CSRF tokens of flows, node lookup, codes and links out of mails,
  the confirmation page a mailed link opens.
"""

from __future__ import annotations

import html
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session

from tests.support.server import deep_merge, free_port

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
    "mail",
    "message_ids",
    "node",
]

PASSWORD = "a-Very-long-Passw0rd-4-tests"


@dataclass(frozen=True)
class Mail:
    to: list[str]
    subject: str
    text: str
    html: str


@dataclass
class _Handler:
    mails: list[Mail] = field(default_factory=list)
    lock: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        parsed = message_from_bytes(envelope.content)
        text, html = _bodies(parsed)
        mail = Mail(
            to=[str(r).lower() for r in envelope.rcpt_tos],
            subject=str(parsed.get("Subject", "")),
            text=text,
            html=html,
        )
        with self.lock:
            self.mails.append(mail)
            self.lock.notify_all()
        return "250 Message accepted for delivery"


def _bodies(message: Message) -> tuple[str, str]:
    text = html = ""
    for part in message.walk():
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        charset = part.get_content_charset() or "utf-8"
        if part.get_content_type() == "text/plain":
            text = payload.decode(charset, "replace")
        elif part.get_content_type() == "text/html":
            html = payload.decode(charset, "replace")
    return text, html


class MailSink:
    """An SMTP sink: ``connection_uri`` for the config, :meth:`wait` for mails."""

    def __init__(self, *, smtputf8: bool = False) -> None:
        """``smtputf8``: offer the SMTPUTF8 extension (non-ASCII addresses)."""
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

    def last(self, address: str, count: int = 1) -> Mail:
        return self.wait(address, count)[count - 1]


@pytest.fixture(scope="module")
def mail() -> Iterator[MailSink]:
    """An SMTP sink for the test module's servers (see :func:`flows_config`)."""
    sink = MailSink().start()
    yield sink
    sink.stop()


def flows_config(sink: MailSink, **overrides: Any) -> dict[str, Any]:
    """Recovery (code) and verification (code) enabled, mails to ``sink``."""
    base: dict[str, Any] = {
        "courier": {
            "smtp": {
                "connection_uri": sink.connection_uri,
                "from_address": "no-reply@phalanx.test",
            },
            "worker": {"pull_wait": "100ms"},
        },
        "hashers": {"bcrypt": {"cost": 4}},
        "selfservice": {
            "methods": {
                "password": {"enabled": True, "config": {"haveibeenpwned_enabled": False}},
                "code": {"enabled": True},
            },
            "flows": {
                "recovery": {"enabled": True, "use": "code"},
                "verification": {"enabled": True, "use": "code"},
                "settings": {"privileged_session_max_age": "15m"},
                "registration": {
                    "after": {
                        "password": {
                            "hooks": [{"hook": "session"}, {"hook": "show_verification_ui"}]
                        }
                    }
                },
            },
        },
    }
    return deep_merge(base, overrides)


def create_identity(admin_url: str, email: str, password: str = PASSWORD) -> dict[str, Any]:
    body = {
        "schema_id": "default",
        "traits": {"email": email},
        "credentials": {"password": {"config": {"password": password}}},
    }
    response = httpx.post(f"{admin_url}/admin/identities", json=body, timeout=10)
    assert response.status_code == 201, response.text
    identity: dict[str, Any] = response.json()
    return identity


def node(flow: dict[str, Any], name: str, type_: str | None = None) -> dict[str, Any]:
    """The flow's node named ``name`` (of input type ``type_`` if given)."""
    for item in flow["ui"]["nodes"]:
        attributes = item["attributes"]
        named = name in (attributes.get("name"), attributes.get("id"))
        if named and (type_ is None or attributes.get("type") == type_):
            return dict(item)
    raise AssertionError(f"no node {name!r} in {[n['attributes'] for n in flow['ui']['nodes']]}")


def csrf_of(flow: dict[str, Any]) -> str:
    value = node(flow, "csrf_token")["attributes"]["value"]
    assert isinstance(value, str)
    return value


def message_ids(flow: dict[str, Any]) -> list[int]:
    return [int(m["id"]) for m in flow["ui"].get("messages") or []]


def code_of(mail: Mail) -> str:
    found = re.search(r"(?<!\d)(\d{6})(?!\d)", mail.text)
    assert found, mail.text
    return found.group(1)


def link_of(mail: Mail) -> str:
    found = re.search(r"https?://\S+", mail.text)
    assert found, mail.text
    return found.group(0)


def confirmation_form(page: str) -> tuple[str, dict[str, str]]:
    """The action and hidden fields of the page a mailed link opens."""
    action = re.search(r'<form method="POST" action="([^"]+)"', page)
    assert action, page
    pairs = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
    fields = {html.unescape(name): html.unescape(value) for name, value in pairs}
    return html.unescape(action.group(1)), fields
