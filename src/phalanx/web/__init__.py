"""Phalanx's built-in self-service UI: server-rendered pages at ``/ui/*`` on the public app.

Pages are drawn generically from the flows' ``ui`` nodes (:mod:`phalanx.web.render`), so a
method added later appears without touching a template; they post straight to the flow's
``ui.action`` and work without JavaScript. The public app mounts
:data:`phalanx.web.routes.routes`.
"""

from __future__ import annotations

__all__: list[str] = []
