"""The SSRF guard for every outbound HTTP request.

Kratos's ``clients.http.disallow_private_ip_ranges`` (default ``false``) refuses requests to
private, loopback and link-local addresses; ``clients.http.private_ip_exception_urls``
lists URLs (exact match) that may reach them anyway. Phalanx resolves the host first,
requires every address to be globally routable, and pins the connection to the checked
address (``Host`` header and TLS SNI keep the name), so a second DNS answer cannot swap it.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import anyio

if TYPE_CHECKING:
    from phalanx.config import Config

__all__ = [
    "AddressGuard",
    "BlockedAddressError",
    "Hop",
    "UnresolvableHostError",
    "guard_from_config",
]


class BlockedAddressError(Exception):
    """The URL resolves to a private, loopback or link-local address."""


class UnresolvableHostError(Exception):
    """The URL's host name does not resolve."""


@dataclass(frozen=True, slots=True)
class Hop:
    """Where one request really goes: the (pinned) URL, extra headers and httpx extensions."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    extensions: dict[str, Any] = field(default_factory=dict)


def _check_addresses(url: str, host: str, infos: Sequence[Any]) -> str:
    addresses = []
    for info in infos:
        raw = str(info[4][0]).split("%", 1)[0]
        ip = ipaddress.ip_address(raw)
        mapped = getattr(ip, "ipv4_mapped", None)
        if not (mapped or ip).is_global:
            raise BlockedAddressError(
                f"Refusing to fetch {url}: {host} resolves to the non-public address {ip}."
            )
        addresses.append(str(ip))
    if not addresses:
        raise UnresolvableHostError(f"could not resolve {host}")
    return addresses[0]


def _pin(url: str, address: str) -> Hop:
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
    return Hop(pinned, {"Host": host_header}, extensions)


@dataclass(frozen=True, slots=True)
class AddressGuard:
    """``allow_private`` is the inverse of ``disallow_private_ip_ranges``; ``exceptions``
    are the ``private_ip_exception_urls``."""

    allow_private: bool = False
    exceptions: tuple[str, ...] = ()

    def exempt(self, url: str) -> bool:
        return self.allow_private or url in self.exceptions

    async def hop(self, url: str) -> Hop:
        """The checked, pinned request target for ``url`` (raises :class:`BlockedAddressError`
        or :class:`UnresolvableHostError`)."""
        if self.exempt(url):
            return Hop(url)
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise UnresolvableHostError(f"could not resolve {host}: {exc}") from exc
        return _pin(url, _check_addresses(url, host, infos))


def guard_from_config(config: Config) -> AddressGuard:
    """The guard for ``clients.http``."""
    http = config.clients.http
    return AddressGuard(
        allow_private=not http.disallow_private_ip_ranges,
        exceptions=tuple(str(u) for u in http.private_ip_exception_urls),
    )
