"""Page-token pagination of ``/sessions`` and the admin identity sessions (ory/x
``migrationpagination``): parameters and the ``Link``/``X-Total-Count`` headers."""

from __future__ import annotations

import base64
import json

import pytest
from starlette.requests import Request

from phalanx.errors import BadRequestError
from phalanx.http.pagination import migration_headers, migration_page_params


def _request(query: str) -> Request:
    return Request(
        {
            "type": "http",
            "method": "GET",
            "scheme": "http",
            "server": ("example.test", 80),
            "path": "/sessions",
            "query_string": query.encode(),
            "headers": [(b"host", b"example.test")],
        }
    )


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(f'{{"offset":"{offset}","v":2}}'.encode()).decode().rstrip("=")


def _rels(header: str) -> dict[str, str]:
    out = {}
    for part in header.split(","):
        url, rel = part.split(";")
        out[rel.strip().removeprefix('rel="').removesuffix('"')] = url.strip().strip("<>")
    return out


def test_parameters() -> None:
    assert migration_page_params(_request("")) == (0, 250)
    assert migration_page_params(_request("page=2&per_page=10")) == (2, 10)
    assert migration_page_params(_request("per_page=5000")) == (0, 1000)
    assert migration_page_params(_request(f"page_size=10&page_token={_token(20)}")) == (2, 10)
    assert migration_page_params(_request("page_size=0&page_token=@@@")) == (0, 1)


def test_headers_first_middle_last_and_empty() -> None:
    first = migration_headers(_request("page_size=2"), 5, 0, 2)
    assert first["X-Total-Count"] == "5"
    assert set(_rels(first["Link"])) == {"next", "last"}
    next_url = _rels(first["Link"])["next"]
    token = next_url.split("page_token=")[1].split("&")[0]
    padded = token + "=" * (-len(token) % 4)
    assert json.loads(base64.urlsafe_b64decode(padded)) == {"offset": "2", "v": 2}
    middle = migration_headers(_request("page_size=2"), 5, 1, 2)
    assert set(_rels(middle["Link"])) == {"first", "next", "prev", "last"}
    last = migration_headers(_request("page_size=2"), 5, 2, 2)
    assert set(_rels(last["Link"])) == {"first", "prev"}
    single = migration_headers(_request(""), 3, 0, 250)
    assert set(_rels(single["Link"])) == {"first"}
    empty = migration_headers(_request(""), 0, 0, 250)
    assert empty["X-Total-Count"] == "0"


def test_numbers_follow_go_parse_int() -> None:
    """Past int64 Go's ParseInt fails and ory/x falls back to the defaults."""
    for huge in ("9223372036854775808", "1" * 400, "1" * 5000):
        assert migration_page_params(_request(f"page={huge}&per_page={huge}")) == (0, 250)
        assert migration_page_params(_request(f"page_size={huge}")) == (0, 250)


def test_offsets_past_int64_are_refused() -> None:
    with pytest.raises(BadRequestError, match="out of range"):
        migration_page_params(_request("page=9223372036854775807&per_page=2"))
    with pytest.raises(BadRequestError, match="pagination token"):
        migration_page_params(_request(f"page_token={_token(1 << 63)}"))
    assert migration_page_params(_request("page=4611686018427387903&per_page=2")) == (
        4611686018427387903,
        2,
    )
