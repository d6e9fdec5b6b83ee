"""Console pages: the built-in UI's Jinja2 environment, branding and stylesheet, served from
the admin port (framework-free).

The console's templates live in ``web/templates/console/`` and extend the UI's
``base.html``; its assets (the UI's ``style.css`` plus ``console.css``, the favicon and the
theme) are served under ``/admin/ui/static/`` and ``/admin/ui/theme.css``, so a console
page loads nothing from another origin. There is no script at all: the CSP says
``script-src 'none'``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from phalanx.web.branding import Branding
from phalanx.web.pages import Chrome
from phalanx.web.security import origin_of
from phalanx.web.templates import render, static_version

if TYPE_CHECKING:
    from phalanx.config import Config

__all__ = ["NAV", "console_chrome", "console_csp", "render_page"]

#: The console's sections: (path under /admin/ui/, label).
NAV = (("identities", "Identities"), ("courier", "Courier"), ("audit", "Audit log"))


def console_chrome(config: Config, root: str, title: str) -> Chrome:
    """``base.html``'s chrome with the console's asset URLs (``root`` = ``.../admin/ui/``)."""
    brand = Branding.from_config(config)
    favicon = f"{root}static/favicon.svg?v={static_version('favicon.svg')}"
    return Chrome(
        locale="en",
        title=title,
        product_name=f"{brand.product_name} admin",
        logo_url=brand.logo_url or favicon,
        favicon_url=favicon,
        stylesheet_url=f"{root}static/style.css?v={static_version('style.css')}",
        theme_url=f"{root}theme.css?v={brand.theme_version}",
    )


def console_csp(config: Config) -> str:
    """No scripts, styles and forms from the admin origin only, images also from the logo's."""
    img_sources = ["'self'", "data:"]
    logo = origin_of(config.phalanx.ui.logo_url)
    if logo:
        img_sources.append(logo)
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'none'",
            "style-src 'self'",
            f"img-src {' '.join(img_sources)}",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ]
    )


def render_page(config: Config, root: str, template: str, title: str, **context: Any) -> str:
    """Render ``console/<template>`` with the chrome, navigation and ``context``."""
    page = console_chrome(config, root, title)
    console_css = f"{root}static/console.css?v={static_version('console.css')}"
    values: dict[str, Any] = {
        "notice": None,
        "error": None,
        "section": None,
        "hide_nav": False,
        **context,
    }
    return render(
        f"console/{template}",
        page=page,
        root=root,
        nav=NAV,
        console_css=console_css,
        **values,
    )
