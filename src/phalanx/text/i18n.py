"""A small translation hook for UI texts.

Kratos writes every text in American English and leaves translation to the UI, which keys on
the message ``id`` and fills its own template from ``context``. Phalanx's built-in UI does the
same through :func:`translate`: a locale is a mapping ``id -> template`` where a template uses
``str.format`` fields named after the message's context keys (``"Property {property} is
missing."``). English is built in as the texts themselves; other locales are registered with
:func:`register_locale`. A message whose id the locale lacks, or whose template needs a value
the context does not have, falls back to the English text.
"""

from __future__ import annotations

from collections.abc import Mapping
from string import Formatter
from typing import Any

from phalanx.text.message import UiText

__all__ = ["DEFAULT_LOCALE", "available_locales", "register_locale", "translate"]

DEFAULT_LOCALE = "en"

_LOCALES: dict[str, dict[int, str]] = {DEFAULT_LOCALE: {}}


def register_locale(locale: str, templates: Mapping[int, str]) -> None:
    """Add (or extend) a locale: ``templates`` maps message ids to format templates."""
    key = _normalise(locale)
    for message_id, template in templates.items():
        _check_template(template)
        _LOCALES.setdefault(key, {})[int(message_id)] = template


def available_locales() -> list[str]:
    """The registered locale tags, English first."""
    return [DEFAULT_LOCALE, *sorted(k for k in _LOCALES if k != DEFAULT_LOCALE)]


def translate(text: UiText, locale: str = DEFAULT_LOCALE) -> str:
    """The text of ``text`` in ``locale`` (``"de"``, ``"de-CH"`` falls back to ``"de"``)."""
    for candidate in _candidates(locale):
        template = _LOCALES.get(candidate, {}).get(int(text.id))
        if template is not None:
            rendered = _render(template, text.context or {})
            if rendered is not None:
                return rendered
    return text.text


def _normalise(locale: str) -> str:
    return locale.strip().replace("_", "-").lower()


def _candidates(locale: str) -> list[str]:
    tag = _normalise(locale)
    out = [tag]
    while "-" in tag:
        tag = tag.rsplit("-", 1)[0]
        out.append(tag)
    return out


def _check_template(template: str) -> None:
    # Fail at registration, not at render time, on a malformed template.
    for _literal, field, _spec, _conv in Formatter().parse(template):
        if field is not None and not field.isidentifier():
            raise ValueError(f"template field {field!r} must be a context key")


def _render(template: str, context: Mapping[str, Any]) -> str | None:
    try:
        return template.format_map(dict(context))
    except (KeyError, IndexError, ValueError):
        return None
