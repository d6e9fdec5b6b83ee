"""Second factors against a real server: config, TOTP codes, enrolment and aal2 logins.

* :func:`mfa_config` -- settings-suite config with ``totp`` (and ``lookup_secret``) on;
* :func:`totp_secret` -- the secret a settings flow shows (``totp_secret_key`` text node);
* :func:`totp_code` -- a code for the current step (``offset`` steps away) with ``pyotp``;
  :func:`fresh_window` waits out the last seconds of a step so the three valid steps
  (previous, current, next) stay valid for the test that follows. Phalanx accepts each
  step once per identity, so a test uses offsets -1, 0, +1 in that order;
* :func:`enroll_totp_api`, :func:`password_login_api`, :func:`aal2_flow_api`,
  :func:`submit_totp_api` -- the native (API) steps.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import httpx
import pyotp

from phalanx.testing import JSON, PASSWORD, client, node, settings_config
from tests.support.server import deep_merge

__all__ = [
    "aal2_flow_api",
    "enroll_totp_api",
    "fresh_window",
    "mfa_config",
    "password_login_api",
    "submit_totp_api",
    "totp_code",
    "totp_secret",
]


def mfa_config(extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    base = settings_config(
        {
            "selfservice": {
                "methods": {
                    "totp": {"enabled": True, "config": {"issuer": "Phalanx Test"}},
                    "lookup_secret": {"enabled": True},
                }
            }
        }
    )
    return deep_merge(base, extra or {})


def totp_secret(flow: Mapping[str, Any]) -> str:
    secret = node_by_id(flow, "totp_secret_key")["attributes"]["text"]["context"]["secret"]
    assert isinstance(secret, str) and len(secret) == 32
    return secret


def node_by_id(flow: Mapping[str, Any], identifier: str) -> dict[str, Any]:
    """A node by ``attributes.id`` (text, img, script) or ``attributes.name`` (inputs)."""
    for item in flow["ui"]["nodes"]:
        attrs = item["attributes"]
        if attrs.get("id") == identifier or attrs.get("name") == identifier:
            return dict(item)
    raise AssertionError(f"no node {identifier!r} in {flow['ui']['nodes']}")


def fresh_window(margin: float = 4.0) -> None:
    """Sleep into the next 30 s step when fewer than ``margin`` seconds are left."""
    left = 30 - (time.time() % 30)
    if left < margin:
        time.sleep(left + 0.05)


def totp_code(secret: str, offset: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * offset)


def password_login_api(public_url: str, email: str, password: str = PASSWORD) -> dict[str, Any]:
    """A native password login; the raw answer (``session.identity`` is null when a second
    factor is still due, which the spec does not allow, so this client does not validate)."""
    with httpx.Client(base_url=public_url, timeout=30.0) as http:
        flow = http.get("/self-service/login/api").json()
        r = http.post(
            flow["ui"]["action"],
            json={"identifier": email, "password": password, "method": "password"},
        )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def enroll_totp_api(public_url: str, token: str, offset: int = -1) -> str:
    """Link TOTP through the API settings flow; the secret."""
    with client(public_url) as http:
        headers = {**JSON, "X-Session-Token": token}
        flow = http.get("/self-service/settings/api", headers=headers).json()
        secret = totp_secret(flow)
        r = http.post(
            flow["ui"]["action"],
            headers=headers,
            json={"method": "totp", "totp_code": totp_code(secret, offset)},
        )
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "success"
    return secret


def aal2_flow_api(http: httpx.Client, token: str, **params: str) -> dict[str, Any]:
    r = http.get(
        "/self-service/login/api",
        params={"aal": "aal2", **params},
        headers={"X-Session-Token": token},
    )
    assert r.status_code == 200, r.text
    flow: dict[str, Any] = r.json()
    return flow


def submit_totp_api(
    http: httpx.Client, flow: Mapping[str, Any], token: str, code: str
) -> httpx.Response:
    return http.post(
        flow["ui"]["action"],
        headers={"X-Session-Token": token},
        json={"method": "totp", "totp_code": code, "csrf_token": csrf_of(flow)},
    )


def csrf_of(flow: Mapping[str, Any]) -> str:
    value = node(flow, "csrf_token")["attributes"].get("value")
    return value if isinstance(value, str) else ""
