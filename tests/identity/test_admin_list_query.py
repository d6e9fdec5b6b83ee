"""Parsing of ``GET /admin/identities`` parameters and the Link headers Kratos writes."""

from __future__ import annotations

import uuid

import pytest
from starlette.requests import Request

from phalanx.errors import BadRequestError
from phalanx.http.routes.admin_identities_query import (
    NIL_TOKEN,
    keyset_link,
    page_link,
    parse_list_parameters,
)


def _request(query: str) -> Request:
    return Request(
        {
            "type": "http",
            "method": "GET",
            "path": "/admin/identities",
            "raw_path": b"/admin/identities",
            "query_string": query.encode(),
            "headers": [],
        }
    )


def test_keyset_defaults_and_link() -> None:
    request = _request("")
    params = parse_list_parameters(request)
    assert params.page_size == 250 and params.page_token is None and params.legacy_page is None
    assert keyset_link(request, params, None) == (
        f'</admin/identities?page_size=250&page_token={NIL_TOKEN}>; rel="first"'
    )
    nxt = uuid.uuid4()
    request = _request("page_size=900&credentials_identifier=a%40b.c")
    params = parse_list_parameters(request)
    assert params.page_size == 500 and params.expand_credentials
    assert keyset_link(request, params, nxt) == (
        f"</admin/identities?credentials_identifier=a%40b.c&page_size=500&page_token={NIL_TOKEN}>;"
        f' rel="first",</admin/identities?credentials_identifier=a%40b.c&page_size=500'
        f'&page_token={nxt}>; rel="next"'
    )


def test_lone_per_page_becomes_page_size() -> None:
    request = _request("per_page=3")
    params = parse_list_parameters(request)
    assert params.page_size == 3 and params.legacy_page is None
    assert keyset_link(request, params, None).startswith("</admin/identities?page_size=3&")


def test_legacy_page_links_follow_kratos() -> None:
    request = _request("page=1&per_page=2")
    params = parse_list_parameters(request)
    assert params.legacy_page == 1 and params.offset == 2
    headers = page_link(request, total=7, page=1, per_page=2)
    assert headers["X-Total-Count"] == "7"
    assert headers["Link"] == (
        '</admin/identities?page=0&per_page=2>; rel="first",'
        '</admin/identities?page=2&per_page=2>; rel="next",'
        '</admin/identities?page=0&per_page=2>; rel="prev",'
        '</admin/identities?page=3&per_page=2>; rel="last"'
    )
    assert page_link(_request("page=0&per_page=5"), 3, 0, 5)["Link"] == (
        '</admin/identities?page=0&per_page=3>; rel="first"'
    )


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("page_size=1x", 'strconv.Atoi: parsing "1x": invalid syntax'),
        ("page_size= 1", 'strconv.Atoi: parsing " 1": invalid syntax'),
        ("page_token=abc", "The page token is invalid, do not craft your own page tokens"),
        ("page=501&per_page=2", "Legacy pagination is not supported"),
        ("organization_id=x", "Invalid UUID value `x` for parameter `organization_id`."),
        (
            "organization_id=7809f23a-30f5-4e90-a53a-3797b7b9f2aa"
            "&preview_credentials_identifier_similar=a",
            "You cannot combine multiple filters in this API",
        ),
    ],
)
def test_bad_parameters(query: str, reason: str) -> None:
    with pytest.raises(BadRequestError) as info:
        parse_list_parameters(_request(query))
    assert info.value.reason is not None and info.value.reason.startswith(reason)
