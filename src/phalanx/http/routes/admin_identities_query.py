"""Query parameters and ``Link`` headers of ``GET /admin/identities``.

Mirrors Kratos's ``parseListIdentitiesParameters`` and ``x.ParseKeysetOrPagePagination``:

* keyset pagination (``page_size`` default 250, at most 500; ``page_token`` = the last id of
  the previous page, nil UUID for the first page) whenever ``page_token`` or ``page_size`` is
  present, or neither ``page`` is: ``Link: <...>; rel="first",<...>; rel="next"``
  (``next`` omitted on the last page; the request path and query with the two parameters
  replaced, keys sorted as Go's ``url.Values.Encode`` does);
* legacy page pagination with ``page`` (0-based) and ``per_page`` (default 250, at most
  500), refused past 1000 items, answered with ``X-Total-Count`` and a page ``Link``.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlencode

from starlette.requests import Request

from phalanx.errors import BadRequestError
from phalanx.http.pagination import parse_int64

__all__ = [
    "CREDENTIAL_TYPES",
    "DEFAULT_PAGE_SIZE",
    "LEGACY_LIMIT",
    "MAX_IDS",
    "MAX_PAGE_SIZE",
    "NIL_TOKEN",
    "ListParameters",
    "keyset_link",
    "page_link",
    "parse_include_credential",
    "parse_list_parameters",
]

DEFAULT_PAGE_SIZE = 250
MAX_PAGE_SIZE = 500
MAX_IDS = 500
LEGACY_LIMIT = 1000
NIL_TOKEN = "00000000-0000-0000-0000-000000000000"

#: Values Kratos's ``ParseCredentialsType`` accepts for ``include_credential``.
CREDENTIAL_TYPES = frozenset(
    {
        "password",
        "oidc",
        "saml",
        "totp",
        "lookup_secret",
        "webauthn",
        "code",
        "link_recovery",
        "code_recovery",
        "passkey",
    }
)


@dataclass(slots=True)
class ListParameters:
    """Parsed filters and pagination of one list request."""

    ids: list[uuid.UUID] | None = None
    organization_id: uuid.UUID | None = None
    credentials_identifier: str | None = None
    credentials_identifier_similar: str | None = None
    declassify: list[str] = field(default_factory=list)
    expand_credentials: bool = False
    page_size: int = DEFAULT_PAGE_SIZE
    page_token: uuid.UUID | None = None
    legacy_page: int | None = None
    per_page_as_page_size: bool = False

    @property
    def offset(self) -> int | None:
        return None if self.legacy_page is None else self.legacy_page * self.page_size


_GO_INT = re.compile(r"[+-]?[0-9]+")


def _go_atoi(raw: str) -> int:
    """Go's ``strconv.Atoi`` with its error text (no whitespace, no underscores)."""
    if not _GO_INT.fullmatch(raw):
        raise BadRequestError(f'strconv.Atoi: parsing "{raw}": invalid syntax')
    value = parse_int64(raw)
    if value is None:
        raise BadRequestError(f'strconv.Atoi: parsing "{raw}": value out of range')
    return value


def _lenient_int(raw: str | None, default: int) -> int:
    """Go's ``strconv.ParseInt`` falling back to ``default`` (pagepagination)."""
    value = parse_int64(raw or "")
    return default if value is None else value


def parse_include_credential(request: Request) -> list[str]:
    """``include_credential`` values (400 for an unknown credential type)."""
    out: list[str] = []
    for value in request.query_params.getlist("include_credential"):
        if value not in CREDENTIAL_TYPES:
            raise BadRequestError(f"Invalid value `{value}` for parameter `include_credential`.")
        out.append(value)
    return out


def _first(request: Request, name: str) -> str:
    """Go's ``cmp.Or(q[name]...)``: the first non-empty value."""
    return next((v for v in request.query_params.getlist(name) if v), "")


def _get(request: Request, name: str) -> str:
    """Go's ``url.Values.Get``: the first value, or empty."""
    values = request.query_params.getlist(name)
    return values[0] if values else ""


def parse_list_parameters(request: Request) -> ListParameters:
    """Parse and check every list parameter, raising 400s with Kratos's reasons."""
    query = request.query_params
    params = ListParameters()
    filters = 0
    raw_ids = query.getlist("ids")
    if raw_ids:
        filters += 1
        params.ids = []
        for value in raw_ids:
            try:
                params.ids.append(uuid.UUID(value))
            except ValueError:
                raise BadRequestError(
                    f"Invalid UUID value `{value}` for parameter `ids`."
                ) from None
        if len(params.ids) > MAX_IDS:
            raise BadRequestError(f"The number of ids to filter must not exceed {MAX_IDS}.")
    if org := _get(request, "organization_id"):
        filters += 1
        try:
            params.organization_id = uuid.UUID(org)
        except ValueError:
            raise BadRequestError(
                f"Invalid UUID value `{org}` for parameter `organization_id`."
            ) from None
    if identifier := _get(request, "credentials_identifier"):
        filters += 1
        params.expand_credentials = True
        params.credentials_identifier = identifier
    if similar := _get(request, "preview_credentials_identifier_similar"):
        filters += 1
        params.expand_credentials = True
        params.credentials_identifier_similar = similar
    includes = parse_include_credential(request)
    if includes:
        params.expand_credentials = True
        params.declassify = includes
    if filters > 1:
        raise BadRequestError("You cannot combine multiple filters in this API")
    _parse_pagination(request, params)
    return params


def _parse_pagination(request: Request, params: ListParameters) -> None:
    query = request.query_params
    keyset = "page_token" in query or "page_size" in query
    if keyset or "page" not in query:
        size_raw = _first(request, "page_size")
        if not keyset and "per_page" in query:
            # Kratos rewrites a lone per_page into page_size (also in the Link header).
            params.per_page_as_page_size = True
            size_raw = _get(request, "per_page")
        size = _go_atoi(size_raw) if size_raw else 0
        params.page_size = DEFAULT_PAGE_SIZE if size <= 0 else min(size, MAX_PAGE_SIZE)
        token = _first(request, "page_token")
        if token:
            try:
                params.page_token = uuid.UUID(token)
            except ValueError:
                raise BadRequestError(
                    "The page token is invalid, do not craft your own page tokens"
                ) from None
        return
    page = max(_lenient_int(_get(request, "page"), 0), 0)
    per_page = _lenient_int(_get(request, "per_page"), DEFAULT_PAGE_SIZE)
    per_page = max(min(per_page, MAX_PAGE_SIZE), 1)
    if page * per_page > LEGACY_LIMIT:
        raise BadRequestError(
            f"Legacy pagination is not supported for enumerating over {LEGACY_LIMIT} items. "
            "Please switch to using page_token and page_size."
        )
    params.legacy_page = page
    params.page_size = per_page


def _url(request: Request, replace: dict[str, str], drop: tuple[str, ...] = ()) -> str:
    pairs = [
        (k, v) for k, v in request.query_params.multi_items() if k not in replace and k not in drop
    ]
    pairs.extend(replace.items())
    pairs.sort(key=lambda kv: kv[0])
    query = urlencode(pairs)
    return f"{request.url.path}?{query}" if query else request.url.path


def keyset_link(request: Request, params: ListParameters, next_token: uuid.UUID | None) -> str:
    """Kratos's ``keysetpagination.Header``: ``first`` always, ``next`` unless last."""
    drop = ("per_page",) if params.per_page_as_page_size else ()

    def link(rel: str, token: str) -> str:
        replace = {"page_token": token, "page_size": str(params.page_size)}
        return f'<{_url(request, replace, drop)}>; rel="{rel}"'

    links = [link("first", NIL_TOKEN)]
    if next_token is not None:
        links.append(link("next", str(next_token)))
    return ",".join(links)


def page_link(request: Request, total: int, page: int, per_page: int) -> dict[str, str]:
    """Kratos's ``pagepagination.PaginationHeader``: ``X-Total-Count`` and a page ``Link``."""

    def link(rel: str, limit: int, offset: int) -> str:
        target = _url(request, {"per_page": str(limit), "page": str(offset // limit)})
        return f'<{target}>; rel="{rel}"'

    per_page = max(per_page, 1)
    offset = page * per_page
    last = total - per_page if total % per_page == 0 else (total // per_page) * per_page
    headers = {"X-Total-Count": str(total)}
    current = offset // per_page
    if offset >= last:
        if total == 0:
            links = [
                link("first", per_page, 0),
                link("next", per_page, (current + 1) * per_page),
                link("prev", per_page, (current - 1) * per_page),
            ]
        elif total <= per_page:
            links = [link("first", total, 0)]
        else:
            links = [link("first", per_page, 0), link("prev", per_page, last - per_page)]
    elif offset < per_page:
        links = [link("next", per_page, per_page), link("last", per_page, last)]
    else:
        links = [
            link("first", per_page, 0),
            link("next", per_page, (current + 1) * per_page),
            link("prev", per_page, (current - 1) * per_page),
            link("last", per_page, last),
        ]
    headers["Link"] = ",".join(links)
    return headers
