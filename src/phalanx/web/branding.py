"""Branding from ``phalanx.ui`` (product name, logo, primary colour) and the theme CSS.

The CSP forbids inline styles, so the primary colour reaches the page as a tiny generated
stylesheet (:func:`theme_css`) of CSS custom properties. Colours derived from it keep the
page readable whatever the operator picks: button text is white or black, whichever
contrasts more, and the colour used for links and focus rings is darkened until it reaches
WCAG AA contrast (4.5:1) on the white card.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from phalanx.config import Config

__all__ = ["Branding", "contrast_ratio", "theme_css"]

DEFAULT_PRODUCT_NAME = "Phalanx"
DEFAULT_PRIMARY = "#4f46e5"
_WHITE = (255, 255, 255)
_INK = (17, 24, 39)


@dataclass(frozen=True, slots=True)
class Branding:
    """What the page chrome shows; ``logo_url`` None means the built-in mark."""

    product_name: str = DEFAULT_PRODUCT_NAME
    logo_url: str | None = None
    primary_color: str = DEFAULT_PRIMARY

    @classmethod
    def from_config(cls, config: Config) -> Branding:
        ui = config.phalanx.ui
        return cls(
            product_name=ui.product_name or DEFAULT_PRODUCT_NAME,
            logo_url=ui.logo_url or None,
            primary_color=ui.primary_color or DEFAULT_PRIMARY,
        )

    @property
    def theme_version(self) -> str:
        return hashlib.sha256(self.primary_color.encode()).hexdigest()[:12]


def _rgb(color: str) -> tuple[int, int, int]:
    digits = color.lstrip("#")
    if len(digits) in (3, 4):
        digits = "".join(c * 2 for c in digits[:3])
    digits = digits[:6]
    try:
        return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)
    except ValueError:
        return _rgb(DEFAULT_PRIMARY)


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio of two ``#rrggbb`` colours."""
    la, lb = _luminance(_rgb(a)), _luminance(_rgb(b))
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)


def _darken(rgb: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    r, g, b = (round(v * factor) for v in rgb)
    return r, g, b


def _readable_on_white(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    current = rgb
    while contrast_ratio(_hex(current), _hex(_WHITE)) < 4.6 and any(current):
        current = _darken(current, 0.9)
    return current


def theme_css(branding: Branding) -> str:
    """``:root`` custom properties for the primary colour (served as ``theme.css``)."""
    primary = _readable_on_white(_rgb(branding.primary_color))
    on_primary = (
        _WHITE
        if contrast_ratio(_hex(primary), _hex(_WHITE)) >= contrast_ratio(_hex(primary), _hex(_INK))
        else _INK
    )
    hover = _darken(primary, 0.85)
    return (
        ":root{"
        f"--primary:{_hex(primary)};"
        f"--primary-hover:{_hex(hover)};"
        f"--on-primary:{_hex(on_primary)};"
        "}\n"
    )
