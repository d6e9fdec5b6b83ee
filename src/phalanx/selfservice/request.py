"""A framework-neutral view of an HTTP request, and the Outcome a flow step returns.

Flows and strategies see :class:`FlowRequest`, never Starlette; ``http/adapter.py``
alone builds one from a Starlette request and turns an :class:`Outcome` into a response.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

if TYPE_CHECKING:
    from phalanx.session.model import Session

__all__ = ["FlowRequest", "Outcome", "with_query"]


@dataclass(slots=True)
class FlowRequest:
    """What a flow needs to know about the request.

    ``is_json`` is Kratos's ``IsJSONRequest`` (Accept negotiates JSON, or the body is
    JSON); ``accepts_json`` is the Accept-only negotiation used to choose between a 303
    and a JSON answer on success.
    """

    method: str
    url: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    cookies: Mapping[str, str]
    client_ip: str | None = None
    #: The TCP peer's address (``client_ip`` believes any ``X-Forwarded-For``, as Kratos
    #: does for session devices; the rate limiter trusts it only from trusted proxies).
    peer_ip: str | None = None
    is_json: bool = False
    accepts_json: bool = False
    body: dict[str, Any] = field(default_factory=dict)
    csrf_cookie: str | None = None
    session: Session | None = None
    session_token: str | None = None
    session_from_cookie: bool = False

    @property
    def user_agent(self) -> str | None:
        return self.headers.get("user-agent")

    @property
    def is_form(self) -> bool:
        """Whether the body is an HTML form (URL-encoded or multipart): strings only,
        typed by the flow's body schema (:mod:`phalanx.selfservice.form`)."""
        media = self.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        return media in ("application/x-www-form-urlencoded", "multipart/form-data")

    def query_list(self, name: str) -> list[str]:
        value = self.query.get(name)
        return [value] if value is not None else []


@dataclass(slots=True)
class Outcome:
    """A flow step's answer: JSON (``body``) or a redirect (``location``), plus cookies.

    ``issue_session`` sets the session cookie for that session (its plaintext token
    must be known); ``clear_session`` removes it; ``rotate_csrf`` replaces the CSRF
    cookie; ``set_csrf`` sets a given real CSRF token as cookie.
    """

    status: int = 200
    body: Any = None
    location: str | None = None
    issue_session: Session | None = None
    clear_session: bool = False
    rotate_csrf: bool = False
    set_csrf: str | None = None
    #: Value for the ``ory_kratos_continuity`` cookie (OIDC round-trips); "" clears it.
    set_continuity: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, body: Any, status: int = 200) -> Outcome:
        return cls(status=status, body=body)

    @classmethod
    def redirect(cls, location: str, status: int = 303) -> Outcome:
        return cls(status=status, location=location)


def with_query(url: str, **params: str | None) -> str:
    """``url`` with the given query parameters set (None removes one)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query.extend((k, v) for k, v in params.items() if v is not None)
    return urlunsplit(parts._replace(query=urlencode(query)))
