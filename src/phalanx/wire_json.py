"""Rendering wire JSON: orjson, UTC timestamps with ``Z``, objects with ``to_dict``.

:func:`dumps` is what every response body and the whoami cache use. Documents nested
deeper than orjson's encoder goes (255 levels) can only come from rows stored before the
HTTP edge limited request depth (:mod:`phalanx.http.guard`); they are rendered by a
slower encoder with an explicit stack instead of failing.
"""

from __future__ import annotations

from typing import Any

import orjson

__all__ = ["dumps"]


def _default(value: Any) -> Any:
    if hasattr(value, "to_dict"):
        return value.to_dict()
    raise TypeError(f"cannot serialize {type(value).__name__}")


_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC


def dumps(content: Any) -> bytes:
    try:
        return orjson.dumps(content, default=_default, option=_OPTIONS)
    except orjson.JSONEncodeError as exc:
        if "Recursion limit" not in str(exc):
            raise
    # Deeper than orjson's encoder goes (255): only documents stored before the edge
    # limit (phalanx.http.guard) existed. Slower, but such an identity still renders.
    return _dumps_iteratively(content)


def _dumps_iteratively(content: Any) -> bytes:
    """The same JSON as :func:`dumps`, with an explicit stack instead of recursion."""
    out = bytearray()
    stack: list[Any] = [content]
    while stack:
        item = stack.pop()
        if isinstance(item, bytes):  # a literal token pushed below
            out += item
        elif hasattr(item, "to_dict"):
            stack.append(item.to_dict())
        elif isinstance(item, dict):
            out += b"{"
            stack.append(b"}")
            entries = list(item.items())
            for index in range(len(entries) - 1, -1, -1):
                key, value = entries[index]
                stack.append(value)
                name = orjson.dumps(key if isinstance(key, str) else str(key))
                stack.append((b"," if index else b"") + name + b":")
        elif isinstance(item, list | tuple):
            out += b"["
            stack.append(b"]")
            for index in range(len(item) - 1, -1, -1):
                stack.append(item[index])
                if index:
                    stack.append(b",")
        else:
            out += orjson.dumps(item, default=_default, option=_OPTIONS)
    return bytes(out)
