"""The SMTP e-mail channel (Kratos ``courier/smtp.go``, ``courier/smtp_channel.go``).

``courier.smtp.connection_uri`` semantics, as in Kratos:

* ``smtp://user:pass@host:port/`` — STARTTLS is **mandatory** (a server without it is an
  error); ``?disable_starttls=true`` sends in plain text;
* ``smtps://…`` — implicit TLS;
* ``?skip_ssl_verify=true`` disables certificate checks; ``?server_name=x`` is the TLS
  server name (SNI and verification; default: the host);
* user and password are percent-decoded; TLS 1.2 at least; ``client_cert_path`` +
  ``client_key_path`` add a client certificate; 10 s timeout; ``local_name`` for EHLO.

The mail has ``From: from_name <from_address>``, the extra ``courier.smtp.headers``, the
plaintext body and, when the template renders, an HTML alternative re-rendered from
``template_data`` at send time (Kratos does the same). A 5xx reply is permanent
(:class:`~phalanx.courier.channel.PermanentDeliveryError`): Kratos abandons such mail.
Missing port: 465 for ``smtps``, 587 with STARTTLS, 25 without (Kratos requires one).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from phalanx.config.model_courier import SmtpConfig
from phalanx.courier.channel import Channel, DeliveryError, PermanentDeliveryError
from phalanx.courier.message import Message, TemplateType
from phalanx.courier.template import TemplateRenderer

__all__ = ["SMTPChannel", "SMTPSettings"]

log = logging.getLogger("phalanx.courier.smtp")

SMTP_TIMEOUT = 10.0  # seconds, Kratos's dialer timeout
_REASON = "failed to send email via smtp"


def _go_bool(values: dict[str, list[str]], key: str) -> bool:
    """``strconv.ParseBool`` of a query parameter (invalid or missing -> false)."""
    raw = values.get(key, [""])[0]
    return raw in ("1", "t", "T", "TRUE", "true", "True")


@dataclass(frozen=True, slots=True)
class SMTPSettings:
    """A parsed ``connection_uri``."""

    host: str
    port: int
    username: str | None
    password: str | None
    implicit_tls: bool
    starttls: bool
    skip_ssl_verify: bool
    server_name: str

    @classmethod
    def parse(cls, uri: str) -> SMTPSettings:
        parts = urlsplit(uri)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("The SMTP connection URI is malformed.")
        query = parse_qs(parts.query, keep_blank_values=True)
        implicit = parts.scheme == "smtps"
        starttls = not implicit and not _go_bool(query, "disable_starttls")
        port = parts.port or (465 if implicit else 587 if starttls else 25)
        return cls(
            host=parts.hostname,
            port=port,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
            implicit_tls=implicit,
            starttls=starttls,
            skip_ssl_verify=_go_bool(query, "skip_ssl_verify"),
            server_name=query.get("server_name", [""])[0] or parts.hostname,
        )


def _tls_context(settings: SMTPSettings, config: SmtpConfig) -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if settings.skip_ssl_verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if config.client_cert_path and config.client_key_path:
        try:
            context.load_cert_chain(config.client_cert_path, config.client_key_path)
        except (OSError, ssl.SSLError) as exc:
            log.error("Unable to load tls certificate and private key for smtp client: %s", exc)
    return context


async def _connected_socket(host: str, port: int, seconds: float) -> socket.socket:
    """A TCP socket to ``host`` so TLS can verify a different ``server_name``."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    error: OSError | None = None
    for family, kind, proto, _, address in infos:
        sock = socket.socket(family, kind, proto)
        sock.setblocking(False)
        try:
            async with asyncio.timeout(seconds):
                await loop.sock_connect(sock, address)
            return sock
        except (OSError, TimeoutError) as exc:
            sock.close()
            error = exc if isinstance(exc, OSError) else OSError(f"timed out connecting to {host}")
    raise aiosmtplib.SMTPConnectError(f"Error connecting to {host} on port {port}: {error}")


_NO_SMTPUTF8 = (
    "The recipient address contains non-ASCII characters, which need the SMTPUTF8 "
    "extension, and the SMTP server does not offer it."
)


def _is_permanent(exc: BaseException) -> bool:
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return any(r.code >= 500 for r in exc.recipients)
    return isinstance(exc, aiosmtplib.SMTPResponseException) and exc.code >= 500


class SMTPChannel(Channel):
    """Sends e-mail through an SMTP server with aiosmtplib."""

    id = "email"

    def __init__(
        self,
        config: SmtpConfig,
        *,
        renderer: TemplateRenderer | None = None,
        timeout: float = SMTP_TIMEOUT,
    ) -> None:
        self.config = config
        self.renderer = renderer
        self.timeout = timeout
        self.settings = SMTPSettings.parse(config.connection_uri) if config.connection_uri else None
        self._tls = _tls_context(self.settings, config) if self.settings else None

    async def build(self, message: Message) -> EmailMessage:
        """The MIME message: plaintext, plus the HTML alternative when it renders."""
        mail = EmailMessage()
        cfg = self.config
        if cfg.from_name:
            mail["From"] = Address(display_name=cfg.from_name, addr_spec=cfg.from_address)
        else:
            mail["From"] = cfg.from_address
        mail["To"] = message.recipient
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(localtime=False, usegmt=True)
        mail["Message-ID"] = make_msgid(domain=cfg.from_address.rpartition("@")[2] or None)
        for name, value in cfg.headers.items():
            del mail[name]
            mail[name] = value
        mail.set_content(message.body)
        html = await self._html(message)
        if html is not None:
            mail.add_alternative(html, subtype="html")
        return mail

    async def _html(self, message: Message) -> str | None:
        if self.renderer is None:
            return None
        try:
            kind = TemplateType(message.template_type)
            return await self.renderer.render_email_html(kind, message.template_data)
        except Exception as exc:  # Kratos logs and sends the plaintext alone
            log.error("Unable to get email body from template: %s", exc)
            return None

    async def send(self, message: Message) -> None:
        settings = self.settings
        if settings is None:
            raise DeliveryError(
                "Courier tried to deliver an email but courier.smtp.connection_uri is not set!"
            )
        mail = await self.build(message)
        tls_name_differs = settings.server_name != settings.host
        try:
            sock = None
            if settings.implicit_tls and tls_name_differs:
                sock = await _connected_socket(settings.host, settings.port, self.timeout)
            client = aiosmtplib.SMTP(
                hostname=settings.server_name if sock is not None else settings.host,
                port=None if sock is not None else settings.port,
                sock=sock,
                use_tls=settings.implicit_tls,
                start_tls=False,
                tls_context=self._tls,
                timeout=self.timeout,
                local_hostname=self.config.local_name or None,
            )
            await client.connect()
            try:
                if settings.starttls:
                    await client.starttls(
                        server_hostname=settings.server_name, tls_context=self._tls
                    )
                if client.is_ehlo_or_helo_needed:
                    await client.ehlo()
                if settings.username and client.supports_extension("auth"):
                    await client.login(settings.username, settings.password or "")
                await client.send_message(mail)
            except aiosmtplib.SMTPNotSupported as exc:
                if "SMTPUTF8" not in str(exc):
                    raise
                log.error("Unable to send email to %r: %s", message.recipient, _NO_SMTPUTF8)
                raise PermanentDeliveryError(_NO_SMTPUTF8, reason=_REASON, code=400) from exc
            finally:
                if client.is_connected:
                    try:
                        await client.quit()
                    except aiosmtplib.SMTPException:
                        client.close()
        except (aiosmtplib.SMTPException, OSError, ssl.SSLError, TimeoutError) as exc:
            # The worker reports it (once while the server stays unreachable, then counted).
            error = PermanentDeliveryError if _is_permanent(exc) else DeliveryError
            raise error(str(exc) or type(exc).__name__, reason=_REASON) from exc
