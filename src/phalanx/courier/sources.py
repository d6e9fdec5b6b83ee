"""Load a template or request body from a Kratos URI (``ory/x/fetcher``).

Courier template settings and HTTP request bodies are URIs: ``file://`` (absolute, or
relative to the working directory: ``file://./t.gotmpl``), ``base64://<data>`` (standard
or URL-safe alphabet, padding optional) and ``http(s)://`` (fetched with httpx).
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from urllib.parse import unquote, urlsplit

import anyio
import httpx

__all__ = ["SourceError", "load_uri"]

FETCH_TIMEOUT = 10.0  # seconds


class SourceError(Exception):
    """The URI cannot be read (bad scheme, missing file, HTTP error, bad base64)."""


def _decode_base64(data: str) -> bytes:
    data = data.strip()
    padded = data + "=" * (-len(data) % 4)
    try:
        if "-" in data or "_" in data:
            return base64.urlsafe_b64decode(padded)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SourceError(f"unable to base64 decode the location: {exc}") from exc


def _file_path(uri: str) -> Path:
    rest = uri[len("file://") :]
    if rest.startswith("/") or rest.startswith("."):
        return Path(unquote(rest))
    parts = urlsplit(uri)
    return Path(unquote((parts.netloc or "") + parts.path))


async def load_uri(uri: str, *, client: httpx.AsyncClient | None = None) -> bytes:
    """The bytes behind ``uri``; raises :class:`SourceError` on any failure."""
    scheme = uri.split("://", 1)[0].lower() if "://" in uri else ""
    if scheme == "base64":
        return _decode_base64(uri[len("base64://") :])
    if scheme == "file":
        path = _file_path(uri)
        try:
            return await anyio.Path(path).read_bytes()
        except OSError as exc:
            raise SourceError(f"unable to read {path}: {exc}") from exc
    if scheme in ("http", "https"):
        try:
            if client is not None:
                response = await client.get(uri, timeout=FETCH_TIMEOUT)
            else:
                async with httpx.AsyncClient(timeout=FETCH_TIMEOUT) as own:
                    response = await own.get(uri)
        except httpx.HTTPError as exc:
            raise SourceError(f"unable to fetch {uri}: {exc}") from exc
        if response.status_code != 200:
            raise SourceError(
                f"unable to fetch {uri}: expected status code 200 but got {response.status_code}"
            )
        return response.content
    raise SourceError(f"unsupported URI scheme in {uri!r} (use file://, base64:// or http(s)://)")
