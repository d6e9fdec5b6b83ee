"""Headers and body of a configured outbound request (Kratos ``request.Builder``), shared
by the courier's HTTP channel and ``web_hook`` hooks.

* headers: the configured ones, ``Content-Type: application/json`` unless set;
* ``auth``: ``api_key`` in a header (default) or a cookie, or ``basic_auth``;
* body: the Jsonnet result as JSON, or -- for ``application/x-www-form-urlencoded`` -- as a
  form (the result must be an object; values are sent as strings).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from phalanx.config.model_hooks import ApiKeyAuth, BasicAuth

__all__ = ["FORM", "BodyEncodingError", "content_type", "encode_body", "request_headers"]

FORM = "application/x-www-form-urlencoded"


class BodyEncodingError(ValueError):
    """The Jsonnet result cannot be sent with the configured content type."""


def request_headers(
    headers: Mapping[str, str], auth: ApiKeyAuth | BasicAuth | None
) -> dict[str, str]:
    """The configured headers plus the default content type and the auth header/cookie."""
    out = dict(headers)
    if not any(k.lower() == "content-type" for k in out):
        out["Content-Type"] = "application/json"
    if isinstance(auth, ApiKeyAuth):
        if auth.config.in_ == "cookie":
            cookie = f"{auth.config.name}={auth.config.value}"
            existing = out.get("Cookie")
            out["Cookie"] = f"{existing}; {cookie}" if existing else cookie
        else:
            out[auth.config.name] = auth.config.value
    elif isinstance(auth, BasicAuth):
        raw = f"{auth.config.user}:{auth.config.password}".encode()
        out["Authorization"] = "Basic " + base64.b64encode(raw).decode("ascii")
    return out


def content_type(headers: Mapping[str, str]) -> str:
    value = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    return value.split(";")[0].strip().lower()


def encode_body(payload: Any, headers: Mapping[str, str]) -> bytes:
    """The request body for the Jsonnet result ``payload``."""
    if content_type(headers) == FORM:
        if not isinstance(payload, dict):
            raise BodyEncodingError("the request body must evaluate to an object for forms")
        return urlencode(sorted((k, str(v)) for k, v in payload.items())).encode()
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")
