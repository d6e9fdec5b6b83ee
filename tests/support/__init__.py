"""Shared test helpers: paths, OpenAPI contract checks, real server processes, databases.

Import from the submodules (``tests.support.openapi``, ``tests.support.server``, ...); this
package exports nothing itself.
"""

from __future__ import annotations

__all__: list[str] = []
