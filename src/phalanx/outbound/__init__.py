"""Outbound I/O shared by every feature that reads a configured URL or calls a remote
endpoint: identity schemas, courier templates and request bodies, web hooks, the password
migration hook, Jsonnet mappers and the tokenizer's JWKS.

* :mod:`phalanx.outbound.guard` -- the SSRF guard (``clients.http.disallow_private_ip_ranges``
  and ``private_ip_exception_urls``): resolve, refuse non-public addresses, pin the address.
* :mod:`phalanx.outbound.http` -- one HTTP request (any method) through the guard, redirects
  checked hop by hop, the body capped.
* :mod:`phalanx.outbound.sources` -- the bytes behind a ``file://``, ``base64://`` or
  ``http(s)://`` URL (Kratos's ``ory/x/fetcher``).
"""

from __future__ import annotations

from phalanx.outbound.guard import AddressGuard, BlockedAddressError, guard_from_config
from phalanx.outbound.http import OutboundError, OutboundResponse, send
from phalanx.outbound.sources import (
    SourceError,
    SourceNotFoundError,
    SourceUpstreamError,
    load_url,
    read_local,
)

__all__ = [
    "AddressGuard",
    "BlockedAddressError",
    "OutboundError",
    "OutboundResponse",
    "SourceError",
    "SourceNotFoundError",
    "SourceUpstreamError",
    "guard_from_config",
    "load_url",
    "read_local",
    "send",
]
