"""Reading identity schemas from ``file://``, ``base64://`` and ``http(s)://`` URLs.

Mirrors ``ory/kratos:schema/handler.go`` ``ReadSchema``: ``file://`` reads ``host + path``
(so ``file://./x.json`` is relative and ``file:///etc/x.json`` absolute), ``base64://`` decodes
standard base64, anything else is fetched over HTTP (non-200 is an error, 404 a missing file).
A URL without a scheme is read as a file path.

HTTP fetches are SSRF-safe unless ``allow_private`` is set (the inverse of Kratos's
``clients.http.disallow_private_ip_ranges``): the host is resolved first, every address must
be globally routable, and the connection is pinned to the checked address (``Host`` header and
TLS SNI keep the name) so a second DNS answer cannot swap it; redirects are checked hop by
hop. URLs listed in ``private_ip_exceptions`` (exact match, like
``clients.http.private_ip_exception_urls``) skip the check.

Errors map to the status Kratos answers with: :class:`SchemaNotFoundError` (500,
misconfiguration), :class:`SchemaUpstreamError` (502) and :class:`SchemaReadError` (500).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

import anyio
import httpx

from phalanx.errors import BadGatewayError, InternalServerError, MisconfigurationError

__all__ = [
    "MAX_SCHEMA_SIZE",
    "PrivateAddressError",
    "SchemaLoader",
    "SchemaNotFoundError",
    "SchemaReadError",
    "SchemaUpstreamError",
]

MAX_SCHEMA_SIZE = 1024 * 1024
_MAX_REDIRECTS = 10


class SchemaNotFoundError(MisconfigurationError):
    """The schema file does not exist (or the server answered 404)."""

    default_reason = (
        "The file for this JSON Schema ID could not be found/fetched. "
        "This is a configuration issue."
    )


class SchemaUpstreamError(BadGatewayError):
    """The schema could not be fetched over HTTP."""

    default_reason = (
        "The file for this JSON Schema ID could not be fetched. This is an upstream issue."
    )


class PrivateAddressError(SchemaUpstreamError):
    """The schema URL resolves to a private, loopback or link-local address."""


class SchemaReadError(InternalServerError):
    """The schema could not be read or is not JSON."""

    default_reason = "The file for this JSON Schema ID could not be read. This is an I/O issue."


@dataclass(frozen=True, slots=True)
class _Hop:
    url: str
    headers: dict[str, str]
    extensions: dict[str, Any]


def _check_addresses(url: str, host: str, infos: Sequence[Any]) -> str:
    addresses = []
    for info in infos:
        raw = str(info[4][0]).split("%", 1)[0]
        ip = ipaddress.ip_address(raw)
        mapped = getattr(ip, "ipv4_mapped", None)
        if not (mapped or ip).is_global:
            raise PrivateAddressError(
                f"Refusing to fetch {url}: {host} resolves to the non-public address {ip}."
            )
        addresses.append(str(ip))
    if not addresses:
        raise SchemaUpstreamError(f"could not resolve {host}")
    return addresses[0]


def _pin(url: str, address: str) -> _Hop:
    parts = urlsplit(url)
    host = parts.hostname or ""
    literal = f"[{address}]" if ":" in address else address
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = (userinfo + "@" if userinfo else "") + literal
    if parts.port is not None:
        netloc += f":{parts.port}"
    host_header = parts.netloc.rpartition("@")[2]
    extensions: dict[str, Any] = {"sni_hostname": host} if parts.scheme == "https" else {}
    pinned = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    return _Hop(pinned, {"Host": host_header}, extensions)


def _parse(data: bytes, url: str) -> Any:
    if len(data) > MAX_SCHEMA_SIZE:
        raise SchemaReadError(
            f"The identity schema at {url} is larger than {MAX_SCHEMA_SIZE} bytes."
        )
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SchemaReadError(f"The identity schema at {url} is not valid JSON: {exc}") from exc


@dataclass(slots=True)
class SchemaLoader:
    """Reads and parses identity schemas; see the module docstring for the rules."""

    allow_private: bool = False
    private_ip_exceptions: Sequence[str] = ()
    timeout: float = 10.0
    transport: httpx.AsyncBaseTransport | None = None

    def read_local(self, url: str) -> bytes | None:
        """The bytes of a ``file://``/``base64://``/path URL, or ``None`` for HTTP URLs."""
        scheme = urlsplit(url).scheme.lower()
        if scheme == "base64":
            try:
                return base64.b64decode(url[len("base64://") :], validate=True)
            except (binascii.Error, ValueError) as exc:
                raise SchemaReadError(f"could not decode schema file: {exc}") from exc
        if scheme in ("http", "https"):
            return None
        if scheme == "file":
            parts = urlsplit(url)
            path = Path(unquote(parts.netloc + parts.path))
        elif scheme == "" or len(scheme) == 1:  # a plain path (or a Windows drive letter)
            path = Path(url)
        else:
            raise SchemaReadError(f"unsupported identity schema URL scheme {scheme!r}")
        try:
            return path.read_bytes()
        except FileNotFoundError as exc:
            raise SchemaNotFoundError(details={"url": url}) from exc
        except OSError as exc:
            raise SchemaReadError(f"could not read schema file: {exc}") from exc

    def _exempt(self, url: str) -> bool:
        return self.allow_private or url in self.private_ip_exceptions

    async def _hop(self, url: str) -> _Hop:
        if self._exempt(url):
            return _Hop(url, {}, {})
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise SchemaUpstreamError(f"could not resolve {host}: {exc}") from exc
        return _pin(url, _check_addresses(url, host, infos))

    async def fetch(self, url: str) -> bytes:
        """GET ``url`` with the SSRF rules; the body is capped at :data:`MAX_SCHEMA_SIZE`."""
        async with httpx.AsyncClient(
            timeout=self.timeout, follow_redirects=False, transport=self.transport
        ) as client:
            for _ in range(_MAX_REDIRECTS + 1):
                hop = await self._hop(url)
                try:
                    request = client.build_request(
                        "GET", hop.url, headers=hop.headers, extensions=hop.extensions
                    )
                    response = await client.send(request, stream=True)
                    try:
                        if response.is_redirect and "location" in response.headers:
                            url = urljoin(url, response.headers["location"])
                            continue
                        if response.status_code == 404:
                            raise SchemaNotFoundError(details={"url": url})
                        if response.status_code != 200:
                            raise SchemaUpstreamError(
                                details={"status_code": response.status_code, "uri": url}
                            )
                        body = bytearray()
                        async for chunk in response.aiter_bytes():
                            body.extend(chunk)
                            if len(body) > MAX_SCHEMA_SIZE:
                                break
                        return bytes(body)
                    finally:
                        await response.aclose()
                except httpx.HTTPError as exc:
                    raise SchemaUpstreamError(
                        "could not fetch schema", details={"uri": url, "error": str(exc)}
                    ) from exc
        raise SchemaUpstreamError("too many redirects", details={"uri": url})

    async def load(self, url: str) -> Any:
        """The parsed JSON of the schema at ``url``."""
        data = self.read_local(url)
        if data is None:
            data = await self.fetch(url)
        return _parse(data, url)

    def load_local(self, url: str) -> Any:
        """Like :meth:`load` for ``file://``/``base64://`` URLs, without an event loop."""
        data = self.read_local(url)
        if data is None:
            raise SchemaReadError(f"{url} must be loaded with `await SchemaLoader.load()`")
        return _parse(data, url)
