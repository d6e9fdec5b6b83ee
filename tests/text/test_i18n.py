"""The translation hook: English built in, other locales as id -> template dicts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from phalanx.text import (
    available_locales,
    i18n,
    invalid_credentials,
    register_locale,
    translate,
    validation_required,
)


@pytest.fixture(autouse=True)
def _restore_locales() -> Iterator[None]:
    saved = {k: dict(v) for k, v in i18n._LOCALES.items()}
    yield
    i18n._LOCALES.clear()
    i18n._LOCALES.update(saved)


def test_english_is_the_text_itself() -> None:
    msg = validation_required("email")
    assert translate(msg) == "Property email is missing."
    assert translate(msg, "en-US") == "Property email is missing."
    assert available_locales() == ["en"]


def test_registered_locale_renders_context_and_falls_back() -> None:
    register_locale("de", {4000002: "Eigenschaft {property} fehlt."})
    assert translate(validation_required("email"), "de-CH") == "Eigenschaft email fehlt."
    assert translate(validation_required("email"), "de_DE") == "Eigenschaft email fehlt."
    # id missing in the locale: English
    assert translate(invalid_credentials(), "de").startswith("The provided credentials")
    assert available_locales() == ["en", "de"]


def test_template_needing_missing_context_falls_back() -> None:
    register_locale("fr", {4000006: "Identifiants invalides {nope}."})
    assert translate(invalid_credentials(), "fr").startswith("The provided credentials")


def test_malformed_template_is_refused() -> None:
    with pytest.raises(ValueError, match="context key"):
        register_locale("xx", {4000002: "Missing {0}"})
