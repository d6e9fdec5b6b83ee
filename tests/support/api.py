"""An HTTP client for end-to-end tests that checks every response against the OpenAPI spec.

Usage::

    with SpecClient(server.admin_url) as admin:
        r = admin.post("/admin/identities", json={...})     # validated on return
        assert r.status_code == 201
        r = admin.get("/admin/nope", validate=False)         # opt out for off-spec paths

Validation uses :func:`tests.support.openapi.assert_response_matches_spec` with the request's
method and path; ``template=`` names the spec path explicitly when the concrete path is
ambiguous.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.openapi import assert_response_matches_spec

__all__ = ["SpecClient", "error_of"]


class SpecClient:
    """A thin ``httpx.Client`` wrapper: each response is validated unless ``validate=False``."""

    def __init__(self, base_url: str, *, timeout: float = 30.0, **kwargs: Any) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=timeout, **kwargs)

    def __enter__(self) -> SpecClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        validate: bool = True,
        template: str | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        response = self.http.request(method, url, **kwargs)
        if validate:
            assert_response_matches_spec(response, path=template)
        return response

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)


def error_of(response: httpx.Response) -> dict[str, Any]:
    """The inner ``error`` object of a Kratos error envelope (asserts the shape)."""
    body = response.json()
    assert isinstance(body, dict) and isinstance(body.get("error"), dict), body
    error: dict[str, Any] = body["error"]
    assert error["code"] == response.status_code, body
    return error
