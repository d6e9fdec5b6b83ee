"""Mailed links with an external UI (issue 9, item 2).

By default a ``link``-method link is used on ``GET``, as Kratos does: the 303 goes to the
configured UI. With ``phalanx.link_confirmation.enabled`` the GET answers a confirmation
page instead; its ``Content-Security-Policy: form-action`` must let the POST's 303 reach
the external UI (it allowed only ``'self'``, so browsers stopped there)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from phalanx.testing import (
    MailSink,
    confirmation_form,
    create_identity,
    link_of,
    mail_config,
    message_ids,
)
from tests.support.api import SpecClient
from tests.support.identities import unique_email
from tests.support.server import PhalanxServer, ServerFactory

pytestmark = pytest.mark.e2e

UI = "https://ui.example.com"


def _config(mail: MailSink, *, confirm: bool) -> dict[str, Any]:
    return mail_config(
        mail,
        phalanx={"link_confirmation": {"enabled": confirm}},
        selfservice={
            "allowed_return_urls": [f"{UI}/"],
            "methods": {"link": {"enabled": True}},
            "flows": {
                "recovery": {"use": "link", "ui_url": f"{UI}/recovery"},
                "verification": {"use": "link", "ui_url": f"{UI}/verification"},
                "settings": {"ui_url": f"{UI}/settings"},
                "login": {"ui_url": f"{UI}/login"},
            },
        },
    )


@pytest.fixture(scope="module")
def kratos_like(mail: MailSink, module_server_factory: ServerFactory) -> PhalanxServer:
    return module_server_factory.start(
        config=_config(mail, confirm=False), args=("--watch-courier",)
    )


@pytest.fixture(scope="module")
def confirming(mail: MailSink, module_server_factory: ServerFactory) -> PhalanxServer:
    return module_server_factory.start(
        config=_config(mail, confirm=True), args=("--watch-courier",)
    )


def _mailed_link(server: PhalanxServer, mail: MailSink, kind: str, email: str) -> str:
    with SpecClient(server.public_url) as api:
        flow = api.get(f"/self-service/{kind}/api").json()
        r = api.post(
            f"/self-service/{kind}?flow={flow['id']}", json={"method": "link", "email": email}
        )
        assert r.status_code == 200, r.text
    return link_of(mail.last(email))


def test_recovery_link_is_used_on_get(kratos_like: PhalanxServer, mail: MailSink) -> None:
    email = unique_email("link-get")
    identity = create_identity(kratos_like.admin_url, email)
    link = _mailed_link(kratos_like, mail, "recovery", email)
    with SpecClient(kratos_like.public_url, follow_redirects=False) as browser:
        r = browser.get(link, validate=False)
        assert r.status_code == 303, r.text
        assert r.headers["location"].startswith(f"{UI}/settings?flow=")
        whoami = browser.get("/sessions/whoami").json()
        assert whoami["identity"]["id"] == identity["id"]
        assert whoami["authentication_methods"][0]["method"] == "link_recovery"
    with SpecClient(kratos_like.public_url, follow_redirects=False) as again:
        r = again.get(link, validate=False)  # the token is spent
        assert r.status_code == 303 and r.headers["location"].startswith(f"{UI}/recovery?flow=")
        flow_id = r.headers["location"].split("flow=")[1]
        assert message_ids(again.get(f"/self-service/recovery/flows?id={flow_id}").json()) == [
            4060004
        ]


def test_verification_link_is_used_on_get(kratos_like: PhalanxServer, mail: MailSink) -> None:
    email = unique_email("verify-get")
    identity = create_identity(kratos_like.admin_url, email)
    link = _mailed_link(kratos_like, mail, "verification", email)
    with SpecClient(kratos_like.public_url, follow_redirects=False) as browser:
        r = browser.get(link, validate=False)
        assert r.status_code == 303, r.text
        assert r.headers["location"].startswith(UI)
    with SpecClient(kratos_like.admin_url) as admin:
        address = admin.get(f"/admin/identities/{identity['id']}").json()["verifiable_addresses"]
        assert address[0]["verified"] is True


def test_confirmation_page_lets_the_post_reach_the_external_ui(
    confirming: PhalanxServer, mail: MailSink
) -> None:
    email = unique_email("confirm-ext")
    create_identity(confirming.admin_url, email)
    link = _mailed_link(confirming, mail, "recovery", email)
    with SpecClient(confirming.public_url, follow_redirects=False) as browser:
        page = browser.get(link, validate=False)
        assert page.status_code == 200
        policy = page.headers["content-security-policy"]
        targets = re.search(r"form-action ([^;]+);", policy)
        assert targets is not None
        assert set(targets.group(1).split()) >= {"'self'", confirming.public_url, UI}
        action, fields = confirmation_form(page.text)
        r = browser.post(action, data=fields, validate=False)
        assert r.status_code == 303, r.text
        assert r.headers["location"].startswith(f"{UI}/settings?flow=")


def test_confirmation_page_post_still_needs_csrf(confirming: PhalanxServer, mail: MailSink) -> None:
    email = unique_email("confirm-csrf")
    create_identity(confirming.admin_url, email)
    link = _mailed_link(confirming, mail, "recovery", email)
    with SpecClient(confirming.public_url, follow_redirects=False) as browser:
        action, fields = confirmation_form(browser.get(link, validate=False).text)
        r = browser.post(action, data={**fields, "csrf_token": "forged"}, validate=False)
        assert r.status_code != 200 and "/settings" not in r.headers.get("location", "")
        assert browser.get("/sessions/whoami").status_code == 401
