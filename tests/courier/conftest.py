"""Fixtures for the courier tests: a migrated database, a real SMTP sink, TLS material.

* ``sqlite_store``: a :class:`SQLCourierStore` on a fresh, migrated SQLite file.
* ``fresh_store(backend)``: the same on a throw-away PostgreSQL or MariaDB database
  (created with a random name, dropped afterwards; the servers must be running).
* ``smtp_sink``: an aiosmtpd server on a free loopback port, in a thread; ``start(...)``
  takes TLS/auth options, ``messages`` collects every accepted mail.
* ``tls_cert``: a self-signed certificate for ``localhost``/``127.0.0.1`` made with openssl.
"""

from __future__ import annotations

import os
import secrets
import socket
import ssl
import subprocess
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message as MimeMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from sqlalchemy import text

from phalanx.persistence.sql import Database, create_engine, migrate_up
from phalanx.persistence.sql.courier_store import SQLCourierStore

POSTGRES_URL = os.environ.get(
    "PHALANX_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
MYSQL_URL = os.environ.get("PHALANX_TEST_MYSQL_URL", "mysql+aiomysql://root@127.0.0.1:3306/mysql")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@asynccontextmanager
async def fresh_store(backend: str, tmp_path: Path) -> AsyncIterator[SQLCourierStore]:
    """A migrated database of ``backend`` (sqlite, postgres, mariadb), dropped afterwards."""
    name = f"phalanx_courier_{secrets.token_hex(5)}"
    if backend == "sqlite":
        db = Database(create_engine(f"sqlite+aiosqlite:///{tmp_path / name}.db"))
        await migrate_up(db.engine)
        try:
            yield SQLCourierStore(db)
        finally:
            await db.dispose()
        return
    admin_url = POSTGRES_URL if backend == "postgres" else MYSQL_URL
    admin_engine = create_engine(admin_url)
    admin = admin_engine.execution_options(isolation_level="AUTOCOMMIT")
    if backend == "postgres":
        create, drop = f'CREATE DATABASE "{name}"', f'DROP DATABASE "{name}" WITH (FORCE)'
    else:
        create = f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
        drop = f"DROP DATABASE `{name}`"
    async with admin.connect() as conn:
        await conn.execute(text(create))
    url = admin_engine.url.set(database=name).render_as_string(hide_password=False)
    db = Database(create_engine(url))
    try:
        await migrate_up(db.engine)
        yield SQLCourierStore(db)
    finally:
        await db.dispose()
        async with admin.connect() as conn:
            await conn.execute(text(drop))
        await admin_engine.dispose()


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[SQLCourierStore]:
    async with fresh_store("sqlite", tmp_path) as store:
        yield store


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class _Handler:
    messages: list[MimeMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    reject_with: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        if self.reject_with:
            return self.reject_with
        assert isinstance(envelope.content, bytes)
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content))
            self.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


class _ImplicitTLSController(Controller):
    """aiosmtpd's readiness probe wraps with the *server* context; probe as a client."""

    def _trigger_server(self) -> None:
        client = ssl.create_default_context()
        client.check_hostname = False
        client.verify_mode = ssl.CERT_NONE
        with (
            socket.create_connection((self.hostname, self.port), 1.0) as raw,
            client.wrap_socket(raw) as tls,
        ):
            tls.recv(1024)


class SMTPSink:
    """A real SMTP server (aiosmtpd) for one test; call :meth:`start`, read :attr:`messages`."""

    def __init__(self) -> None:
        self.handler = _Handler()
        self.port = free_port()
        self.controller: Controller | None = None
        self.logins: list[tuple[str, str]] = []

    @property
    def messages(self) -> list[MimeMessage]:
        with self.handler.lock:
            return list(self.handler.messages)

    def _authenticate(
        self, server: Any, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        login, password = data.login.decode(), data.password.decode()
        self.logins.append((login, password))
        ok = (login, password) == self.credentials
        return AuthResult(success=ok, handled=False)

    def start(
        self,
        *,
        starttls: ssl.SSLContext | None = None,
        implicit_tls: ssl.SSLContext | None = None,
        credentials: tuple[str, str] | None = None,
    ) -> SMTPSink:
        self.credentials = credentials
        kwargs: dict[str, Any] = {}
        if starttls is not None:
            kwargs.update(tls_context=starttls, require_starttls=True)
        if credentials is not None:
            kwargs.update(
                authenticator=self._authenticate,
                auth_required=True,
                auth_require_tls=starttls is not None or implicit_tls is not None,
            )
        factory = _ImplicitTLSController if implicit_tls is not None else Controller
        self.controller = factory(
            self.handler,
            hostname="127.0.0.1",
            port=self.port,
            ssl_context=implicit_tls,
            server_hostname="localhost",
            ready_timeout=5,
            **kwargs,
        )
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_sink() -> Iterator[SMTPSink]:
    sink = SMTPSink()
    yield sink
    sink.stop()


@dataclass(frozen=True)
class TLSCert:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


@pytest.fixture(scope="session")
def tls_cert(tmp_path_factory: pytest.TempPathFactory) -> TLSCert:
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return TLSCert(cert=cert, key=key)
