"""Flow JSON fixtures in Kratos v25.4's wire format (contract §1, §4, §7), no server needed.

Each builder returns a fresh dict; ids, texts and node shapes are those Kratos sends.
"""

from __future__ import annotations

from typing import Any

PUBLIC = "http://127.0.0.1:4433/"
FLOW_ID = "7b5b2ff4-5a6e-4c1e-9a39-2a7e7e2a1f11"
CSRF = "masked-csrf-token-" + "A" * 70


def text(ident: int, value: str, kind: str = "info", **context: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"id": ident, "text": value, "type": kind}
    if context:
        out["context"] = context
    return out


def node(
    name: str,
    group: str = "default",
    *,
    type: str = "text",
    value: Any = None,
    required: bool = False,
    autocomplete: str | None = None,
    label: dict[str, Any] | None = None,
    messages: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    attributes: dict[str, Any] = {"name": name, "type": type}
    if value is not None:
        attributes["value"] = value
    if required:
        attributes["required"] = True
    if autocomplete:
        attributes["autocomplete"] = autocomplete
    attributes["disabled"] = False
    attributes.update(extra)
    attributes["node_type"] = "input"
    return {
        "type": "input",
        "group": group,
        "attributes": attributes,
        "messages": messages or [],
        "meta": {"label": label} if label else {},
    }


def csrf_node() -> dict[str, Any]:
    return node("csrf_token", type="hidden", value=CSRF, required=True)


def _flow(kind: str, nodes: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    flow: dict[str, Any] = {
        "id": FLOW_ID,
        "type": "browser",
        "expires_at": "2026-07-29T13:00:00Z",
        "issued_at": "2026-07-29T12:00:00Z",
        "request_url": f"{PUBLIC}self-service/{kind}/browser",
        "ui": {
            "action": f"{PUBLIC}self-service/{kind}?flow={FLOW_ID}",
            "method": "POST",
            "nodes": nodes,
            "messages": [],
        },
        "state": "choose_method",
    }
    flow.update(fields)
    return flow


def login_flow(*, errors: bool = False, oidc: bool = False) -> dict[str, Any]:
    nodes = []
    if oidc:
        nodes.append(
            node(
                "provider",
                "oidc",
                type="submit",
                value="github",
                label=text(1010002, "Sign in with github", provider="github", provider_id="github"),
            )
        )
    nodes += [
        csrf_node(),
        node(
            "identifier",
            value="ada@example.org" if errors else "",
            required=True,
            autocomplete="username",
            label=text(1070004, "ID"),
        ),
        node(
            "password",
            "password",
            type="password",
            required=True,
            autocomplete="current-password",
            label=text(1070001, "Password"),
        ),
        node(
            "method",
            "password",
            type="submit",
            value="password",
            label=text(1010022, "Sign in with password"),
        ),
    ]
    flow = _flow(
        "login",
        nodes,
        refresh=False,
        requested_aal="aal1",
        created_at="2026-07-29T12:00:00Z",
        updated_at="2026-07-29T12:00:00Z",
    )
    if errors:
        flow["ui"]["messages"] = [
            text(
                4000006,
                "The provided credentials are invalid, check for spelling mistakes in your "
                "password or username, email address, or phone number.",
                "error",
            )
        ]
    return flow


def registration_flow(*, email_error: bool = False) -> dict[str, Any]:
    email_messages = (
        [
            text(
                4000001,
                '"notanemail" is not valid "email"',
                "error",
                reason='"notanemail" is not valid "email"',
            )
        ]
        if email_error
        else []
    )
    nodes = [
        csrf_node(),
        node(
            "traits.email",
            type="email",
            value="notanemail" if email_error else None,
            required=True,
            autocomplete="email",
            label=text(1070002, "E-Mail", name="traits.email", title="E-Mail"),
            messages=email_messages,
        ),
        node(
            "password",
            "password",
            type="password",
            required=True,
            autocomplete="new-password",
            label=text(1070001, "Password"),
        ),
        node(
            "traits.name.first",
            label=text(1070002, "First Name", name="traits.name.first", title="First Name"),
        ),
        node(
            "traits.newsletter",
            type="checkbox",
            value=False,
            label=text(1070002, "Newsletter", name="traits.newsletter", title="Newsletter"),
        ),
        node(
            "traits.plan",
            value="free",
            label=text(1070002, "Plan", name="traits.plan", title="Plan"),
            options=[{"value": "free"}, {"value": "pro"}],
        ),
        node("method", "password", type="submit", value="password", label=text(1040001, "Sign up")),
        node(
            "method", "code", type="submit", value="code", label=text(1040006, "Sign up with code")
        ),
    ]
    return _flow("registration", nodes)


def settings_flow(*, success: bool = False, password_error: bool = False) -> dict[str, Any]:
    password_messages = (
        [
            text(
                4000032,
                "The password must be at least 8 characters long, but got 3.",
                "error",
                min_length=8,
                actual_length=3,
            )
        ]
        if password_error
        else []
    )
    nodes = [
        csrf_node(),
        node(
            "traits.email",
            "profile",
            type="email",
            value="ada@example.org",
            required=True,
            autocomplete="email",
            label=text(1070002, "E-Mail", name="traits.email", title="E-Mail"),
        ),
        node(
            "traits.name.first",
            "profile",
            value="Ada",
            label=text(1070002, "First Name", name="traits.name.first", title="First Name"),
        ),
        node("method", "profile", type="submit", value="profile", label=text(1070003, "Save")),
        node(
            "password",
            "password",
            type="password",
            required=True,
            autocomplete="new-password",
            label=text(1070001, "Password"),
            messages=password_messages,
        ),
        node("method", "password", type="submit", value="password", label=text(1070003, "Save")),
        {
            "type": "img",
            "group": "totp",
            "attributes": {
                "src": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0"
                "lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=",
                "id": "totp_qr",
                "width": 256,
                "height": 256,
                "node_type": "img",
            },
            "messages": [],
            "meta": {"label": text(1050005, "Authenticator app QR code")},
        },
        {
            "type": "text",
            "group": "totp",
            "attributes": {
                "text": text(1050006, "JBSWY3DPEHPK3PXP", secret="JBSWY3DPEHPK3PXP"),
                "id": "totp_secret_key",
                "node_type": "text",
            },
            "messages": [],
            "meta": {
                "label": text(
                    1050017,
                    "This is your authenticator app secret. Use it if you can not scan "
                    "the QR code.",
                )
            },
        },
        node(
            "totp_code",
            "totp",
            required=True,
            label=text(1070006, "Verify code"),
        ),
        node("method", "totp", type="submit", value="totp", label=text(1070003, "Save")),
        {
            "type": "text",
            "group": "lookup_secret",
            "attributes": {
                "text": text(
                    1050015,
                    "abcd1234, efgh5678",
                    secrets=[
                        text(1050009, "abcd1234", secret="abcd1234"),
                        text(1050009, "efgh5678", secret="efgh5678"),
                    ],
                ),
                "id": "lookup_secret_codes",
                "node_type": "text",
            },
            "messages": [],
            "meta": {"label": text(1050010, "These are your back up recovery codes.")},
        },
        node(
            "lookup_secret_confirm",
            "lookup_secret",
            type="submit",
            value=True,
            label=text(1050011, "Confirm backup recovery codes"),
        ),
    ]
    flow = _flow(
        "settings",
        nodes,
        state="success" if success else "show_form",
        identity={"id": "0b6c8a1e-1a2b-4c3d-8e9f-0a1b2c3d4e5f", "traits": {"email": "a"}},
    )
    if success:
        flow["ui"]["messages"] = [text(1050001, "Your changes have been saved!", "success")]
    return flow


def recovery_sent_email() -> dict[str, Any]:
    nodes = [
        csrf_node(),
        node(
            "code",
            "code",
            required=True,
            pattern="[0-9]+",
            maxlength=6,
            label=text(1070005, "Recovery code"),
        ),
        node("method", "code", type="hidden", value="code"),
        node("method", "code", type="submit", value="code", label=text(1070005, "Submit")),
        node(
            "email",
            "code",
            type="submit",
            value="ada@example.org",
            label=text(1070008, "Resend code"),
        ),
    ]
    flow = _flow("recovery", nodes, state="sent_email", active="code")
    flow["ui"]["messages"] = [
        text(
            1060003,
            "An email containing a recovery code has been sent to the email address you "
            "provided. If you have not received an email, check the spelling of the address "
            "and make sure to use the address you registered with.",
        )
    ]
    return flow


def verification_passed() -> dict[str, Any]:
    nodes = [
        csrf_node(),
        {
            "type": "a",
            "group": "code",
            "attributes": {
                "href": "http://127.0.0.1:4433/ui/welcome",
                "title": text(1070009, "Continue"),
                "id": "continue",
                "node_type": "a",
            },
            "messages": [],
            "meta": {"label": text(1070009, "Continue")},
        },
    ]
    flow = _flow("verification", nodes, state="passed_challenge")
    flow["ui"]["messages"] = [
        text(1080002, "You successfully verified your email address.", "success")
    ]
    return flow


def future_method_login() -> dict[str, Any]:
    """A login with a method no template knows (the renderer must draw it anyway)."""
    flow = login_flow()
    flow["ui"]["nodes"] += [
        node(
            "carrier_pigeon_id",
            "carrier_pigeon",
            required=True,
            label=text(9990001, "Pigeon id"),
        ),
        node(
            "method",
            "carrier_pigeon",
            type="submit",
            value="carrier_pigeon",
            label=text(9990002, "Send a pigeon"),
        ),
        {
            "type": "script",
            "group": "webauthn",
            "attributes": {
                "src": "http://127.0.0.1:4433/.well-known/ory/webauthn.js",
                "async": True,
                "referrerpolicy": "no-referrer",
                "crossorigin": "anonymous",
                "integrity": "sha512-x",
                "type": "text/javascript",
                "id": "webauthn_script",
                "nonce": "n",
                "node_type": "script",
            },
            "messages": [],
            "meta": {},
        },
    ]
    return flow
