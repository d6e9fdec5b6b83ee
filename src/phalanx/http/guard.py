"""Input limits every request passes at the edge, before any route sees it.

* **JSON depth.** A decoded body (JSON, or a form whose dotted keys build nested objects)
  may nest at most :data:`MAX_JSON_DEPTH` containers. Every later stage handles that
  depth with room to spare: orjson's encoder stops at 255, orjson's parser at 1024,
  MariaDB's ``JSON_VALID`` check at 31 levels per stored document (a body's objects are
  stored one or two levels deeper than they arrive, inside flow UI nodes up to four), and
  jsonschema recurses only along the identity schema. Without the limit an identity
  could be stored that no response can ever render again.
* **NUL characters.** PostgreSQL refuses U+0000 in text and ``jsonb`` and the other
  databases would store it silently; a NUL anywhere in the path, the query, a header or
  a body string (key or value) is refused with a 400 on every database.

Both answer 400 in the Kratos error envelope, naming where the problem was found.
:class:`InputGuard` checks path, query and headers as plain ASGI middleware; the body
decoders in :mod:`phalanx.http.body` call :func:`check_document` on what they decode.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Receive, Scope, Send

from phalanx.errors import BadRequestError, NulCharacterError
from phalanx.http.responses import error_response

__all__ = [
    "MAX_JSON_DEPTH",
    "InputGuard",
    "JSONTooDeepError",
    "check_document",
    "check_text",
    "json_depth",
]

MAX_JSON_DEPTH = 24
"""Containers a request body may nest (``{"traits": {"email": "x"}}`` nests 2)."""


class JSONTooDeepError(BadRequestError):
    def __init__(self, limit: int = MAX_JSON_DEPTH) -> None:
        super().__init__(
            f"Unable to decode JSON payload: the document is nested more than {limit} levels deep."
        )


def check_text(where: str, value: str) -> None:
    """Raise :class:`NulCharacterError` if ``value`` contains U+0000."""
    if "\x00" in value:
        raise NulCharacterError(where)


def _pointer(path: list[str | int]) -> str:
    if not path:
        return "the body"
    parts = (str(p).replace("~", "~0").replace("/", "~1") for p in path)
    return "the body at #/" + "/".join(parts)


def check_document(document: Any, *, limit: int = MAX_JSON_DEPTH) -> None:
    """Walk a decoded JSON document once, without recursion: refuse nesting deeper than
    ``limit`` (:class:`JSONTooDeepError`) and NUL characters in keys or strings
    (:class:`NulCharacterError`)."""
    stack: list[tuple[Any, int, list[str | int]]] = [(document, 0, [])]
    while stack:
        value, depth, path = stack.pop()
        if isinstance(value, str):
            check_text(_pointer(path), value)
        elif isinstance(value, dict):
            if depth + 1 > limit:
                raise JSONTooDeepError(limit)
            for key, item in value.items():
                if isinstance(key, str) and "\x00" in key:
                    raise NulCharacterError(_pointer([*path, key]))
                stack.append((item, depth + 1, [*path, key]))
        elif isinstance(value, list):
            if depth + 1 > limit:
                raise JSONTooDeepError(limit)
            stack.extend((item, depth + 1, [*path, i]) for i, item in enumerate(value))


def json_depth(document: Any) -> int:
    """How many containers ``document`` nests (``0`` for a scalar), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(document, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value.values())
            deepest = max(deepest, depth + 1)
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
            deepest = max(deepest, depth + 1)
    return deepest


def _query_has_nul(raw: bytes) -> bool:
    return b"\x00" in raw or (b"%00" in raw.lower() and b"\x00" in unquote_to_bytes(raw))


class InputGuard:
    """ASGI middleware: 400 for a NUL character in the path, the query or a header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            where = self._nul_in(scope)
            if where is not None:
                response = error_response(NulCharacterError(where))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    @staticmethod
    def _nul_in(scope: Scope) -> str | None:
        path: str = scope.get("path", "")
        if "\x00" in path:
            return "the URL path"
        query: bytes = scope.get("query_string", b"")
        if query and _query_has_nul(query):
            return "the URL query"
        for name, value in scope.get("headers", ()):
            if b"\x00" in value:
                return f"the header {name.decode('latin-1')}"
        return None
