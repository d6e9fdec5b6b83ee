"""Rate-limit and lockout counters (``phalanx.rate_limits``, Phalanx only).

Revision ID: 0003_limits
Revises: 0002_audit
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from phalanx.persistence.sql.types import UTCDateTime

__all__ = ["downgrade", "upgrade"]

revision: str = "0003_limits"
down_revision: str | Sequence[str] | None = "0002_audit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLE = "phalanx_limit_counters"


def upgrade() -> None:
    op.create_table(
        _TABLE,
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{_TABLE}"),
        mysql_engine="InnoDB",
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
    )
    op.create_index(f"ix_{_TABLE}_expires_at", _TABLE, ["expires_at"])


def downgrade() -> None:
    op.drop_table(_TABLE)
