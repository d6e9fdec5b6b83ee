"""An httpx transport that puts every request through the SSRF guard (for clients that
are not :func:`phalanx.outbound.send`, e.g. Authlib's OAuth clients): each request, and so
each redirect hop, is resolved, refused when it reaches a non-public address (unless
``clients.http`` allows it), and pinned to the checked address."""

from __future__ import annotations

import httpx

from phalanx.outbound.guard import AddressGuard, BlockedAddressError, UnresolvableHostError

__all__ = ["GuardedTransport"]


class GuardedTransport(httpx.AsyncBaseTransport):
    def __init__(self, guard: AddressGuard, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self.guard = guard
        self.inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        try:
            hop = await self.guard.hop(url)
        except (BlockedAddressError, UnresolvableHostError) as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc
        if hop.url != url:
            request.url = httpx.URL(hop.url)
            for name, value in hop.headers.items():
                request.headers[name] = value
            request.extensions = {**request.extensions, **hop.extensions}
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()
