"""``examples/fastapi_app`` served by uvicorn, Phalanx mounted under ``/auth``: the seed's
settings flow through the official SDK, and a Chromium journey through the built-in UI and
the service's own pages."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import ory_kratos_client as kratos
import pytest

from phalanx.testing import PASSWORD, MailSink, code_of, free_port, unique_email
from phalanx.testing.sdk import frontend, login_api, register_api
from tests.support.env import clean_environ
from tests.support.paths import REPO
from tests.web.browser import chromium  # noqa: F401  (fixture)

pytestmark = pytest.mark.e2e

EXAMPLE = REPO / "examples" / "fastapi_app"
NEW_PASSWORD = "Correct-Horse-Staple-2026"
UVICORN = [
    sys.executable,
    "-m",
    "uvicorn",
    "app:app",
    "--host",
    "127.0.0.1",
    "--log-level",
    "warning",
]


@dataclass
class Example:
    url: str  # the service, no trailing slash
    mail: MailSink

    @property
    def auth(self) -> str:
        return f"{self.url}/auth"


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Example]:
    tmp = tmp_path_factory.mktemp("example")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with MailSink() as mail:
        env = clean_environ(
            {
                # Everything else comes from the example's kratos.yml.
                "DSN": f"sqlite:///{tmp / 'example.sqlite'}?_fk=true",
                "SERVE_PUBLIC_BASE_URL": f"{url}/auth/",
                "SELFSERVICE_DEFAULT_BROWSER_RETURN_URL": f"{url}/",
                "COURIER_SMTP_CONNECTION_URI": mail.connection_uri,
                "SELFSERVICE_METHODS_PASSWORD_CONFIG_HAVEIBEENPWNED_ENABLED": "false",
                "HASHERS_ALGORITHM": "bcrypt",
                "HASHERS_BCRYPT_COST": "4",
                "DEV": "true",  # plain-http cookies on 127.0.0.1
            }
        )
        stderr = (tmp / "stderr.log").open("wb")
        process = subprocess.Popen(
            [*UVICORN, "--port", str(port)],
            cwd=EXAMPLE,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            _wait_ready(f"{url}/auth/health/ready", process, tmp / "stderr.log")
            yield Example(url, mail)
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            stderr.close()
            sys.stderr.write((tmp / "stderr.log").read_text())


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the example exited: {log.read_text()}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"the example never got ready: {log.read_text()}")


def _bad_request_body(raised: pytest.ExceptionInfo[kratos.ApiException]) -> dict[str, Any]:
    assert raised.value.status == 400
    body: dict[str, Any] = json.loads(raised.value.body)
    return body


def _messages(flow: dict[str, Any], name: str) -> list[int]:
    for node in flow["ui"]["nodes"]:
        if node["attributes"].get("name") == name:
            return [m["id"] for m in node["messages"]]
    raise AssertionError(f"no node {name}")


def test_settings_flow_through_the_sdk(example: Example) -> None:
    email = unique_email("example")
    anonymous = httpx.get(f"{example.url}/api/me")
    whoami = httpx.get(f"{example.auth}/sessions/whoami")
    assert anonymous.status_code == whoami.status_code == 401
    assert anonymous.json() == whoami.json()

    with frontend(example.auth) as api:
        registered = register_api(api, email)
        token = registered.session_token
        assert registered.identity.metadata_public == {"plan": "free"}  # the Python hook
        me = httpx.get(f"{example.url}/api/me", headers={"X-Session-Token": token})
        assert me.status_code == 200, me.text
        assert me.json() == {
            "identity_id": registered.identity.id,
            "email": email,
            "name": {},
            "plan": "free",
            "aal": "aal1",
        }

        flow = api.create_native_settings_flow(x_session_token=token)
        assert flow.ui.action == f"{example.auth}/self-service/settings?flow={flow.id}"
        assert flow.request_url.startswith(f"{example.auth}/self-service/settings/api")

        # Profile: a bad address first (the seed's validation error), then a name.
        bad = kratos.UpdateSettingsFlowBody(
            kratos.UpdateSettingsFlowWithProfileMethod(
                method="profile", traits={"email": "notanemail"}
            )
        )
        with pytest.raises(kratos.ApiException) as raised:
            api.update_settings_flow(
                flow=flow.id, x_session_token=token, update_settings_flow_body=bad
            )
        assert _messages(_bad_request_body(raised), "traits.email") == [4000001]
        profile = kratos.UpdateSettingsFlowBody(
            kratos.UpdateSettingsFlowWithProfileMethod(
                method="profile",
                traits={"email": email, "name": {"first": "Ada", "last": "Lovelace"}},
            )
        )
        saved = api.update_settings_flow(
            flow=flow.id, x_session_token=token, update_settings_flow_body=profile
        )
        assert saved.state == "success"
        assert [m.id for m in saved.ui.messages] == [1050001]
        assert saved.identity.traits["name"] == {"first": "Ada", "last": "Lovelace"}

        # Password, in a new flow.
        flow = api.create_native_settings_flow(x_session_token=token)
        password = kratos.UpdateSettingsFlowBody(
            kratos.UpdateSettingsFlowWithPasswordMethod(method="password", password=NEW_PASSWORD)
        )
        saved = api.update_settings_flow(
            flow=flow.id, x_session_token=token, update_settings_flow_body=password
        )
        assert saved.state == "success"

        with pytest.raises(kratos.ApiException) as raised:
            login_api(api, email, PASSWORD)
        assert [m["id"] for m in _bad_request_body(raised)["ui"]["messages"]] == [4000006]
        second = login_api(api, email, NEW_PASSWORD).session_token
        assert api.to_session(x_session_token=second).identity.traits["name"]["first"] == "Ada"
        me = httpx.get(f"{example.url}/api/me", headers={"Authorization": f"Bearer {second}"})
        assert me.json()["name"] == {"first": "Ada", "last": "Lovelace"}

        # A logout is seen by the service at once.
        api.perform_native_logout(kratos.PerformNativeLogoutBody(session_token=second))
        me = httpx.get(f"{example.url}/api/me", headers={"X-Session-Token": second})
        assert me.status_code == 401
        assert me.json()["error"]["reason"] == (
            "No valid session credentials found in the request."
        )


def _at(page: Any, path: str) -> str:
    parts = urlsplit(page.url)
    assert parts.path == path, page.url
    return parts.query


def _press(page: Any, selector: str) -> None:
    page.click(selector)
    page.wait_for_load_state()


def test_browser_journey(example: Example, chromium: Any) -> None:  # noqa: F811
    email = unique_email("journey")
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: errors.append(r.url) if r.status >= 400 else None)
    try:
        page.goto(f"{example.url}/")
        _press(page, "#sign-up")
        assert "flow=" in _at(page, "/auth/ui/registration")
        page.fill("input[name='traits.email']", email)
        if page.locator("button[name=method][value=profile]").count():
            _press(page, "button[name=method][value=profile]")  # two-step sign-up
        page.fill("input[name=password]", PASSWORD)
        _press(page, "button[name=method][value=password]")
        # Back on the service, which reads the session cookie Phalanx set.
        _at(page, "/")
        assert page.inner_text("#hello") == f"Hello {email}"
        cookies = {c["name"]: c for c in context.cookies()}
        assert cookies["ory_kratos_session"]["path"] == "/"

        # Verify the address with the mailed code (a CSRF-protected form under /auth).
        page.goto(f"{example.auth}/ui/verification")
        _at(page, "/auth/ui/verification")
        # Registration sent the first code (to another flow); wait for it to be delivered.
        sent = len(example.mail.wait(email, 1))
        page.fill("input[name=email]", email)
        _press(page, "button[name=method][value=code]")
        mail = example.mail.wait(email, sent + 1)[-1]
        page.fill("input[name=code]", code_of(mail))
        _press(page, "button[name=method][value=code]")
        assert page.locator("[role=status]", has_text="successfully verified").count() == 1

        # Settings through the service's link: Phalanx's UI under the prefix.
        page.goto(f"{example.url}/")
        _press(page, "#settings")
        _at(page, "/auth/ui/settings")
        page.fill("input[name='traits.name.first']", "Grace")
        _press(page, "button[name=method][value=profile]")
        _at(page, "/auth/ui/settings")
        assert "saved" in page.inner_text("[role=status]")
        me = page.evaluate("fetch('/api/me').then(r => r.json())")
        assert me["name"] == {"first": "Grace"} and me["plan"] == "free"

        # Sign out from Phalanx's UI: back on the service (the default return URL), which
        # sees no session any more.
        _press(page, "text=Sign out")
        _at(page, "/")
        assert page.locator("#sign-in").count() == 1
        _press(page, "#sign-in")
        assert "flow=" in _at(page, "/auth/ui/login")
        assert errors == []
    finally:
        context.close()
