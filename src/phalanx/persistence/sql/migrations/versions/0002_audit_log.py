"""Audit log: ``audit_events`` (hash-chained rows) and ``audit_chain`` (the lock row);
``sessions.used_at`` (last use, for ``phalanx.session.idle_timeout``).

Revision ID: 0002_audit
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from phalanx.persistence.sql.types import UUID, JSONValue, UTCDateTime

__all__ = ["downgrade", "upgrade"]

revision: str = "0002_audit"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MYSQL: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}
_GENESIS = "0" * 64


def upgrade() -> None:
    op.add_column("sessions", sa.Column("used_at", UTCDateTime, nullable=True))
    op.create_table(
        "audit_events",
        sa.Column("id", UUID, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("occurred_at", UTCDateTime, nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("actor", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("identity_id", UUID, nullable=True),
        sa.Column("session_id", UUID, nullable=True),
        sa.Column("flow_id", UUID, nullable=True),
        sa.Column("client_address", sa.String(64), nullable=True),
        sa.Column("user_agent", sa.String(512), nullable=True),
        sa.Column("details", JSONValue, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_events"),
        sa.UniqueConstraint("seq", name="uq_audit_events_seq"),
        **_MYSQL,
    )
    op.create_index("ix_audit_events_occurred_at", "audit_events", ["occurred_at"])
    op.create_index("ix_audit_events_identity_id_seq", "audit_events", ["identity_id", "seq"])
    op.create_index("ix_audit_events_type_seq", "audit_events", ["type", "seq"])
    chain = op.create_table(
        "audit_chain",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("head_seq", sa.BigInteger(), nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.Column("anchor_seq", sa.BigInteger(), nullable=False),
        sa.Column("anchor_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_chain"),
        **_MYSQL,
    )
    op.bulk_insert(
        chain,
        [
            {
                "id": 1,
                "head_seq": 0,
                "head_hash": _GENESIS,
                "anchor_seq": 0,
                "anchor_hash": _GENESIS,
            }
        ],
    )


def downgrade() -> None:
    op.drop_table("audit_chain")
    op.drop_table("audit_events")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("used_at")
