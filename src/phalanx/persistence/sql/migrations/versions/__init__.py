"""Alembic revisions, applied in order by :func:`phalanx.persistence.sql.migrations.migrate_up`."""

from __future__ import annotations

__all__: list[str] = []
