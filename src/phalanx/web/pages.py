"""Whole pages from flow / error / session JSON (framework-free, so tests render them directly).

Links between flows point at the flows' init endpoints (``/self-service/<flow>/browser``),
never at ``/ui/...``: the init endpoint redirects to whatever ``ui_url`` the operator
configured, so the built-in pages stay out of the way of a custom UI. Links carry the
flow's ``return_to``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from phalanx.web.branding import Branding
from phalanx.web.i18n import chrome
from phalanx.web.mailbox import dev_mailbox_enabled, mail_view
from phalanx.web.render import render_ui
from phalanx.web.sessions import describe_session, display_name, flatten_traits, trait_label
from phalanx.web.templates import render, static_version

if TYPE_CHECKING:
    from phalanx.config import Config
    from phalanx.courier.message import Message

__all__ = [
    "FLOW_KINDS",
    "Chrome",
    "Link",
    "base_path",
    "error_page",
    "flow_page",
    "flow_title",
    "init_url",
    "mailbox_page",
    "welcome_page",
]

FLOW_KINDS = ("login", "registration", "settings", "recovery", "verification")


@dataclass(frozen=True, slots=True)
class Chrome:
    """What ``base.html`` needs: language, titles, branding and asset URLs."""

    locale: str
    title: str
    product_name: str
    logo_url: str
    favicon_url: str
    stylesheet_url: str
    theme_url: str
    webauthn_ui_url: str = ""

    def t(self, key: str, /, **values: Any) -> str:
        return chrome(key, self.locale, **values)


@dataclass(frozen=True, slots=True)
class Link:
    text: str
    href: str
    prompt: str | None = None


def base_path(config: Config) -> str:
    """Path of the public base URL (``/`` or ``/prefix/``), for same-origin asset URLs."""
    path = urlsplit(config.public_base_url).path or "/"
    return path if path.endswith("/") else path + "/"


def init_url(config: Config, kind: str, params: Mapping[str, str] | None = None) -> str:
    """``PUBLIC/self-service/<kind>/browser`` with ``params`` (empty values dropped)."""
    url = f"{config.public_base_url}self-service/{kind}/browser"
    query = {k: v for k, v in (params or {}).items() if v}
    return f"{url}?{urlencode(query)}" if query else url


def _chrome(config: Config, locale: str, title: str) -> Chrome:
    brand = Branding.from_config(config)
    root = base_path(config)
    favicon = f"{root}ui/static/favicon.svg?v={static_version('favicon.svg')}"
    return Chrome(
        locale=locale,
        title=title,
        product_name=brand.product_name,
        logo_url=brand.logo_url or favicon,
        favicon_url=favicon,
        stylesheet_url=f"{root}ui/static/style.css?v={static_version('style.css')}",
        theme_url=f"{root}ui/theme.css?v={brand.theme_version}",
        webauthn_ui_url=f"{root}ui/static/webauthn-ui.js?v={static_version('webauthn-ui.js')}",
    )


def flow_title(kind: str, flow: Mapping[str, Any], locale: str) -> str:
    """The page heading for a flow (login re-authentication and second factor differ)."""
    if kind == "login":
        if flow.get("refresh"):
            return chrome("title.login.refresh", locale)
        if flow.get("requested_aal") in ("aal2", "aal3"):
            return chrome("title.login.aal2", locale)
    return chrome(f"title.{kind}", locale)


def _flow_links(
    config: Config, kind: str, flow: Mapping[str, Any], locale: str, logout_url: str | None
) -> list[Link]:
    flows = config.selfservice.flows
    params = {"return_to": str(flow.get("return_to") or "")}
    links: list[Link] = []
    upgrading = kind == "login" and (
        flow.get("refresh") or flow.get("requested_aal") in ("aal2", "aal3")
    )
    if kind == "login" and not upgrading:
        if flows.recovery.enabled:
            recovery = init_url(config, "recovery", params)
            links.append(Link(chrome("link.recovery", locale), recovery))
        if flows.registration.enabled:
            links.append(
                Link(
                    chrome("link.registration", locale),
                    init_url(config, "registration", params),
                    chrome("link.registration.prompt", locale),
                )
            )
    if kind == "registration":
        links.append(
            Link(
                chrome("link.login", locale),
                init_url(config, "login", params),
                chrome("link.login.prompt", locale),
            )
        )
    # Once verified, the flow's own "Continue" is the way on (the person may be signed in).
    if kind == "recovery" or (kind == "verification" and flow.get("state") != "passed_challenge"):
        links.append(Link(chrome("link.login", locale), init_url(config, "login", params)))
    if kind in ("verification", "recovery", "login") and dev_mailbox_enabled(
        config, dev=config.dev
    ):
        links.append(Link(chrome("link.mailbox", locale), f"{base_path(config)}ui/mailbox"))
    if kind == "settings":
        home = str(flow.get("return_to") or config.default_browser_return_url)
        links.append(Link(chrome("link.home", locale), home))
    if logout_url and (upgrading or kind == "settings"):
        links.append(Link(chrome("link.logout", locale), logout_url))
    return links


def flow_page(
    config: Config,
    kind: str,
    flow: Mapping[str, Any],
    *,
    locale: str = "en",
    logout_url: str | None = None,
) -> str:
    """HTML of a flow page, drawn generically from the flow's ``ui`` nodes."""
    ui = flow.get("ui")
    view = render_ui(
        ui if isinstance(ui, Mapping) else {},
        locale=locale,
        flow=kind,
        refresh=bool(flow.get("refresh")),
    )
    title = flow_title(kind, flow, locale)
    return render(
        "flow.html",
        page=_chrome(config, locale, title),
        kind=kind,
        state=str(flow.get("state", "")),
        view=view,
        links=_flow_links(config, kind, flow, locale, logout_url),
    )


def error_page(
    config: Config,
    error: Mapping[str, Any] | None,
    *,
    locale: str = "en",
    explanation: str | None = None,
    retry_url: str | None = None,
) -> str:
    """HTML of the error page for a herodot error object (``{code, status, reason, ...}``)."""
    error = error or {}
    code = error.get("code")
    reason = str(error.get("reason") or "")
    message = str(error.get("message") or "")
    if message and message.casefold().rstrip(".") in reason.casefold():
        message = ""  # Kratos's CSRF reason repeats its message: say it once
    if not explanation and not (reason or message):
        explanation = chrome("error.not_found", locale)
    return render(
        "error.html",
        page=_chrome(config, locale, chrome("title.error", locale)),
        code=code if isinstance(code, int) else None,
        status=str(error.get("status") or ""),
        reason=reason,
        message=message,
        error_id=str(error.get("id") or ""),
        explanation=explanation or "",
        retry_url=retry_url,
        home_url=init_url(config, "login"),
    )


def welcome_page(
    config: Config,
    session: Mapping[str, Any],
    sessions: Sequence[Mapping[str, Any]],
    *,
    csrf_token: str,
    revoke_url: str,
    logout_url: str | None,
    locale: str = "en",
    notice: str | None = None,
    trait_titles: Mapping[str, str] | None = None,
) -> str:
    """HTML of ``/ui/welcome``: who am I, this session, my other sessions, sign out.

    ``trait_titles`` (from the identity schema) label the traits as the forms do."""
    identity = session.get("identity")
    identity = identity if isinstance(identity, Mapping) else {}
    raw_addresses = identity.get("verifiable_addresses")
    addresses = [a for a in raw_addresses or [] if isinstance(a, Mapping)]
    current_id = str(session.get("id", ""))
    others = [describe_session(s, locale) for s in sessions if str(s.get("id")) != current_id]
    return render(
        "welcome.html",
        page=_chrome(config, locale, chrome("title.welcome", locale)),
        name=display_name(identity),
        identity_id=str(identity.get("id", "")),
        traits=[
            (trait_label(k, trait_titles), v) for k, v in flatten_traits(identity.get("traits"))
        ],
        addresses=addresses,
        current=describe_session(session, locale),
        others=others,
        csrf_token=csrf_token,
        revoke_url=revoke_url,
        logout_url=logout_url,
        settings_url=init_url(config, "settings"),
        verification_url=(
            init_url(config, "verification")
            if config.selfservice.flows.verification.enabled
            and any(not a.get("verified") for a in addresses)
            else None
        ),
        notice=notice,
    )


def mailbox_page(config: Config, messages: Sequence[Message], *, locale: str = "en") -> str:
    """HTML of the development mailbox (``/ui/mailbox``, ``--dev`` only)."""
    return render(
        "mailbox.html",
        page=_chrome(config, locale, chrome("title.mailbox", locale)),
        mails=[mail_view(m) for m in messages],
        mailbox_url=f"{base_path(config)}ui/mailbox",
        login_url=init_url(config, "login"),
        registration_url=init_url(config, "registration"),
    )
