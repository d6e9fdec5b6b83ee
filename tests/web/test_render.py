"""The generic renderer: flow ``ui`` JSON → forms, sections, fields, messages."""

from __future__ import annotations

import pytest

from phalanx.text import register_locale
from phalanx.web.render import Field, FlowView, render_ui, value_text
from tests.web import flows


def fields(view: FlowView) -> list[Field]:
    return [f for form in view.forms for s in form.sections for f in s.fields]


def named(view: FlowView, name: str, value: str | None = None) -> Field:
    found = [f for f in fields(view) if f.name == name and (value is None or f.value == value)]
    assert len(found) == 1, [(f.name, f.value) for f in fields(view)]
    return found[0]


def test_login_form_is_one_form_posting_to_the_action() -> None:
    flow = flows.login_flow()
    view = render_ui(flow["ui"], flow="login")
    (form,) = view.forms
    assert form.action == flow["ui"]["action"]
    assert form.method == "POST"
    assert [(h.name, h.value) for h in form.hidden] == [("csrf_token", flows.CSRF)]
    identifier = named(view, "identifier")
    assert (identifier.kind, identifier.input_type) == ("input", "text")
    assert identifier.label == "ID"
    assert identifier.autocomplete == "username"
    assert identifier.required
    password = named(view, "password")
    assert (password.input_type, password.autocomplete) == ("password", "current-password")
    submit = named(view, "method")
    assert (submit.kind, submit.value, submit.label) == (
        "submit",
        "password",
        "Sign in with password",
    )
    assert not submit.novalidate
    assert view.messages == []


def test_flow_messages_and_kept_values_but_never_passwords() -> None:
    flow = flows.login_flow(errors=True)
    flow["ui"]["nodes"][2]["attributes"]["value"] = "hunter2"  # a server never does this
    view = render_ui(flow["ui"], flow="login")
    (message,) = view.messages
    assert (message.id, message.type) == (4000006, "error")
    assert message.text.startswith("The provided credentials are invalid")
    assert named(view, "identifier").value == "ada@example.org"
    assert named(view, "password").value is None


def test_social_buttons_are_their_own_section_and_skip_validation() -> None:
    view = render_ui(flows.login_flow(oidc=True)["ui"], flow="login")
    (form,) = view.forms
    assert [s.group for s in form.sections] == ["oidc", "password"]
    assert [f.name for f in form.sections[1].fields] == ["identifier", "password", "method"]
    github = named(view, "provider")
    assert (github.value, github.label, github.novalidate) == (
        "github",
        "Sign in with github",
        True,
    )
    assert not named(view, "method").novalidate
    assert named(view, "method").primary and not github.primary


def test_registration_traits_errors_checkbox_select_and_methods() -> None:
    view = render_ui(flows.registration_flow(email_error=True)["ui"], flow="registration")
    assert len(view.forms) == 1
    email = named(view, "traits.email")
    assert (email.input_type, email.autocomplete, email.value) == ("email", "email", "notanemail")
    assert email.label == "E-Mail"
    assert email.invalid and email.autofocus
    assert [m.text for m in email.messages] == ['"notanemail" is not valid "email"']
    assert named(view, "password").autocomplete == "new-password"
    first = named(view, "traits.name.first")
    assert not first.invalid and not first.autofocus and first.autocomplete is None
    newsletter = named(view, "traits.newsletter")
    assert (newsletter.kind, newsletter.value, newsletter.checked) == ("checkbox", "true", False)
    plan = named(view, "traits.plan")
    assert plan.kind == "select"
    assert [(o.value, o.selected) for o in plan.options] == [("free", True), ("pro", False)]
    assert not named(view, "method", "password").novalidate
    assert named(view, "method", "code").novalidate  # "sign up with code" needs no password
    assert named(view, "method", "password").primary
    assert not named(view, "method", "code").primary
    assert view.messages == []


def test_settings_groups_are_separate_forms_each_with_csrf() -> None:
    view = render_ui(flows.settings_flow(success=True, password_error=True)["ui"], flow="settings")
    assert [f.group for f in view.forms] == ["profile", "password", "totp", "lookup_secret"]
    assert [f.title for f in view.forms] == [
        "Profile",
        "Password",
        "Authenticator app",
        "Backup recovery codes",
    ]
    for form in view.forms:
        assert [h.name for h in form.hidden] == ["csrf_token"]
        assert len([f for s in form.sections for f in s.fields if f.primary]) == 1
    (saved,) = view.messages
    assert (saved.id, saved.type, saved.text) == (
        1050001,
        "success",
        "Your changes have been saved!",
    )
    profile = view.forms[0]
    assert [f.name for s in profile.sections for f in s.fields] == [
        "traits.email",
        "traits.name.first",
        "method",
    ]
    assert named(view, "traits.email").value == "ada@example.org"
    password = named(view, "password")
    assert password.autocomplete == "new-password"
    assert [m.id for m in password.messages] == [4000032] and password.autofocus
    qr = next(f for f in fields(view) if f.kind == "img")
    assert qr.src.startswith("data:image/png;base64,")
    assert (qr.label, qr.width, qr.height) == ("Authenticator app QR code", 256, 256)
    secret = next(f for f in fields(view) if f.name == "totp_secret_key")
    assert (secret.kind, secret.text, secret.monospace) == ("text", "JBSWY3DPEHPK3PXP", True)
    assert named(view, "totp_code").autocomplete == "one-time-code"
    assert named(view, "totp_code").inputmode == "numeric"
    codes = next(f for f in fields(view) if f.name == "lookup_secret_codes")
    assert codes.items == ("abcd1234", "efgh5678")
    assert named(view, "lookup_secret_confirm").value == "true"


def test_recovery_sent_email_shows_message_and_code_field() -> None:
    flow = flows.recovery_sent_email()
    view = render_ui(flow["ui"], flow="recovery")
    (form,) = view.forms
    (sent,) = view.messages
    assert (sent.id, sent.type) == (1060003, "info")
    assert [(h.name, h.value) for h in form.hidden] == [
        ("csrf_token", flows.CSRF),
        ("method", "code"),
    ]
    code = named(view, "code")
    assert (code.autocomplete, code.inputmode, code.pattern, code.maxlength) == (
        "one-time-code",
        "numeric",
        "[0-9]+",
        6,
    )
    assert named(view, "method").label == "Submit"
    resend = named(view, "email")
    assert (resend.kind, resend.value, resend.label) == ("submit", "ada@example.org", "Resend code")
    assert named(view, "method").primary and not resend.primary
    # "Resend code" must not be stopped by the empty (required) code field.
    assert resend.novalidate and not named(view, "method").novalidate


def test_anchor_nodes_and_success_state() -> None:
    view = render_ui(flows.verification_passed()["ui"], flow="verification")
    (message,) = view.messages
    assert message.type == "success"
    link = next(f for f in fields(view) if f.kind == "a")
    assert (link.href, link.label) == ("http://127.0.0.1:4433/ui/welcome", "Continue")
    assert link.primary


def test_a_method_no_template_knows_is_drawn_and_scripts_are_skipped() -> None:
    view = render_ui(flows.future_method_login()["ui"], flow="login")
    (form,) = view.forms
    assert [s.group for s in form.sections] == ["password", "carrier_pigeon"]
    pigeon = named(view, "carrier_pigeon_id")
    assert (pigeon.label, pigeon.required) == ("Pigeon id", True)
    pigeon_button = named(view, "method", "carrier_pigeon")
    assert pigeon_button.label == "Send a pigeon"
    # Each method's button must not demand the other method's required field.
    assert pigeon_button.novalidate and named(view, "method", "password").novalidate
    assert all(f.name != "webauthn_script" for f in fields(view))


def test_hidden_node_messages_are_lifted_to_the_page() -> None:
    flow = flows.settings_flow()
    flow["ui"]["nodes"][0]["messages"] = [flows.text(4000001, "bad token", "error")]
    view = render_ui(flow["ui"], flow="settings")
    assert [m.text for m in view.messages] == ["bad token"]


def test_missing_labels_fall_back_to_readable_names_and_ids_are_unique() -> None:
    ui = {
        "action": "http://x/self-service/login?flow=1",
        "method": "POST",
        "nodes": [
            flows.node("traits.favourite_colour"),
            flows.node("method", "password", type="submit", value="password"),
            flows.node("method", "code", type="submit", value="code"),
            flows.node("traits.favourite_colour", "code"),
        ],
    }
    view = render_ui(ui)
    labels = [f.label for f in fields(view)]
    assert labels == ["Favourite colour", "Password", "Code", "Favourite colour"]
    ids = [f.dom_id for f in fields(view)]
    assert len(set(ids)) == len(ids)


def test_texts_go_through_the_message_catalogue() -> None:
    register_locale("x-phalanx-test", {1070001: "Passwort", 1010022: "Mit Passwort anmelden"})
    view = render_ui(flows.login_flow()["ui"], locale="x-phalanx-test", flow="login")
    assert named(view, "password").label == "Passwort"
    assert named(view, "method").label == "Mit Passwort anmelden"
    assert named(view, "identifier").label == "ID"  # untranslated ids fall back to English


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), (True, "true"), (False, "false"), ("x", "x"), (3, "3"), ({"b": 1}, '{"b":1}')],
)
def test_value_text(value: object, expected: str | None) -> None:
    assert value_text(value) == expected


def test_garbage_is_tolerated() -> None:
    view = render_ui({"nodes": [None, {"type": "input"}, {"attributes": "x"}], "messages": "no"})
    assert view.messages == []
    assert fields(view) == []
