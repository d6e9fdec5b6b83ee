"""Reading identity schemas from ``file://``, ``base64://`` and ``http(s)://`` URLs.

Mirrors ``ory/kratos:schema/handler.go`` ``ReadSchema``: ``file://`` reads ``host + path``
(so ``file://./x.json`` is relative and ``file:///etc/x.json`` absolute), ``base64://`` decodes
standard base64, anything else is fetched over HTTP (non-200 is an error, 404 a missing file).
A URL without a scheme is read as a file path.

HTTP fetches go through the shared SSRF guard (:mod:`phalanx.outbound`) unless
``allow_private`` is set (the inverse of Kratos's ``clients.http.disallow_private_ip_ranges``);
URLs listed in ``private_ip_exceptions`` (exact match, like
``clients.http.private_ip_exception_urls``) skip the check.

Errors map to the status Kratos answers with: :class:`SchemaNotFoundError` (500,
misconfiguration), :class:`SchemaUpstreamError` (502) and :class:`SchemaReadError` (500).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from phalanx.errors import BadGatewayError, InternalServerError, MisconfigurationError
from phalanx.outbound import guard as _guard
from phalanx.outbound.sources import (
    SourceError,
    SourceNotFoundError,
    SourceUpstreamError,
    load_url,
    read_local,
)

__all__ = [
    "MAX_SCHEMA_SIZE",
    "PrivateAddressError",
    "SchemaLoader",
    "SchemaNotFoundError",
    "SchemaReadError",
    "SchemaUpstreamError",
]

MAX_SCHEMA_SIZE = 1024 * 1024


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
        try:
            return read_local(url)
        except SourceNotFoundError as exc:
            raise SchemaNotFoundError(details={"url": url}) from exc
        except SourceError as exc:
            raise SchemaReadError(f"could not decode or read schema file: {exc}") from exc

    async def fetch(self, url: str) -> bytes:
        """GET ``url`` with the SSRF rules; the body is capped at :data:`MAX_SCHEMA_SIZE`."""
        guard = _guard.AddressGuard(self.allow_private, tuple(self.private_ip_exceptions))
        try:
            return await load_url(
                url,
                guard,
                time_limit=self.timeout,
                max_size=MAX_SCHEMA_SIZE,
                transport=self.transport,
            )
        except SourceNotFoundError as exc:
            raise SchemaNotFoundError(details={"url": url}) from exc
        except SourceUpstreamError as exc:
            if exc.blocked:
                raise PrivateAddressError(str(exc)) from exc
            if exc.status is not None:
                raise SchemaUpstreamError(
                    details={"status_code": exc.status, "uri": exc.url}
                ) from exc
            raise SchemaUpstreamError(
                "could not fetch schema", details={"uri": exc.url, "error": str(exc)}
            ) from exc

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
