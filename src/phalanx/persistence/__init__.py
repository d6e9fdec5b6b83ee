"""Persistence adapters: implementations of the ports declared next to the domain.

Only :mod:`phalanx.persistence.sql` exists today (SQLite, PostgreSQL, MySQL/MariaDB),
mirroring Kratos's ``persistence/sql`` package.
"""

from __future__ import annotations

__all__: list[str] = []
