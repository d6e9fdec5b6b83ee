"""Security headers of the built-in UI pages (framework-free).

Pages load nothing but their own stylesheet, favicon and (optionally) the operator's logo,
and run no script but the WebAuthn helpers (``/.well-known/ory/webauthn.js`` and
``webauthn-ui.js``, loaded from the public base URL, never inline), so the
Content-Security-Policy is tight: ``default-src 'self'``, no inline script or style,
images from ``'self'`` and ``data:`` (the TOTP QR code is a data URI). ``form-action``
lists ``'self'`` and the public base URL, and also every origin a form post may be
redirected to, because Chromium applies ``form-action`` to the redirects that follow a
form submission: the configured return URLs and UI URLs (a login that ends in the
operator's app) and the configured OIDC providers (social sign-in redirects there).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from phalanx.config import UI_FLOWS

if TYPE_CHECKING:
    from phalanx.config import Config

__all__ = ["content_security_policy", "origin_of", "page_headers", "static_headers"]

#: Where the well-known OIDC providers send the browser (their issuer otherwise).
_PROVIDER_ORIGINS: Mapping[str, tuple[str, ...]] = {
    "google": ("https://accounts.google.com",),
    "github": ("https://github.com",),
    "github-app": ("https://github.com",),
    "gitlab": ("https://gitlab.com",),
    "microsoft": ("https://login.microsoftonline.com",),
    "apple": ("https://appleid.apple.com",),
    "facebook": ("https://www.facebook.com",),
    "discord": ("https://discord.com",),
    "slack": ("https://slack.com",),
    "spotify": ("https://accounts.spotify.com",),
    "linkedin": ("https://www.linkedin.com",),
    "linkedin_v2": ("https://www.linkedin.com",),
    "twitch": ("https://id.twitch.tv",),
    "amazon": ("https://www.amazon.com",),
    "x": ("https://x.com", "https://api.x.com"),
}


def origin_of(url: str | None) -> str | None:
    """``scheme://host[:port]`` of an absolute http(s) URL (wildcard hosts kept), else None."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    netloc = parts.netloc.rsplit("@", 1)[-1].lower()
    if any(c in netloc for c in " ;,'\""):
        return None
    return f"{parts.scheme.lower()}://{netloc}"


def _redirect_targets(config: Config) -> Iterable[str | None]:
    selfservice = config.selfservice
    yield config.default_browser_return_url
    yield from (config.absolute_url(u) for u in selfservice.allowed_return_urls)
    flows = selfservice.flows
    for flow in UI_FLOWS:
        yield config.ui_url(flow)
    afters = [
        flows.login.after,
        flows.registration.after,
        flows.settings.after,
        flows.recovery.after,
        flows.verification.after,
        flows.logout.after,
    ]
    for after in afters:
        urls = [getattr(after, "default_browser_return_url", None)]
        for name in type(after).model_fields:
            urls.append(getattr(getattr(after, name), "default_browser_return_url", None))
        yield from (config.absolute_url(u) for u in urls if isinstance(u, str) and u)
    oidc = selfservice.methods.oidc
    if oidc.enabled:
        for provider in oidc.config.providers:
            yield from _PROVIDER_ORIGINS.get(provider.provider, ())
            yield provider.auth_url
            yield provider.issuer_url


def content_security_policy(config: Config, *, logo_url: str | None = None) -> str:
    """The pages' CSP for ``config`` (see the module docstring)."""
    base = origin_of(config.public_base_url)
    script_sources = ["'self'", *([base] if base else [])]
    form_sources = list(script_sources)
    for url in _redirect_targets(config):
        origin = origin_of(url)
        if origin and origin not in form_sources:
            form_sources.append(origin)
    img_sources = ["'self'", "data:"]
    logo_origin = origin_of(logo_url)
    if logo_origin and logo_origin != base:
        img_sources.append(logo_origin)
    directives = [
        "default-src 'self'",
        f"script-src {' '.join(script_sources)}",
        "style-src 'self'",
        f"img-src {' '.join(img_sources)}",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        f"form-action {' '.join(form_sources)}",
    ]
    return "; ".join(directives)


def page_headers(csp: str) -> dict[str, str]:
    """Headers of every HTML page: CSP, no framing, no referrer leaks, no caching."""
    return {
        "Content-Security-Policy": csp,
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "X-Content-Type-Options": "nosniff",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
        # Pages carry CSRF tokens and personal data: never store them.
        "Cache-Control": "no-store",
    }


def static_headers() -> dict[str, str]:
    """Headers added to the static assets (versioned URLs, so they may be cached)."""
    return {
        "X-Content-Type-Options": "nosniff",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Cache-Control": "public, max-age=86400",
    }
