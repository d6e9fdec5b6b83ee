"""The admin console: server-rendered pages under ``/admin/ui/`` on the admin port.

Identities (list, search, create, edit, credentials, recovery, delete), their sessions,
the courier's messages and the audit log, drawn with the built-in UI's templates and
styles and changed through the same services as the admin API. Optional login
(``phalanx.admin_ui.auth``), CSRF on every form, no script (see :mod:`.access`).
"""

from phalanx.console.routes import console_enabled, console_routes, console_routes_for

__all__ = ["console_enabled", "console_routes", "console_routes_for"]
