"""Session and identity JSON → what the welcome page shows (framework-free)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from phalanx.schema.paths import list_paths
from phalanx.web.i18n import chrome
from phalanx.web.nodes import humanize

__all__ = [
    "SessionSummary",
    "describe_session",
    "describe_user_agent",
    "display_name",
    "flatten_traits",
    "trait_label",
    "trait_titles",
]

_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


@dataclass(frozen=True, slots=True)
class SessionSummary:
    id: str
    device: str
    ip_address: str
    location: str
    authenticated_at: str
    expires_at: str
    aal: str
    methods: tuple[str, ...]


def describe_user_agent(user_agent: str | None) -> str | None:
    """ "Firefox on Linux" for a User-Agent header, the raw value when unknown."""
    if not user_agent:
        return None
    browser = next((name for key, name in _BROWSERS if key in user_agent), None)
    system = next((name for key, name in _SYSTEMS if key in user_agent), None)
    if browser and system:
        return f"{browser} · {system}"
    if browser or system:
        return browser or system
    return user_agent[:80]


def describe_session(session: Mapping[str, Any], locale: str = "en") -> SessionSummary:
    """A session JSON object (``/sessions`` shape) as one row of the sessions list."""
    devices = session.get("devices")
    device: Mapping[str, Any] = {}
    if isinstance(devices, list) and devices and isinstance(devices[-1], Mapping):
        device = devices[-1]
    methods = session.get("authentication_methods")
    names: list[str] = []
    if isinstance(methods, list):
        for m in methods:
            if isinstance(m, Mapping) and m.get("method"):
                name = str(m["method"])
                if m.get("provider"):
                    name = f"{name} ({m['provider']})"
                if name not in names:
                    names.append(name)
    return SessionSummary(
        id=str(session.get("id", "")),
        device=describe_user_agent(device.get("user_agent"))
        or chrome("welcome.unknown_device", locale),
        ip_address=str(device.get("ip_address") or ""),
        location=str(device.get("location") or ""),
        authenticated_at=str(session.get("authenticated_at") or ""),
        expires_at=str(session.get("expires_at") or ""),
        aal=str(session.get("authenticator_assurance_level") or ""),
        methods=tuple(names),
    )


def flatten_traits(traits: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Traits as ``(dotted.path, value)`` rows in the identity's key order; empty values are
    left out."""
    rows: list[tuple[str, str]] = []
    if isinstance(traits, Mapping):
        for key, value in traits.items():
            rows.extend(flatten_traits(value, f"{prefix}{key}."))
        return rows
    label = prefix.rstrip(".") or "traits"
    if isinstance(traits, list):
        text = ", ".join(str(v) for v in traits)
    elif isinstance(traits, bool):
        text = "yes" if traits else "no"
    else:
        text = "" if traits is None else str(traits)
    if text:
        rows.append((label, text))
    return rows


def trait_titles(schema: Mapping[str, Any]) -> dict[str, str]:
    """The ``title`` of every trait path of an identity schema, keyed like
    :func:`flatten_traits` rows (``name.first``)."""
    return {
        path.name[len("traits.") :]: path.title
        for path in list_paths(schema)
        if path.name.startswith("traits.") and path.title
    }


def trait_label(path: str, titles: Mapping[str, str] | None = None) -> str:
    """What the forms call a trait: its schema title, else the humanized last segment
    (``name.first`` -> ``First``), as the form fields are labelled."""
    title = (titles or {}).get(path)
    return title if title else humanize(path)


_IDENTIFIER_KEYS = re.compile(r"(^|\.)(email|username|name|phone)$")


def display_name(identity: Mapping[str, Any]) -> str:
    """What to call the user: an email/username-like trait, else the identity id."""
    rows = flatten_traits(identity.get("traits"))
    for path, value in rows:
        if _IDENTIFIER_KEYS.search(path) and value:
            return value
    for _path, value in rows:
        if value:
            return value
    return str(identity.get("id", ""))
