"""Cross-origin resource sharing (``serve.public.cors``, ``serve.admin.cors``), as Kratos
serves it with ``rs/cors`` v1.11:

* a **preflight** (``OPTIONS`` with ``Access-Control-Request-Method``) is answered here,
  ``204`` without a body, whatever the path (``options_passthrough: true`` hands it to
  the app instead, with the CORS headers added). It always gets ``Vary: Origin,
  Access-Control-Request-Method, Access-Control-Request-Headers``; the ``Access-Control-
  Allow-*`` headers only when the origin, the requested method and every requested header
  are allowed: ``Allow-Origin`` (``*`` when every origin is allowed, else the request's
  origin), ``Allow-Methods`` and ``Allow-Headers`` echo the request, ``Allow-Credentials:
  true``, ``Max-Age`` when ``max_age`` > 0;
* any other request gets ``Vary: Origin``, and for an allowed origin and method
  ``Access-Control-Allow-Origin``, ``Access-Control-Expose-Headers`` and
  ``Access-Control-Allow-Credentials`` -- on every answer, errors and redirects included.

Origins compare case-insensitively; one ``*`` in an allowed origin stands for any run of
characters (``https://*.example.com``), a lone ``*`` for every origin. An empty list of
origins, methods or headers means rs/cors's defaults (every origin; ``GET``, ``POST``,
``HEAD``; ``Accept``, ``Content-Type``, ``X-Requested-With``); ``*`` among the allowed
headers allows any. ``debug: true`` logs each decision (logger ``phalanx.cors``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from phalanx.config.model_serve import CorsConfig

__all__ = ["CORS", "CorsPolicy"]

log = logging.getLogger("phalanx.cors")

_PREFLIGHT_VARY = b"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
_DEFAULT_HEADERS = frozenset({"accept", "content-type", "x-requested-with"})
_DEFAULT_METHODS = ("GET", "POST", "HEAD")


def _canonical(header: str) -> str:
    """Go's ``http.CanonicalHeaderKey``: ``x-session-token`` -> ``X-Session-Token``."""
    return "-".join(part[:1].upper() + part[1:].lower() for part in header.split("-"))


@dataclass(frozen=True, slots=True)
class CorsPolicy:
    """A ``cors`` config block, normalized once."""

    any_origin: bool
    origins: frozenset[str]
    wildcards: tuple[tuple[str, str], ...]
    methods: tuple[str, ...]
    any_header: bool
    headers: frozenset[str]
    exposed: bytes | None
    credentials: bool
    max_age: bytes | None
    passthrough: bool
    debug: bool

    @classmethod
    def of(cls, config: CorsConfig) -> CorsPolicy:
        origins: set[str] = set()
        wildcards: list[tuple[str, str]] = []
        any_origin = not config.allowed_origins
        for origin in (o.lower() for o in config.allowed_origins):
            if origin == "*":
                any_origin = True
                break
            prefix, star, suffix = origin.partition("*")
            if star:
                wildcards.append((prefix, suffix))
            else:
                origins.add(origin)
        headers = [h.lower() for h in config.allowed_headers]
        exposed = ", ".join(_canonical(h) for h in config.exposed_headers)
        return cls(
            any_origin=any_origin,
            origins=frozenset() if any_origin else frozenset(origins),
            wildcards=() if any_origin else tuple(wildcards),
            methods=tuple(config.allowed_methods) or _DEFAULT_METHODS,
            any_header="*" in headers,
            headers=frozenset(headers) if headers else _DEFAULT_HEADERS,
            exposed=exposed.encode("latin-1") if exposed else None,
            credentials=config.allow_credentials,
            max_age=str(config.max_age).encode() if config.max_age > 0 else None,
            passthrough=config.options_passthrough,
            debug=config.debug,
        )

    def origin_allowed(self, origin: str) -> bool:
        if self.any_origin:
            return True
        origin = origin.lower()
        if origin in self.origins:
            return True
        return any(
            len(origin) >= len(prefix) + len(suffix)
            and origin.startswith(prefix)
            and origin.endswith(suffix)
            for prefix, suffix in self.wildcards
        )

    def method_allowed(self, method: str) -> bool:
        return method == "OPTIONS" or method in self.methods

    def headers_allowed(self, requested: list[str]) -> bool:
        if self.any_header:
            return True
        for line in requested:
            for name in line.split(","):
                name = name.strip(" \t").lower()
                if name and name not in self.headers:
                    return False
        return True

    def allow_origin(self, origin: bytes) -> bytes:
        return b"*" if self.any_origin else origin


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def _all(scope: Scope, name: bytes) -> list[str]:
    return [bytes(v).decode("latin-1") for k, v in scope["headers"] if k == name]


class CORS:
    """Plain ASGI middleware applying one :class:`CorsPolicy` (see the module docstring)."""

    def __init__(self, app: ASGIApp, config: CorsConfig) -> None:
        self.app = app
        self.policy = CorsPolicy.of(config)

    def _log(self, message: str, *args: object) -> None:
        if self.policy.debug:
            log.info(message, *args)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method == "OPTIONS" and _header(scope, b"access-control-request-method"):
            headers = self._preflight(scope)
            if self.policy.passthrough:
                await self.app(scope, receive, _adding(send, headers))
                return
            await send({"type": "http.response.start", "status": 204, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        await self.app(scope, receive, _adding(send, self._actual(scope, method)))

    def _preflight(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        policy = self.policy
        headers = [(b"vary", _PREFLIGHT_VARY)]
        origin = _header(scope, b"origin")
        if not origin:
            self._log("preflight aborted: empty origin")
            return headers
        if not policy.origin_allowed(origin.decode("latin-1")):
            self._log("preflight aborted: origin %r not allowed", origin.decode("latin-1"))
            return headers
        requested = _header(scope, b"access-control-request-method") or b""
        if not policy.method_allowed(requested.decode("latin-1")):
            self._log("preflight aborted: method %r not allowed", requested.decode("latin-1"))
            return headers
        asked = _all(scope, b"access-control-request-headers")
        if asked and not policy.headers_allowed(asked):
            self._log("preflight aborted: headers %r not allowed", asked)
            return headers
        headers.append((b"access-control-allow-origin", policy.allow_origin(origin)))
        headers.append((b"access-control-allow-methods", requested))
        if asked and asked[0]:
            headers.append((b"access-control-allow-headers", ", ".join(asked).encode("latin-1")))
        if policy.credentials:
            headers.append((b"access-control-allow-credentials", b"true"))
        if policy.max_age is not None:
            headers.append((b"access-control-max-age", policy.max_age))
        self._log("preflight response headers: %r", headers)
        return headers

    def _actual(self, scope: Scope, method: str) -> list[tuple[bytes, bytes]]:
        policy = self.policy
        headers = [(b"vary", b"Origin")]
        origin = _header(scope, b"origin")
        if not origin:
            self._log("actual request, no headers added: missing origin")
            return headers
        if not policy.origin_allowed(origin.decode("latin-1")):
            self._log("actual request, no headers added: origin %r not allowed", origin)
            return headers
        if not policy.method_allowed(method):
            self._log("actual request, no headers added: method %r not allowed", method)
            return headers
        headers.append((b"access-control-allow-origin", policy.allow_origin(origin)))
        if policy.exposed is not None:
            headers.append((b"access-control-expose-headers", policy.exposed))
        if policy.credentials:
            headers.append((b"access-control-allow-credentials", b"true"))
        self._log("actual response added headers: %r", headers)
        return headers


def _adding(send: Send, extra: list[tuple[bytes, bytes]]) -> Send:
    """``send`` with ``extra`` headers put in front of the response's own."""

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = dict(message)
            message["headers"] = [*extra, *message.get("headers", [])]
        await send(message)

    return wrapped
