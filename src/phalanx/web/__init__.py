"""Phalanx's built-in self-service UI: server-rendered pages at ``/ui/*`` on the public app.

Pages are drawn generically from the flows' ``ui`` nodes (:mod:`phalanx.web.render`), so a
method added later appears without touching a template; they post straight to the flow's
``ui.action`` and work without JavaScript. Whoever assembles the public app passes
:data:`phalanx.web.routes.routes` to ``phalanx.http.public.create_public_app(ui=...)``:
``web/`` builds on ``http/`` (adapter, registry lookup, error pages), never the other way.
"""

from __future__ import annotations

__all__: list[str] = []
