"""Helpers of the console tests: a console client with its CSRF token, form scraping."""

from __future__ import annotations

import re
from html import unescape

import httpx

__all__ = ["ConsoleClient", "csrf_token", "form_actions"]

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_ACTION = re.compile(r'<form[^>]*action="([^"]+)"[^>]*method="post"')


def csrf_token(html: str) -> str:
    match = _CSRF.search(html)
    assert match is not None, "page has no CSRF token"
    return unescape(match.group(1))


def form_actions(html: str) -> list[str]:
    """Every POST form action of a page."""
    return [unescape(a) for a in _ACTION.findall(html)]


class ConsoleClient(httpx.Client):
    """An httpx client on the admin port that keeps the console's cookies."""

    def __init__(self, admin_url: str) -> None:
        super().__init__(base_url=admin_url, timeout=15, follow_redirects=False)

    def page(self, path: str, status: int = 200) -> str:
        response = self.get(f"/admin/ui/{path}")
        assert response.status_code == status, (path, response.status_code, response.text[:500])
        return response.text

    def submit(self, path: str, data: dict[str, str], *, token_from: str) -> httpx.Response:
        """POST ``data`` with the CSRF token of the page at ``token_from``."""
        token = csrf_token(self.page(token_from))
        return self.post(f"/admin/ui/{path}", data={**data, "csrf_token": token})
