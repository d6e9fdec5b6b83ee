"""Content-Security-Policy and the other page headers."""

from __future__ import annotations

import pytest

from phalanx.config import Config
from phalanx.web.branding import Branding, contrast_ratio, theme_css
from phalanx.web.security import content_security_policy, origin_of, page_headers
from tests.web.conftest import ConfigFactory


def directives(csp: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in csp.split(";"):
        name, *values = part.split()
        out[name] = values
    return out


def test_default_policy(config: Config) -> None:
    csp = directives(content_security_policy(config))
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'", "http://127.0.0.1:4433"]
    assert csp["style-src"] == ["'self'"]
    assert csp["img-src"] == ["'self'", "data:"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["form-action"] == ["'self'", "http://127.0.0.1:4433"]
    assert all("unsafe" not in v for values in csp.values() for v in values)


def test_form_action_allows_where_form_posts_redirect(make_config: ConfigFactory) -> None:
    config = make_config(
        selfservice={
            "default_browser_return_url": "https://app.example.org/home",
            "allowed_return_urls": ["https://*.example.org/", "/relative/ok"],
            "flows": {
                "login": {
                    "after": {"password": {"default_browser_return_url": "https://pw.test/"}}
                },
                "settings": {"ui_url": "https://account.example.com/settings"},
            },
            "methods": {
                "oidc": {
                    "enabled": True,
                    "config": {
                        "providers": [
                            {
                                "id": "google",
                                "provider": "google",
                                "client_id": "c",
                                "client_secret": "s",
                                "mapper_url": "file:///m.jsonnet",
                            },
                            {
                                "id": "corp",
                                "provider": "generic",
                                "client_id": "c",
                                "client_secret": "s",
                                "issuer_url": "https://sso.corp.test/realms/x",
                                "mapper_url": "file:///m.jsonnet",
                            },
                        ]
                    },
                },
            },
        }
    )
    sources = directives(content_security_policy(config))["form-action"]
    assert sources[:2] == ["'self'", "http://127.0.0.1:4433"]
    for origin in (
        "https://app.example.org",
        "https://*.example.org",
        "https://pw.test",
        "https://account.example.com",
        "https://accounts.google.com",
        "https://sso.corp.test",
    ):
        assert origin in sources
    assert len(sources) == len(set(sources))


def test_external_logo_is_allowed_as_image(config: Config) -> None:
    csp = directives(content_security_policy(config, logo_url="https://cdn.acme.test/logo.svg"))
    assert csp["img-src"] == ["'self'", "data:", "https://cdn.acme.test"]


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://Example.org:8443/a?b", "https://example.org:8443"),
        ("http://user:pw@h.test/", "http://h.test"),
        ("/relative", None),
        ("javascript:alert(1)", None),
        ("https://evil.test;script-src *", None),
        (None, None),
    ],
)
def test_origin_of(url: str | None, origin: str | None) -> None:
    assert origin_of(url) == origin


def test_page_headers() -> None:
    headers = page_headers("default-src 'self'")
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] in ("same-origin", "no-referrer")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("color", ["#4f46e5", "#ffcc00", "#ffffff", "#000", "#0f0a"])
def test_theme_colours_stay_readable(color: str) -> None:
    css = theme_css(Branding(primary_color=color))
    values = dict(
        part.split(":", 1)
        for part in css.strip().removeprefix(":root{").removesuffix("}").split(";")
        if part
    )
    assert contrast_ratio(values["--primary"], "#ffffff") >= 4.5
    assert contrast_ratio(values["--primary"], values["--on-primary"]) >= 4.5
