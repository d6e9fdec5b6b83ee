"""Pagination parameters and ``Link`` headers as Kratos (ory/x pagination) writes them."""

from __future__ import annotations

import base64
import json
import re

from starlette.requests import Request

from phalanx.errors import BadRequestError
from phalanx.selfservice.request import with_query

__all__ = [
    "INT64_MAX",
    "check_offset",
    "keyset_link_header",
    "migration_headers",
    "migration_page_params",
    "page_params",
    "parse_int64",
]

INT64_MAX = (1 << 63) - 1
_GO_INT = re.compile(r"[+-]?[0-9]{1,25}")


def parse_int64(raw: str) -> int | None:
    """Go's ``strconv.ParseInt(raw, 10, 64)``: ``None`` when ``raw`` is no decimal integer
    or lies outside the int64 range (Go answers an error there, never a wrapped value)."""
    if not _GO_INT.fullmatch(raw):
        return None
    value = int(raw)
    return value if -INT64_MAX - 1 <= value <= INT64_MAX else None


def check_offset(page: int, per_page: int) -> int:
    """``page * per_page`` as an SQL ``OFFSET``; 400 past the int64 range every database
    takes (Go would wrap around silently)."""
    offset = page * per_page
    if offset > INT64_MAX:
        raise BadRequestError(
            f"The requested page {page} is out of range: at {per_page} items per page its "
            "offset exceeds 9223372036854775807."
        )
    return offset


def page_params(request: Request, *, default: int, maximum: int) -> tuple[int, str | None]:
    """``page_size`` (or legacy ``per_page``) and ``page_token``."""
    raw = request.query_params.get("page_size") or request.query_params.get("per_page")
    size = default
    if raw is not None:
        parsed = parse_int64(raw)
        if parsed is None:
            raise BadRequestError(f"could not parse page_size {raw!r}")
        size = parsed
    size = max(1, min(size, maximum))
    token = request.query_params.get("page_token") or None
    return size, token


def keyset_link_header(request: Request, page_size: int, next_token: str | None) -> str:
    """``<…>; rel="first",<…>; rel="next"`` (next omitted on the last page)."""
    base = str(request.url)
    first = with_query(base, page_size=str(page_size), page_token=None)
    parts = [f'<{first}>; rel="first"']
    if next_token:
        nxt = with_query(base, page_size=str(page_size), page_token=next_token)
        parts.append(f'<{nxt}>; rel="next"')
    return ",".join(parts)


def _encode_offset(offset: int) -> str:
    raw = f'{{"offset":"{offset}","v":2}}'.encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _decode_offset(token: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        value = json.loads(raw).get("offset", 0)
        offset = max(int(value), 0)
    except (ValueError, TypeError, AttributeError, RecursionError):
        return 0
    if offset > INT64_MAX:
        raise BadRequestError(
            "Unable to parse pagination token: its offset exceeds 9223372036854775807."
        )
    return offset


def migration_page_params(request: Request) -> tuple[int, int]:
    """``(page, per_page)`` of ory/x ``migrationpagination``: ``page_token``/``page_size``
    (token = base64 ``{"offset": n}``) when either is present, else legacy ``page``/
    ``per_page``; 250 items by default, 1000 at most."""
    query = request.query_params

    def number(name: str, default: int) -> int:
        value = parse_int64(query.get(name, ""))
        return default if value is None else value

    if "page_token" in query or "page_size" in query:
        per_page = min(max(number("page_size", 250), 1), 1000)
        offset = _decode_offset(query.get("page_token") or "")
        return max(offset // per_page, 0), per_page
    per_page = min(max(number("per_page", 250), 1), 1000)
    page = max(number("page", 0), 0)
    check_offset(page, per_page)
    return page, per_page


def migration_headers(request: Request, total: int, page: int, per_page: int) -> dict[str, str]:
    """``X-Total-Count`` and ``Link`` (first/next/prev/last) exactly as ory/x
    ``pagination.HeaderWithFormatter`` with the migration formatter writes them."""
    base = str(request.url)

    def link(rel: str, limit: int, offset: int) -> str:
        url = with_query(
            base,
            page_size=str(limit),
            page_token=_encode_offset(offset),
            per_page=str(limit),
            page=str(offset // limit if limit else 0),
        )
        return f'<{url}>; rel="{rel}"'

    size = max(per_page, 1)
    offset = page * size
    last = total - size if total % size == 0 else (total // size) * size
    headers = {"X-Total-Count": str(total)}
    if offset >= last:
        if total == 0:
            headers["Link"] = ",".join(
                [
                    link("first", size, 0),
                    link("next", size, (offset // size + 1) * size),
                    link("prev", size, (offset // size - 1) * size),
                ]
            )
        elif total <= size:
            headers["Link"] = link("first", total, 0)
        else:
            headers["Link"] = ",".join([link("first", size, 0), link("prev", size, last - size)])
        return headers
    if offset < size:
        headers["Link"] = ",".join([link("next", size, size), link("last", size, last)])
        return headers
    headers["Link"] = ",".join(
        [
            link("first", size, 0),
            link("next", size, (offset // size + 1) * size),
            link("prev", size, (offset // size - 1) * size),
            link("last", size, last),
        ]
    )
    return headers
