"""Drive self-service flows over HTTP as a browser or a native app would.

Everything here talks to a running Phalanx through ``httpx``: a server on a port (give
its public URL, or anything with a ``public_url``) or an app in this process (give an
``httpx.Client`` such as Starlette's ``TestClient``; a mount prefix goes into its
``base_url``). Each answer can be checked by a function set with
:func:`set_response_check` (the project's own tests check them against Kratos's OpenAPI
spec).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

import httpx

from phalanx.testing.flows import csrf_token, node
from phalanx.testing.mail import MailSink, code_of

__all__ = [
    "JSON",
    "PASSWORD",
    "Browser",
    "client",
    "create_identity",
    "logged_in",
    "login_browser",
    "register_api",
    "register_verify_login",
    "set_response_check",
    "unique_email",
]

#: A password every policy check accepts (long, not similar to test e-mails, not breached).
PASSWORD = "Tr0ub4dor&3-horse-battery"
JSON = {"Accept": "application/json"}

Check = Callable[[httpx.Response], None]
_check: Check | None = None


def set_response_check(check: Check | None) -> None:
    """Call ``check(response)`` on every answer the drivers of this module receive (a
    spec validator, say); ``None`` turns it off."""
    global _check
    _check = check


def _run_check(response: httpx.Response) -> None:
    if _check is not None:
        response.read()
        _check(response)


def _checked(response: httpx.Response) -> httpx.Response:
    _run_check(response)
    return response


class _HasPublicUrl(Protocol):
    @property
    def public_url(self) -> str: ...


Target = str | httpx.Client | _HasPublicUrl


def unique_email(prefix: str = "user") -> str:
    """An e-mail address no other test of a shared server uses."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"


def client(base_url: str, **kwargs: Any) -> httpx.Client:
    """A cookie-keeping client that never follows redirects; answers are checked (see
    :func:`set_response_check`)."""
    return httpx.Client(
        base_url=base_url,
        timeout=30.0,
        follow_redirects=False,
        event_hooks={"response": [_run_check]},
        **kwargs,
    )


class Browser:
    """A browser: cookie jar, no automatic redirects, checked answers. ``json=True`` is an
    SPA (``Accept: application/json``, JSON bodies), ``json=False`` a plain HTML form post
    that gets 303s."""

    def __init__(self, target: Target, *, json: bool = True, **headers: str) -> None:
        """``http`` is the underlying client: its answers are not checked (for requests
        the checker would refuse on purpose)."""
        self.json = json
        base_headers = dict(JSON) if json else {"Accept": "text/html"}
        base_headers.update(headers)
        if isinstance(target, httpx.Client):
            self.http = target
            self._owned = False
            self.http.headers.update(base_headers)
            self.http.follow_redirects = False
        else:
            base = target if isinstance(target, str) else target.public_url
            self.http = httpx.Client(
                base_url=base, headers=base_headers, follow_redirects=False, timeout=30
            )
            self._owned = True

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._owned:
            self.http.close()

    @property
    def cookies(self) -> httpx.Cookies:
        return self.http.cookies

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return _checked(self.http.get(url, **kwargs))

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return _checked(self.http.request(method, url, **kwargs))

    def init(self, kind: str, **params: str) -> dict[str, Any]:
        """A new browser flow as JSON (``Accept: application/json`` just for this call)."""
        r = self.get(f"self-service/{kind}/browser", params=params, headers=JSON)
        assert r.status_code == 200, r.text
        flow: dict[str, Any] = r.json()
        return flow

    def submit(
        self, flow: Mapping[str, Any], body: Mapping[str, Any], *, csrf: bool = True
    ) -> httpx.Response:
        """Post ``body`` to the flow's action: JSON for SPAs, form-encoded otherwise; the
        flow's ``csrf_token`` is added unless ``csrf=False``."""
        data = dict(body)
        if csrf:
            data.setdefault("csrf_token", node(flow, "csrf_token")["attributes"]["value"])
        action = str(flow["ui"]["action"])
        if self.json:
            return self.request("POST", action, json=data)
        return self.request("POST", action, data=data)

    def register(self, email: str | None = None, password: str = PASSWORD) -> httpx.Response:
        flow = self.init("registration")
        return self.submit(
            flow,
            {"method": "password", "traits.email": email or unique_email(), "password": password},
        )

    def login(self, identifier: str, password: str = PASSWORD, **params: str) -> httpx.Response:
        flow = self.init("login", **params)
        return self.submit(
            flow, {"method": "password", "identifier": identifier, "password": password}
        )

    def verify(self, email: str, mail: MailSink) -> httpx.Response:
        """Verify ``email`` with the ``code`` method: ask for a code, read it from ``mail``,
        submit it (the answer is the flow in ``passed_challenge``)."""
        flow = self.init("verification")
        r = self.submit(flow, {"method": "code", "email": email})
        assert r.status_code in (200, 303), r.text
        code = code_of(mail.wait_for(email, flow["id"]))  # the mail's link names the flow
        return self.submit(flow, {"method": "code", "code": code})

    def whoami(self) -> httpx.Response:
        return self.get("sessions/whoami")


def register_verify_login(
    browser: Browser, mail: MailSink, email: str | None = None, password: str = PASSWORD
) -> dict[str, Any]:
    """Register with a password, verify the address by code, log in: the session."""
    email = email or unique_email()
    r = browser.register(email, password)
    assert r.status_code in (200, 303), r.text
    r = browser.verify(email, mail)
    assert r.status_code in (200, 303), r.text
    r = browser.login(email, password, refresh="true")
    assert r.status_code in (200, 303), r.text
    r = browser.whoami()
    assert r.status_code == 200, r.text
    session: dict[str, Any] = r.json()
    return session


def register_api(
    public_url: str, email: str | None = None, password: str = PASSWORD
) -> tuple[str, dict[str, Any]]:
    """Register through the API flow; the session token and the identity (needs the
    ``session`` hook after password registration, as in :func:`flows_config`)."""
    email = email or unique_email("settings")
    with client(public_url) as http:
        flow = http.get("/self-service/registration/api", headers=JSON).json()
        response = http.post(
            flow["ui"]["action"],
            headers=JSON,
            json={"traits.email": email, "password": password, "method": "password"},
        )
    assert response.status_code == 200, response.text
    body = response.json()
    return body["session_token"], body["identity"]


def login_browser(http: httpx.Client, email: str, password: str = PASSWORD) -> dict[str, Any]:
    """A browser login as a JSON client: leaves the session cookie in ``http``."""
    flow = http.get("/self-service/login/browser", headers=JSON).json()
    response = http.post(
        flow["ui"]["action"],
        headers=JSON,
        json={
            "identifier": email,
            "password": password,
            "method": "password",
            "csrf_token": csrf_token(flow),
        },
    )
    assert response.status_code == 200, response.text
    session: dict[str, Any] = response.json()["session"]
    return session


@contextmanager
def logged_in(public_url: str, email: str, password: str = PASSWORD) -> Iterator[httpx.Client]:
    """A cookie jar logged in through the browser login flow."""
    with client(public_url) as http:
        login_browser(http, email, password)
        yield http


def create_identity(admin_url: str, email: str, password: str = PASSWORD) -> dict[str, Any]:
    """An identity with a password, through the admin API (``POST /admin/identities``)."""
    body = {
        "schema_id": "default",
        "traits": {"email": email},
        "credentials": {"password": {"config": {"password": password}}},
    }
    response = httpx.post(f"{admin_url}/admin/identities", json=body, timeout=10)
    assert response.status_code == 201, response.text
    identity: dict[str, Any] = response.json()
    return identity
