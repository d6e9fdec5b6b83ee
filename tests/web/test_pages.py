"""Whole pages as HTML: structure, accessibility basics, links, no third-party assets."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from phalanx.config import Config
from phalanx.web.pages import error_page, flow_page, init_url, welcome_page
from tests.web import flows
from tests.web.a11y import assert_accessible
from tests.web.conftest import ConfigFactory
from tests.web.dom import Element, parse
from tests.web.static_app import OTHER_SESSION, SESSION

CASES = {
    "login": ("login", flows.login_flow(oidc=True)),
    "login-errors": ("login", flows.login_flow(errors=True)),
    "registration": ("registration", flows.registration_flow(email_error=True)),
    "settings": ("settings", flows.settings_flow(success=True, password_error=True)),
    "recovery": ("recovery", flows.recovery_sent_email()),
    "verification": ("verification", flows.verification_passed()),
    "future": ("login", flows.future_method_login()),
}


def render(config: Config, case: str) -> Element:
    kind, flow = CASES[case]
    return parse(flow_page(config, kind, flow))


def assert_self_contained(html: str, config: Config) -> None:
    """No inline script/style and no asset from anywhere but this origin (or data:); the
    only scripts are files (``webauthn.js`` and its binder) loaded by ``src``."""
    assert not re.search(r"<script(?![^>]*\ssrc=)", html)
    assert "<style" not in html
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)
    doc = parse(html)
    for el in doc.iter():
        for attr in ("src", "href"):
            value = el.get(attr)
            if value is None or el.tag == "a":
                continue
            assert value.startswith(("/", "data:", config.public_base_url)), (el.tag, value)


@pytest.mark.parametrize("case", sorted(CASES))
def test_flow_pages_are_accessible_and_self_contained(config: Config, case: str) -> None:
    kind, flow = CASES[case]
    html = flow_page(config, kind, flow)
    assert_accessible(parse(html))
    assert_self_contained(html, config)


def test_login_page(config: Config) -> None:
    doc = render(config, "login")
    assert doc.find("title").text == "Sign in · Phalanx"
    assert doc.find("h1").text == "Sign in"
    (form,) = doc.find_all("form")
    assert form["action"] == flows.login_flow()["ui"]["action"]
    assert form["method"] == "post"
    hidden = form.find("input", type="hidden")
    assert (hidden["name"], hidden["value"]) == ("csrf_token", flows.CSRF)
    identifier = form.find("input", name="identifier")
    assert identifier.has("required") and identifier["autocomplete"] == "username"
    password = form.find("input", name="password")
    assert password["type"] == "password" and not password.has("value")
    submit = form.find("button", name="method")
    assert (submit["type"], submit["value"], submit.text) == (
        "submit",
        "password",
        "Sign in with password",
    )
    social = form.find("button", name="provider")
    assert social.has("formnovalidate") and social["value"] == "github"
    assert doc.find("p", class_="separator").text == "or"
    links = {a.text: a["href"] for a in doc.find("nav").find_all("a")}
    assert links == {
        "Forgot your password?": f"{config.public_base_url}self-service/recovery/browser",
        "Create an account": f"{config.public_base_url}self-service/registration/browser",
    }
    # Asset URLs are same-origin paths.
    assert doc.find("link", rel="stylesheet")["href"].startswith("/ui/static/style.css?v=")
    assert doc.find("link", rel="icon")["type"] == "image/svg+xml"


def test_links_carry_return_to_and_respect_disabled_flows(make_config: ConfigFactory) -> None:
    config = make_config(
        selfservice={"flows": {"registration": {"enabled": False}, "recovery": {"enabled": False}}}
    )
    flow = flows.login_flow()
    flow["return_to"] = "http://127.0.0.1:4433/ui/welcome"
    doc = parse(flow_page(config, "login", flow))
    assert doc.find_all("nav") == []
    doc = parse(flow_page(config, "registration", {**flows.registration_flow(), **flow}))
    href = doc.find("nav").find("a")["href"]
    assert parse_qs(urlsplit(href).query) == {"return_to": ["http://127.0.0.1:4433/ui/welcome"]}


def test_errors_sit_next_to_their_field(config: Config) -> None:
    doc = render(config, "registration")
    email = doc.find("input", name="traits.email")
    assert email["aria-invalid"] == "true"
    assert email.has("autofocus")
    assert email["value"] == "notanemail"
    messages = doc.by_id(email["aria-describedby"] or "")
    assert messages.text == '"notanemail" is not valid "email"'
    assert messages.parent is email.parent  # same .field wrapper
    assert doc.find("li", class_="message message-error")["data-message-id"] == "4000001"


def test_flow_messages_are_announced(config: Config) -> None:
    doc = render(config, "login-errors")
    alert = doc.find("div", class_="flash")
    assert alert["role"] == "alert"
    assert "credentials are invalid" in alert.text
    doc = render(config, "recovery")
    status = doc.find("div", class_="flash")
    assert status["role"] == "status"
    assert "recovery code has been sent" in status.text
    code = doc.find("input", name="code")
    assert (code["autocomplete"], code["inputmode"], code["maxlength"]) == (
        "one-time-code",
        "numeric",
        "6",
    )


def test_settings_page_has_one_form_per_method(config: Config) -> None:
    doc = render(config, "settings")
    forms = doc.find_all("form")
    assert [f["id"] for f in forms] == [
        "form-profile",
        "form-password",
        "form-totp",
        "form-lookup_secret",
    ]
    for form in forms:
        assert form.find("input", name="csrf_token")["value"] == flows.CSRF
        assert form.find_all("button")
    assert [h.text for h in doc.find_all("h2")] == [
        "Profile",
        "Password",
        "Authenticator app",
        "Backup recovery codes",
    ]
    assert doc.find("div", class_="flash")["role"] == "status"
    assert "Your changes have been saved!" in doc.find("div", class_="flash").text
    qr = doc.find("img", id="n-totp_qr")
    assert qr["alt"] == "Authenticator app QR code" and qr["src"].startswith("data:image/png")
    assert doc.find("code", class_="secret").text == "JBSWY3DPEHPK3PXP"
    assert [c.text for c in doc.find("ul", class_="codes").find_all("code")] == [
        "abcd1234",
        "efgh5678",
    ]
    nav = {a.text: a["href"] for a in doc.find("nav").find_all("a")}
    assert nav == {"Back to the start page": config.default_browser_return_url}


def test_verification_success_shows_continue_link(config: Config) -> None:
    doc = render(config, "verification")
    assert "successfully verified" in doc.find("div", class_="flash").text
    assert doc.find("a", id="n-continue")["href"] == "http://127.0.0.1:4433/ui/welcome"
    # "Continue" is the way on; no "Sign in" for someone who may well be signed in.
    assert doc.find_all("nav") == []
    pending = flows.verification_passed() | {"state": "sent_email"}
    nav = parse(flow_page(config, "verification", pending)).find("nav")
    assert [a.text for a in nav.find_all("a")] == ["Sign in"]


def test_login_refresh_and_second_factor_titles(config: Config) -> None:
    flow = flows.login_flow()
    flow["refresh"] = True
    doc = parse(flow_page(config, "login", flow, logout_url="http://x/logout"))
    assert doc.find("h1").text == "Confirm it's you"
    assert [a.text for a in doc.find("nav").find_all("a")] == ["Sign out"]
    assert doc.find("input", name="password")["autocomplete"] == "current-password"
    flow["refresh"], flow["requested_aal"] = False, "aal2"
    assert parse(flow_page(config, "login", flow)).find("h1").text == "Second factor"


def test_values_are_escaped(config: Config) -> None:
    flow = flows.login_flow()
    flow["ui"]["nodes"][1]["attributes"]["value"] = '"><script>alert(1)</script>'
    flow["ui"]["messages"] = [flows.text(4000001, "<b>bold</b>", "error")]
    html = flow_page(config, "login", flow)
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html and "&lt;b&gt;" in html


def test_branding(make_config: ConfigFactory) -> None:
    config = make_config(
        phalanx={"ui": {"product_name": "Acme ID", "logo_url": "https://cdn.acme.test/l.svg"}}
    )
    doc = parse(flow_page(config, "login", flows.login_flow()))
    assert doc.find("title").text == "Sign in · Acme ID"
    assert doc.find("span", class_="product").text == "Acme ID"
    assert doc.find("img", class_="logo")["src"] == "https://cdn.acme.test/l.svg"


def test_prefixed_public_url_keeps_assets_under_the_prefix(make_config: ConfigFactory) -> None:
    config = make_config(public="https://id.example.org/auth/")
    doc = parse(flow_page(config, "login", flows.login_flow()))
    assert doc.find("link", rel="stylesheet")["href"].startswith("/auth/ui/static/style.css")
    assert init_url(config, "login", {"return_to": "x", "aal": ""}) == (
        "https://id.example.org/auth/self-service/login/browser?return_to=x"
    )


def test_error_page(config: Config) -> None:
    error = {
        "id": "security_csrf_violation",
        "code": 403,
        "status": "Forbidden",
        "reason": "Please retry the flow.",
        "message": "the request was rejected",
    }
    html = error_page(config, error, retry_url="http://x/self-service/login/browser")
    doc = parse(html)
    assert_accessible(doc)
    assert_self_contained(html, config)
    assert doc.find("h1").text == "Something went wrong"
    assert doc.find("div", class_="flash")["role"] == "alert"
    assert [li.text for li in doc.find_all("li", class_="message message-error")] == [
        "Please retry the flow.",
        "the request was rejected",
    ]
    assert "Error 403 (Forbidden)" in doc.find("p", class_="meta").text
    assert "security_csrf_violation" in doc.find("p", class_="meta").text
    assert doc.find("nav").find("a")["href"] == "http://x/self-service/login/browser"
    unknown = parse(error_page(config, None))
    assert "no longer available" in unknown.find("div", class_="flash").text


def test_welcome_page(config: Config) -> None:
    html = welcome_page(
        config,
        SESSION,
        [SESSION, OTHER_SESSION],
        csrf_token=flows.CSRF,
        revoke_url="/ui/sessions/revoke",
        logout_url="http://127.0.0.1:4433/self-service/logout?token=ory_lo_x",
    )
    doc = parse(html)
    assert_accessible(doc)
    assert_self_contained(html, config)
    assert "ada@example.org" in doc.find("p", class_="lead").text
    facts = {
        div.find("dt").text: div.find("dd").text
        for div in doc.find_all("dl")[0].iter()
        if div.tag == "div"
    }
    assert facts["Email"] == "ada@example.org"
    assert facts["First"] == "Ada"  # no schema titles: named as a form field without one
    assert "not verified" in facts["Email addresses"]
    sessions = doc.find("ul", class_="sessions").find_all("li", class_="session")
    assert len(sessions) == 1  # the current session is not listed among the others
    form = sessions[0].find("form")
    assert form["action"] == "/ui/sessions/revoke" and form["method"] == "post"
    assert form.find("input", name="csrf_token")["value"] == flows.CSRF
    assert form.find("button")["value"] == OTHER_SESSION["id"]
    assert "Safari · iOS" in sessions[0].text and "Zurich, CH" in sessions[0].text
    assert doc.find("form", class_="revoke-all").find("button")["value"] == "others"
    actions = {a.text: a["href"] for a in doc.find("ul", class_="actions").find_all("a")}
    assert actions == {
        "Account settings": f"{config.public_base_url}self-service/settings/browser",
        "Verify your account": f"{config.public_base_url}self-service/verification/browser",
        "Sign out": "http://127.0.0.1:4433/self-service/logout?token=ory_lo_x",
    }
    alone = parse(
        welcome_page(config, SESSION, [SESSION], csrf_token="t", revoke_url="/r", logout_url=None)
    )
    assert "not signed in anywhere else" in alone.find("main").text
    assert alone.find_all("form") == []


def test_session_helpers() -> None:
    from phalanx.web.sessions import describe_user_agent, display_name, flatten_traits

    assert flatten_traits({"a": {"b": "x", "c": ""}, "tags": ["p", "q"], "ok": True}) == [
        ("a.b", "x"),
        ("tags", "p, q"),
        ("ok", "yes"),
    ]
    assert display_name({"id": "i", "traits": {"age": 3, "username": "ada"}}) == "ada"
    assert display_name({"id": "i", "traits": {}}) == "i"
    assert describe_user_agent(None) is None
    assert describe_user_agent("curl/8.5.0") == "curl"
    assert describe_user_agent("x" * 200) == "x" * 80


def test_webauthn_nodes_are_bound_by_script_files(config: Config) -> None:
    """The script node and the triggers become script tags and data attributes: no inline
    handler, so the CSP needs no ``unsafe-inline``."""
    flow = flows.future_method_login()
    flow["ui"]["nodes"] += [
        {
            "type": "input",
            "group": "webauthn",
            "attributes": {
                "name": "webauthn_login_trigger",
                "type": "button",
                "value": '{"publicKey":{}}',
                "onclick": 'window.oryWebAuthnLogin({"publicKey":{}})',
                "onclickTrigger": "oryWebAuthnLogin",
                "disabled": False,
                "node_type": "input",
            },
            "messages": [],
            "meta": {"label": flows.text(1010008, "Sign in with hardware key")},
        },
        {
            "type": "input",
            "group": "passkey",
            "attributes": {
                "name": "passkey_login",
                "type": "hidden",
                "onload": "window.oryPasskeyLoginAutocompleteInit()",
                "onloadTrigger": "oryPasskeyLoginAutocompleteInit",
                "disabled": False,
                "node_type": "input",
            },
            "messages": [],
            "meta": {},
        },
    ]
    html = flow_page(config, "login", flow)
    assert_self_contained(html, config)
    doc = parse(html)
    scripts = [s["src"] for s in doc.find_all("script")]
    assert scripts[0] == "http://127.0.0.1:4433/.well-known/ory/webauthn.js"
    assert scripts[1].startswith("/ui/static/webauthn-ui.js?v=")
    assert doc.find("script")["integrity"] == "sha512-x"
    button = doc.find("button", name="webauthn_login_trigger")
    assert (button["type"], button["data-trigger"]) == ("button", "oryWebAuthnLogin")
    hidden = doc.find("input", name="passkey_login")
    assert hidden["data-onload-trigger"] == "oryPasskeyLoginAutocompleteInit"
