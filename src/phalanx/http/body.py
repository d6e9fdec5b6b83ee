"""Request body decoding: JSON and form bodies into one nested mapping.

Kratos accepts ``application/json`` and ``application/x-www-form-urlencoded`` (and
multipart) on every submit endpoint, and dotted keys (``traits.email``) in both. A form
field sent more than once keeps one value as Kratos's form decoder does (the first; the
last for a boolean), except ``traits.*`` fields, which the flow types by the identity
schema (:mod:`phalanx.selfservice.form`).
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.types import Message

from phalanx.errors import BadRequestError, PayloadTooLargeError
from phalanx.http.guard import JSONTooDeepError, check_document
from phalanx.selfservice.form import FormValues, form_field_value

__all__ = ["MAX_BODY_BYTES", "expand_dotted", "read_body", "read_json"]

MAX_BODY_BYTES = 1 << 20


async def _raw(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLargeError(f"The request body exceeds the limit of {limit} bytes.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError(f"The request body exceeds the limit of {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


async def _replayable(request: Request, limit: int) -> Request:
    """The request with its body read (at most ``limit`` bytes, else 413) and replayed,
    so that Starlette's form parser never buffers more than the limit."""
    raw = await _raw(request, limit)
    replayed = False

    async def receive() -> Message:
        nonlocal replayed
        if replayed:
            return {"type": "http.disconnect"}
        replayed = True
        return {"type": "http.request", "body": raw, "more_body": False}

    return Request(request.scope, receive)


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def read_json(
    request: Request, *, limit: int = MAX_BODY_BYTES, strict_media_type: bool = True
) -> Any:
    """Decode a JSON body strictly (admin API); ``strict_media_type=False`` ignores the
    ``Content-Type`` header (Kratos's ``HTTPJSONDecoder``)."""
    raw = await _raw(request, limit)
    media = _media_type(request)
    if strict_media_type and media and media != "application/json" and not media.endswith("+json"):
        raise BadRequestError(
            f"Unable to decode body because HTTP Request Header Content-Type is not "
            f"application/json but {media!r}."
        )
    if not raw.strip():
        raise BadRequestError("Unable to decode JSON payload: the request body is empty.")
    decoded = _loads(raw)
    check_document(decoded)
    return decoded


def _loads(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if "depth" in exc.msg:  # orjson's own limit (1024), far above ours
            raise JSONTooDeepError() from exc
        raise BadRequestError(f"Unable to decode JSON payload: {exc.msg}.") from exc


def _set_path(target: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = target
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value


def expand_dotted(data: dict[str, Any]) -> dict[str, Any]:
    """Turn ``{"traits.name.first": "A"}`` into ``{"traits": {"name": {"first": "A"}}}``.

    Nested objects already present are merged; dotted keys win over nested ones, as
    Kratos's decoder applies them after the JSON object.
    """
    out: dict[str, Any] = {}
    dotted: list[tuple[str, Any]] = []
    for key, value in data.items():
        if "." in key:
            dotted.append((key, value))
        elif isinstance(value, dict):
            existing = out.get(key)
            out[key] = {**existing, **value} if isinstance(existing, dict) else dict(value)
        else:
            out[key] = value
    for key, value in dotted:
        _set_path(out, key, value)
    return out


async def read_body(request: Request, *, limit: int = MAX_BODY_BYTES) -> dict[str, Any]:
    """Decode a self-service submit body (JSON, form or multipart) into a nested dict."""
    media = _media_type(request)
    if media in ("application/x-www-form-urlencoded", "multipart/form-data"):
        bounded = await _replayable(request, limit)
        try:
            form = await bounded.form(max_files=0, max_fields=1000)
        except Exception as exc:  # malformed multipart and friends
            raise BadRequestError(f"Unable to decode form body: {exc}") from exc
        flat: dict[str, Any] = {}
        for key in form:
            values = [v for v in form.getlist(key) if isinstance(v, str)]
            if len(values) == 1:
                flat[key] = values[0]
            elif values and key.startswith("traits."):
                flat[key] = FormValues(values)  # typed later by the identity schema
            elif values:
                flat[key] = form_field_value(key, values)
        expanded = expand_dotted(flat)
        check_document(expanded)
        return expanded
    raw = await _raw(request, limit)
    if not raw.strip():
        return {}
    if media and media != "application/json" and not media.endswith("+json"):
        raise BadRequestError(
            f"Unable to decode body because HTTP Request Header Content-Type {media!r} is not "
            "supported."
        )
    decoded = _loads(raw)
    if not isinstance(decoded, dict):
        raise BadRequestError("Unable to decode JSON payload: expected a JSON object.")
    expanded = expand_dotted(decoded)
    check_document(expanded)
    return expanded
