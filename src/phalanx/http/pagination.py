"""Pagination parameters and ``Link`` headers as Kratos (ory/x pagination) writes them."""

from __future__ import annotations

from starlette.requests import Request

from phalanx.errors import BadRequestError
from phalanx.selfservice.request import with_query

__all__ = ["keyset_link_header", "page_params"]


def page_params(request: Request, *, default: int, maximum: int) -> tuple[int, str | None]:
    """``page_size`` (or legacy ``per_page``) and ``page_token``."""
    raw = request.query_params.get("page_size") or request.query_params.get("per_page")
    size = default
    if raw is not None:
        try:
            size = int(raw)
        except ValueError:
            raise BadRequestError(f"could not parse page_size {raw!r}") from None
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
