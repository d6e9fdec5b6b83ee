"""Locale negotiation and translatable page chrome."""

from __future__ import annotations

import pytest

from phalanx.config import Config
from phalanx.text import register_locale
from phalanx.web.i18n import chrome, group_title, negotiate_locale, register_chrome
from phalanx.web.pages import flow_page
from tests.web import flows
from tests.web.dom import parse


@pytest.fixture(autouse=True)
def _x_web() -> None:
    register_locale("x-web", {1070001: "Kennwort"})
    register_chrome("x-web", {"title.login": "Anmelden", "welcome.signed_in_as": "Hallo {name}"})


@pytest.mark.parametrize(
    ("header", "locale"),
    [
        (None, "en"),
        ("", "en"),
        ("fr-CH, fr;q=0.9, en;q=0.8", "en"),
        ("x-web-CH", "x-web"),
        ("en;q=0.5, x-web;q=0.9", "x-web"),
        ("x-web;q=0, en", "en"),
        ("*", "en"),
        ("garbage;;q=abc", "en"),
    ],
)
def test_negotiate_locale(header: str | None, locale: str) -> None:
    assert negotiate_locale(header) == locale


def test_chrome_falls_back_to_english() -> None:
    assert chrome("title.login", "x-web") == "Anmelden"
    assert chrome("title.registration", "x-web") == "Create an account"
    assert chrome("welcome.signed_in_as", "x-web", name="Ada") == "Hallo Ada"
    assert chrome("error.code", "en", code=410) == "Error 410"


def test_register_chrome_rejects_unknown_keys_and_bad_templates() -> None:
    with pytest.raises(KeyError):
        register_chrome("x-web", {"no.such.text": "x"})
    with pytest.raises(ValueError, match="plain name"):
        register_chrome("x-web", {"error.code": "{code.__class__}"})


def test_group_titles() -> None:
    assert group_title("totp") == "Authenticator app"
    assert group_title("carrier_pigeon") == "Carrier pigeon"


def test_page_is_rendered_in_the_locale(config: Config) -> None:
    doc = parse(flow_page(config, "login", flows.login_flow(), locale="x-web"))
    assert doc.find("html")["lang"] == "x-web"
    assert doc.find("h1").text == "Anmelden"
    assert doc.find("label", for_="n-password").text == "Kennwort"
