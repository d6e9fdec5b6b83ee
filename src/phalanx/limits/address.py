"""The client address a request is counted under.

``X-Forwarded-For`` is believed only when the peer is a configured trusted proxy; then the
header is read from the right, skipping trusted proxies, and the first other address is
the client (the left-most entries are whatever the client chose to send). Without trusted
proxies the peer address is the client.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping

__all__ = ["ClientAddress"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ClientAddress:
    """Resolves client addresses with ``phalanx.rate_limits.trusted_proxies``."""

    def __init__(self, trusted_proxies: Iterable[str]) -> None:
        self.trusted: tuple[Network, ...] = tuple(
            ipaddress.ip_network(entry.strip(), strict=False) for entry in trusted_proxies
        )

    def _is_trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.trusted)

    def resolve(self, peer: str | None, headers: Mapping[str, str]) -> str:
        """The client address (``"unknown"`` when there is no peer address at all)."""
        client = peer or "unknown"
        if not self.trusted or not self._is_trusted(client):
            return client
        forwarded = headers.get("x-forwarded-for", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        for hop in reversed(hops):
            if not self._is_trusted(hop):
                return hop
            client = hop
        return client
