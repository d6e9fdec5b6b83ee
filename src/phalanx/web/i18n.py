"""Texts of the built-in UI: message-catalogue texts, page chrome, and locale choice.

Two kinds of text appear on a page. Texts the server sends inside flow JSON (node labels,
node and flow messages) are uiTexts with an ``id`` and a ``context``; they are rendered
through :func:`phalanx.text.translate`, so a locale registered with
:func:`phalanx.text.register_locale` translates them. The page chrome around them (titles,
"Forgot password?", "Revoke") is not part of Kratos's catalogue; it lives in :data:`CHROME`
(English) and other languages are added with :func:`register_chrome`.

The locale comes from ``Accept-Language`` (:func:`negotiate_locale`), restricted to
locales that have at least one registered text.
"""

from __future__ import annotations

from collections.abc import Mapping
from string import Formatter
from typing import Any

from phalanx.text import DEFAULT_LOCALE, UiText, available_locales, translate

__all__ = [
    "CHROME",
    "chrome",
    "group_title",
    "negotiate_locale",
    "register_chrome",
    "supported_locales",
    "translate_text",
]

#: English page chrome, keyed by a dotted name. Templates use ``str.format`` fields.
CHROME: Mapping[str, str] = {
    "skip": "Skip to content",
    "title.login": "Sign in",
    "title.login.refresh": "Confirm it's you",
    "title.login.aal2": "Second factor",
    "title.registration": "Create an account",
    "title.settings": "Account settings",
    "title.recovery": "Recover your account",
    "title.verification": "Verify your account",
    "title.error": "Something went wrong",
    "title.welcome": "Welcome",
    "link.registration": "Create an account",
    "link.registration.prompt": "New here?",
    "link.login": "Sign in",
    "link.login.prompt": "Already have an account?",
    "link.recovery": "Forgot your password?",
    "link.verification": "Verify your account",
    "link.settings": "Account settings",
    "link.logout": "Sign out",
    "link.home": "Back to the start page",
    "link.retry": "Try again",
    "or": "or",
    "group.default": "General",
    "group.password": "Password",
    "group.profile": "Profile",
    "group.oidc": "Sign in with another account",
    "group.code": "One-time code",
    "group.link": "Email link",
    "group.totp": "Authenticator app",
    "group.lookup_secret": "Backup recovery codes",
    "group.webauthn": "Security keys",
    "group.passkey": "Passkeys",
    "group.identifier_first": "Sign in",
    "group.captcha": "Verification",
    "group.saml": "Single sign-on",
    "messages.label": "Messages",
    "error.code": "Error {code}",
    "error.id": "Error id: {id}",
    "error.not_found": "This error is no longer available, or the link is incomplete.",
    "error.csrf": (
        "Your browser did not send the security cookie for this page. "
        "Please make sure cookies are enabled and try again."
    ),
    "welcome.signed_in_as": "You are signed in as {name}.",
    "welcome.account": "Your account",
    "welcome.identity_id": "Account id",
    "welcome.traits": "Profile",
    "welcome.addresses": "Email addresses",
    "welcome.verified": "verified",
    "welcome.unverified": "not verified",
    "welcome.session": "This session",
    "welcome.aal": "Assurance level",
    "welcome.authenticated_at": "Signed in",
    "welcome.expires_at": "Expires",
    "welcome.methods": "Signed in with",
    "welcome.sessions": "Your sessions",
    "welcome.sessions.none": "You are not signed in anywhere else.",
    "welcome.device": "Device",
    "welcome.unknown_device": "Unknown device",
    "welcome.current": "This device",
    "welcome.ip": "IP address",
    "welcome.location": "Location",
    "welcome.revoke": "Sign out this session",
    "welcome.revoke_others": "Sign out all other sessions",
    "welcome.revoked": "The session has been signed out.",
    "welcome.revoked_others": "All other sessions have been signed out.",
    "title.mailbox": "Development mailbox",
    "link.mailbox": "Open the development mailbox",
    "mailbox.intro": (
        "No mail server is configured, so in development mode messages stay here instead of "
        "being sent. Newest first; this page does not exist outside --dev."
    ),
    "mailbox.empty": "No messages yet. Sign up or ask for a code, then reload this page.",
    "mailbox.to": "To",
    "mailbox.sent_at": "Queued",
    "mailbox.status": "Status",
    "mailbox.codes": "Code",
    "mailbox.links": "Links",
    "mailbox.body": "Full message",
    "mailbox.reload": "Reload",
}

_CHROME_LOCALES: dict[str, dict[str, str]] = {}


def register_chrome(locale: str, texts: Mapping[str, str]) -> None:
    """Add (or extend) page-chrome texts for ``locale`` (keys as in :data:`CHROME`)."""
    key = _normalise(locale)
    for name, template in texts.items():
        if name not in CHROME:
            raise KeyError(f"unknown chrome text {name!r}")
        for _literal, field, _spec, _conv in Formatter().parse(template):
            if field is not None and not field.isidentifier():
                raise ValueError(f"template field {field!r} must be a plain name")
        _CHROME_LOCALES.setdefault(key, {})[name] = template


def chrome(key: str, locale: str = DEFAULT_LOCALE, /, **values: Any) -> str:
    """The chrome text ``key`` in ``locale`` (English fallback), formatted with ``values``."""
    template = CHROME[key]
    for candidate in _candidates(locale):
        found = _CHROME_LOCALES.get(candidate, {}).get(key)
        if found is not None:
            template = found
            break
    try:
        return template.format_map(values) if values else template
    except (KeyError, IndexError, ValueError):
        return CHROME[key].format_map(values)


def group_title(group: str, locale: str = DEFAULT_LOCALE) -> str:
    """A heading for a node group; unknown groups (methods added later) get a readable name."""
    key = f"group.{group}"
    if key in CHROME:
        return chrome(key, locale)
    return group.replace("_", " ").strip().capitalize() or group


def translate_text(data: Any, locale: str = DEFAULT_LOCALE) -> str:
    """The text of a uiText given as JSON (``{"id", "text", "type", "context"}``)."""
    if not isinstance(data, Mapping):
        return "" if data is None else str(data)
    try:
        message = UiText.from_dict(data)
    except (KeyError, TypeError, ValueError):
        return str(data.get("text", ""))
    return translate(message, locale)


def supported_locales() -> list[str]:
    """Locales with any registered text (catalogue or chrome), English first."""
    seen = dict.fromkeys([*available_locales(), *sorted(_CHROME_LOCALES)])
    return list(seen)


def negotiate_locale(accept_language: str | None) -> str:
    """The best supported locale for an ``Accept-Language`` header (``en`` by default)."""
    if not accept_language:
        return DEFAULT_LOCALE
    supported = {_normalise(tag) for tag in supported_locales()}
    ranked: list[tuple[float, int, str]] = []
    for index, raw in enumerate(accept_language.split(",")):
        parts = [p.strip() for p in raw.split(";")]
        tag = _normalise(parts[0])
        if not tag:
            continue
        q = 1.0
        for param in parts[1:]:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        if q > 0:
            ranked.append((-q, index, tag))
    for _q, _index, tag in sorted(ranked):
        if tag == "*":
            return DEFAULT_LOCALE
        for candidate in _candidates(tag):
            if candidate in supported:
                return candidate
    return DEFAULT_LOCALE


def _normalise(locale: str) -> str:
    return locale.strip().replace("_", "-").lower()


def _candidates(locale: str) -> list[str]:
    tag = _normalise(locale)
    out = [tag]
    while "-" in tag:
        tag = tag.rsplit("-", 1)[0]
        out.append(tag)
    return out
