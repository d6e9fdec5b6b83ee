"""One outbound HTTP request through the :class:`~phalanx.outbound.guard.AddressGuard`.

Redirects are followed by hand (at most 10) so every hop is checked and pinned again:
307/308 repeat the method and body, the others continue with a bodiless ``GET`` (Go's
``net/http`` client, which Kratos uses, does the same). The response body is read up to
``max_body`` bytes and one more, so a caller can tell a body that was cut off.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urljoin

import httpx

from phalanx.outbound.guard import AddressGuard, BlockedAddressError, UnresolvableHostError

__all__ = ["MAX_REDIRECTS", "OutboundError", "OutboundResponse", "send"]

MAX_REDIRECTS = 10


class OutboundError(Exception):
    """The request could not be completed (refused address, DNS, connect, timeout, too many
    redirects). ``timeout`` tells a timeout apart; ``blocked`` an SSRF refusal."""

    def __init__(self, message: str, *, url: str, timeout: bool = False, blocked: bool = False):
        super().__init__(message)
        self.url = url
        self.timeout = timeout
        self.blocked = blocked


@dataclass(frozen=True, slots=True)
class OutboundResponse:
    status: int
    headers: httpx.Headers
    body: bytes
    url: str


async def _read(response: httpx.Response, max_body: int) -> bytes:
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body.extend(chunk)
        if len(body) > max_body:
            break
    return bytes(body[: max_body + 1])


async def send(
    guard: AddressGuard,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | httpx.Headers | None = None,
    content: bytes | None = None,
    time_limit: float = 10.0,
    max_body: int = 1024 * 1024,
    client: httpx.AsyncClient | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> OutboundResponse:
    """Send the request; any transport failure raises :class:`OutboundError`."""
    own = client is None
    http = client or httpx.AsyncClient(
        timeout=time_limit, follow_redirects=False, transport=transport
    )
    try:
        for _ in range(MAX_REDIRECTS + 1):
            try:
                hop = await guard.hop(url)
            except BlockedAddressError as exc:
                raise OutboundError(str(exc), url=url, blocked=True) from exc
            except UnresolvableHostError as exc:
                raise OutboundError(str(exc), url=url) from exc
            merged = httpx.Headers(headers)
            merged.update(hop.headers)
            try:
                request = http.build_request(
                    method,
                    hop.url,
                    headers=merged,
                    content=content,
                    extensions={**hop.extensions, "timeout": httpx.Timeout(time_limit).as_dict()},
                )
                response = await http.send(request, stream=True, follow_redirects=False)
                try:
                    if response.is_redirect and "location" in response.headers:
                        url = urljoin(url, response.headers["location"])
                        if response.status_code not in (307, 308):
                            method, content = "GET", None
                            headers = {
                                k: v
                                for k, v in httpx.Headers(headers).items()
                                if k.lower() not in ("content-type", "content-length")
                            }
                        continue
                    body = await _read(response, max_body)
                    return OutboundResponse(response.status_code, response.headers, body, url)
                finally:
                    await response.aclose()
            except httpx.TimeoutException as exc:
                raise OutboundError(
                    f'{method} "{url}": {exc or "timeout"}', url=url, timeout=True
                ) from exc
            except httpx.HTTPError as exc:
                raise OutboundError(f'{method} "{url}": {exc}', url=url) from exc
        raise OutboundError("too many redirects", url=url)
    finally:
        if own:
            await http.aclose()
