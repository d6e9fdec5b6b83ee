"""Reading flows and answers: nodes, messages, CSRF tokens, cookies, query strings."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

__all__ = [
    "csrf_cookie_name",
    "csrf_token",
    "group_nodes",
    "message_ids",
    "node",
    "node_messages",
    "query_of",
    "set_cookies",
]


def node(
    flow: Mapping[str, Any], name: str, group: str | None = None, *, type: str | None = None
) -> dict[str, Any]:
    """The first node of the flow's UI whose ``name`` (or ``id``) is ``name``, in ``group``
    and of input ``type`` when given; fails the test when there is none."""
    for item in flow["ui"]["nodes"]:
        attributes = item["attributes"]
        if name not in (attributes.get("name"), attributes.get("id")):
            continue
        if group in (None, item["group"]) and type in (None, attributes.get("type")):
            return dict(item)
    names = [n["attributes"].get("name") or n["attributes"].get("id") for n in flow["ui"]["nodes"]]
    raise AssertionError(f"no node {name!r} (group {group}, type {type}) in {names}")


def group_nodes(flow: Mapping[str, Any], group: str) -> list[dict[str, Any]]:
    return [n for n in flow["ui"]["nodes"] if n["group"] == group]


def message_ids(container: Mapping[str, Any]) -> list[int]:
    """Message ids of a flow's ``ui`` (given the flow or its ``ui``) or of a node."""
    if "ui" in container:
        container = container["ui"]
    return [int(m["id"]) for m in container.get("messages") or []]


def node_messages(flow: Mapping[str, Any], name: str) -> list[int]:
    return message_ids(node(flow, name))


def csrf_token(flow: Mapping[str, Any]) -> str:
    value = node(flow, "csrf_token", "default")["attributes"].get("value")
    assert isinstance(value, str)
    return value


def csrf_cookie_name(public_base_url: str) -> str:
    """``csrf_token_<sha256(serve.public.base_url)>`` (give the base URL as configured)."""
    return "csrf_token_" + hashlib.sha256(public_base_url.encode()).hexdigest()


def query_of(url: str) -> dict[str, str]:
    """The URL's query, first value of each key."""
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def set_cookies(response: httpx.Response) -> dict[str, SimpleCookie]:
    """``Set-Cookie`` headers by cookie name (the parsed morsel keeps the attributes)."""
    out: dict[str, SimpleCookie] = {}
    for raw in response.headers.get_list("set-cookie"):
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(raw)
        for name in cookie:
            out[name] = cookie
    return out
