"""The bytes behind a configured URL, as Kratos's ``ory/x/fetcher`` reads them.

* ``file://`` -- ``file:///abs/path`` or ``file://./relative`` (to the working directory);
* ``base64://`` -- standard or URL-safe alphabet, padding optional;
* ``http(s)://`` -- fetched through the SSRF guard (non-200 is an error, 404 "not found");
* a string without a scheme is a file path (the deprecated form Kratos still accepts).
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx

from phalanx.outbound.guard import AddressGuard
from phalanx.outbound.http import OutboundError, send

__all__ = [
    "FETCH_TIMEOUT",
    "SourceError",
    "SourceNotFoundError",
    "SourceUpstreamError",
    "load_url",
    "read_local",
]

FETCH_TIMEOUT = 10.0  # seconds
_ALLOW_ALL = AddressGuard(allow_private=True)


class SourceError(Exception):
    """The URL cannot be read (bad scheme, unreadable file, bad base64)."""


class SourceNotFoundError(SourceError):
    """The file does not exist, or the server answered 404."""


class SourceUpstreamError(SourceError):
    """The HTTP fetch failed (refused address, transport error, non-200 status)."""

    def __init__(self, message: str, *, url: str, status: int | None = None, blocked: bool = False):
        super().__init__(message)
        self.url = url
        self.status = status
        self.blocked = blocked


def _decode_base64(data: str) -> bytes:
    data = data.strip()
    padded = data + "=" * (-len(data) % 4)
    try:
        if "-" in data or "_" in data:
            return base64.urlsafe_b64decode(padded)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SourceError(f"unable to base64 decode the location: {exc}") from exc


def _file_path(url: str) -> Path:
    rest = url[len("file://") :]
    if rest.startswith("/") or rest.startswith("."):
        return Path(unquote(rest.split("?", 1)[0]))
    parts = urlsplit(url)
    return Path(unquote((parts.netloc or "") + parts.path))


def _scheme(url: str) -> str:
    return url.split("://", 1)[0].lower() if "://" in url else ""


def read_local(url: str) -> bytes | None:
    """The bytes of a ``file://``/``base64://``/path URL, or ``None`` for ``http(s)://``."""
    scheme = _scheme(url)
    if scheme == "base64":
        return _decode_base64(url[len("base64://") :])
    if scheme in ("http", "https"):
        return None
    if scheme == "file":
        path = _file_path(url)
    elif scheme == "":
        path = Path(url)
    else:
        raise SourceError(
            f"unsupported URL scheme in {url!r} (use file://, base64:// or http(s)://)"
        )
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise SourceNotFoundError(f"unable to read {path}: file not found") from exc
    except OSError as exc:
        raise SourceError(f"unable to read {path}: {exc}") from exc


async def load_url(
    url: str,
    guard: AddressGuard = _ALLOW_ALL,
    *,
    time_limit: float = FETCH_TIMEOUT,
    max_size: int = 1024 * 1024,
    client: httpx.AsyncClient | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> bytes:
    """The bytes behind ``url``; raises a :class:`SourceError`. An HTTP body longer than
    ``max_size`` comes back with ``max_size + 1`` bytes (callers refuse it)."""
    local = read_local(url) if _scheme(url) not in ("http", "https") else None
    if local is not None:
        return local
    try:
        response = await send(
            guard,
            "GET",
            url,
            time_limit=time_limit,
            max_body=max_size,
            client=client,
            transport=transport,
        )
    except OutboundError as exc:
        raise SourceUpstreamError(str(exc), url=exc.url, blocked=exc.blocked) from exc
    if response.status == 404:
        raise SourceNotFoundError(f"unable to fetch {response.url}: 404 Not Found")
    if response.status != 200:
        raise SourceUpstreamError(
            f"unable to fetch {response.url}: expected status code 200 but got {response.status}",
            url=response.url,
            status=response.status,
        )
    return response.body
