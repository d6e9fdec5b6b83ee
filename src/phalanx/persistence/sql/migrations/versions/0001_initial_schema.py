"""Initial schema: identities, sessions, self-service flows, codes, courier, continuity.

A frozen copy of ``phalanx.persistence.sql.tables`` as of this revision (helpers are
local on purpose: later edits to ``tables.py`` must not change what this revision
creates). The contract suite checks that migrating up yields exactly ``tables.metadata``.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.schema import SchemaItem

from phalanx.persistence.sql.types import UUID, JSONValue, UTCDateTime

__all__ = ["downgrade", "upgrade"]

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MYSQL: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}
_FALSE = sa.false()


def _name(kind: str, table: str, *columns: str) -> str:
    name = f"{kind}_{table}_{'_'.join(columns)}"
    if len(name) <= 63:
        return name
    return f"{name[:54]}_{hashlib.sha256(name.encode()).hexdigest()[:8]}"


class _Table:
    """Collects one table's columns, constraints and indexes, then creates them."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.items: list[SchemaItem] = [sa.Column("id", UUID, nullable=False)]
        self.indexes: list[tuple[str, list[str], dict[str, Any]]] = []

    def col(self, name: str, type_: Any, **kw: Any) -> _Table:
        kw.setdefault("nullable", True)
        self.items.append(sa.Column(name, type_, **kw))
        return self

    def ref(self, name: str, target: str, *, nullable: bool = False, index: bool = True) -> _Table:
        self.col(name, UUID, nullable=nullable)
        self.items.append(
            sa.ForeignKeyConstraint(
                [name], [f"{target}.id"], name=_name("fk", self.name, name), ondelete="CASCADE"
            )
        )
        if index:
            self.index(name)
        return self

    def unique(self, *columns: str) -> _Table:
        self.items.append(sa.UniqueConstraint(*columns, name=_name("uq", self.name, *columns)))
        return self

    def index(self, *columns: str, name: str | None = None, **kw: Any) -> _Table:
        self.indexes.append((name or _name("ix", self.name, *columns), list(columns), kw))
        return self

    def create(self) -> None:
        self.col("created_at", UTCDateTime, nullable=False)
        self.col("updated_at", UTCDateTime, nullable=False)
        self.items.append(sa.PrimaryKeyConstraint("id", name=f"pk_{self.name}"))
        op.create_table(self.name, *self.items, **_MYSQL)
        for name, columns, kw in self.indexes:
            op.create_index(name, self.name, columns, **kw)


def _flow(name: str) -> _Table:
    return (
        _Table(name)
        .col("type", sa.String(16), nullable=False)
        .col("state", sa.String(32), nullable=False)
        .col("request_url", sa.Text(), nullable=False)
        .col("return_to", sa.Text())
        .col("issued_at", UTCDateTime, nullable=False)
        .col("expires_at", UTCDateTime, nullable=False)
        .col("active_method", sa.String(32))
        .col("csrf_token", sa.String(255), nullable=False, server_default="")
        .col("ui", JSONValue, nullable=False)
        .col("internal_context", JSONValue)
        .col("transient_payload", JSONValue)
        .col("submit_count", sa.Integer(), nullable=False, server_default="0")
    )


def _secret(name: str) -> _Table:
    return (
        _Table(name)
        .col("used_at", UTCDateTime)
        .col("issued_at", UTCDateTime, nullable=False)
        .col("expires_at", UTCDateTime, nullable=False)
    )


def _identities() -> None:
    (
        _Table("identities")
        .col("schema_id", sa.String(255), nullable=False)
        .col("traits", JSONValue, nullable=False)
        .col("state", sa.String(16), nullable=False, server_default="active")
        .col("state_changed_at", UTCDateTime)
        .col("metadata_public", JSONValue)
        .col("metadata_admin", JSONValue)
        .col("available_aal", sa.String(4), nullable=False, server_default="aal1")
        .col("organization_id", UUID)
        .col("external_id", sa.String(64))
        .unique("external_id")
        .index("organization_id")
        .create()
    )
    (
        _Table("identity_credentials")
        .ref("identity_id", "identities", index=False)
        .col("type", sa.String(32), nullable=False)
        .col("config", JSONValue, nullable=False)
        .col("version", sa.Integer(), nullable=False, server_default="0")
        .unique("identity_id", "type")
        .create()
    )
    (
        _Table("identity_credential_identifiers")
        .ref("identity_id", "identities")
        .ref("credential_id", "identity_credentials")
        .col("type", sa.String(32), nullable=False)
        .col("identifier", sa.String(512), nullable=False)
        .unique("type", "identifier")
        .index("identifier", postgresql_ops={"identifier": "text_pattern_ops"})
        .create()
    )
    (
        _Table("identity_verifiable_addresses")
        .ref("identity_id", "identities")
        .col("via", sa.String(16), nullable=False)
        .col("value", sa.String(400), nullable=False)
        .col("verified", sa.Boolean(), nullable=False, server_default=_FALSE)
        .col("status", sa.String(16), nullable=False)
        .col("verified_at", UTCDateTime)
        .unique("via", "value")
        .create()
    )
    (
        _Table("identity_recovery_addresses")
        .ref("identity_id", "identities")
        .col("via", sa.String(16), nullable=False)
        .col("value", sa.String(400), nullable=False)
        .col("break_glass_for_organization", UUID)
        .unique("via", "value")
        .create()
    )


def _sessions() -> None:
    (
        _Table("sessions")
        .ref("identity_id", "identities", index=False)
        .col("token", sa.String(64), nullable=False)
        .col("logout_token", sa.String(64), nullable=False)
        .col("issued_at", UTCDateTime, nullable=False)
        .col("expires_at", UTCDateTime, nullable=False)
        .col("authenticated_at", UTCDateTime, nullable=False)
        .col("active", sa.Boolean(), nullable=False, server_default=_FALSE)
        .col("aal", sa.String(4), nullable=False, server_default="aal1")
        .col("authentication_methods", JSONValue, nullable=False)
        .unique("token")
        .unique("logout_token")
        .index("identity_id", "created_at")
        .index("expires_at", "active")
        .index("created_at", "id")
        .create()
    )
    (
        _Table("session_devices")
        .ref("session_id", "sessions")
        .ref("identity_id", "identities")
        .col("ip_address", sa.String(50), nullable=False, server_default="")
        .col("user_agent", sa.String(512), nullable=False, server_default="")
        .col("location", sa.String(512), nullable=False, server_default="")
        .create()
    )
    (
        _Table("session_token_exchanges")
        .col("flow_id", UUID, nullable=False)
        .col("session_id", UUID)
        .col("init_code", sa.String(128), nullable=False)
        .col("return_to_code", sa.String(128), nullable=False)
        .index("flow_id")
        .index("init_code")
        .create()
    )


def _flows() -> None:
    (
        _flow("selfservice_login_flows")
        .ref("identity_id", "identities", nullable=True)
        .col("session_id", UUID)
        .col("refresh", sa.Boolean(), nullable=False, server_default=_FALSE)
        .col("requested_aal", sa.String(4), nullable=False, server_default="aal1")
        .col("organization_id", UUID)
        .col("identity_schema_id", sa.String(255))
        .col("oauth2_login_challenge", sa.String(255))
        .create()
    )
    (
        _flow("selfservice_registration_flows")
        .col("organization_id", UUID)
        .col("identity_schema_id", sa.String(255))
        .col("oauth2_login_challenge", sa.String(255))
        .create()
    )
    (
        _flow("selfservice_settings_flows")
        .ref("identity_id", "identities")
        .col("session_id", UUID)
        .col("organization_id", UUID)
        .create()
    )
    (
        _flow("selfservice_recovery_flows")
        .ref("recovered_identity_id", "identities", nullable=True)
        .col("skip_csrf_check", sa.Boolean(), nullable=False, server_default=_FALSE)
        .create()
    )
    (
        _flow("selfservice_verification_flows")
        .ref("identity_id", "identities", nullable=True)
        .col("session_id", UUID)
        .col("oauth2_login_challenge", sa.String(255))
        .col("authentication_methods", JSONValue)
        .create()
    )
    (
        _Table("selfservice_errors")
        .col("errors", JSONValue, nullable=False)
        .col("seen_at", UTCDateTime)
        .col("was_seen", sa.Boolean(), nullable=False, server_default=_FALSE)
        .col("csrf_token", sa.String(255), nullable=False, server_default="")
        .create()
    )


def _secrets() -> None:
    (
        _secret("identity_recovery_codes")
        .col("code", sa.String(128), nullable=False)
        .col("code_type", sa.Integer(), nullable=False)
        .ref("identity_recovery_address_id", "identity_recovery_addresses", nullable=True)
        .ref("selfservice_recovery_flow_id", "selfservice_recovery_flows")
        .ref("identity_id", "identities")
        .create()
    )
    (
        _secret("identity_recovery_tokens")
        .col("token", sa.String(128), nullable=False)
        .col("token_type", sa.Integer(), nullable=False)
        .col("used", sa.Boolean(), nullable=False, server_default=_FALSE)
        .ref("identity_recovery_address_id", "identity_recovery_addresses", nullable=True)
        .ref("selfservice_recovery_flow_id", "selfservice_recovery_flows", nullable=True)
        .ref("identity_id", "identities")
        .unique("token")
        .create()
    )
    (
        _secret("identity_verification_codes")
        .col("code_hmac", sa.String(128), nullable=False)
        .ref("identity_verifiable_address_id", "identity_verifiable_addresses", nullable=True)
        .ref("selfservice_verification_flow_id", "selfservice_verification_flows")
        .create()
    )
    (
        _secret("identity_verification_tokens")
        .col("token", sa.String(128), nullable=False)
        .col("used", sa.Boolean(), nullable=False, server_default=_FALSE)
        .ref("identity_verifiable_address_id", "identity_verifiable_addresses")
        .ref("selfservice_verification_flow_id", "selfservice_verification_flows")
        .unique("token")
        .create()
    )
    (
        _secret("identity_login_codes")
        .col("code", sa.String(128), nullable=False)
        .col("address", sa.String(400), nullable=False)
        .col("address_type", sa.String(36), nullable=False)
        .ref("selfservice_login_flow_id", "selfservice_login_flows")
        .ref("identity_id", "identities")
        .create()
    )
    (
        _secret("identity_registration_codes")
        .col("code", sa.String(128), nullable=False)
        .col("address", sa.String(400), nullable=False)
        .col("address_type", sa.String(36), nullable=False)
        .ref("selfservice_registration_flow_id", "selfservice_registration_flows")
        .create()
    )


def _courier_and_continuity() -> None:
    (
        _Table("courier_messages")
        .col("type", sa.String(16), nullable=False)
        .col("status", sa.String(16), nullable=False)
        .col("channel", sa.String(32))
        .col("recipient", sa.String(400), nullable=False)
        .col("subject", sa.Text(), nullable=False)
        .col("body", sa.Text(), nullable=False)
        .col("template_type", sa.String(64), nullable=False, server_default="")
        .col("template_data", JSONValue)
        .col("request_headers", JSONValue)
        .col("send_count", sa.Integer(), nullable=False, server_default="0")
        .index("status", "created_at")
        .index("recipient", "created_at")
        .index("created_at", "id")
        .create()
    )
    (
        _Table("courier_message_dispatches")
        .ref("message_id", "courier_messages", index=False)
        .col("status", sa.String(16), nullable=False)
        .col("error", JSONValue)
        .index("message_id", "created_at")
        .create()
    )
    (
        _Table("continuity_containers")
        .ref("identity_id", "identities", nullable=True)
        .col("name", sa.String(255), nullable=False)
        .col("payload", JSONValue)
        .col("expires_at", UTCDateTime, nullable=False)
        .create()
    )


_TABLES_IN_CREATION_ORDER = [
    "identities",
    "identity_credentials",
    "identity_credential_identifiers",
    "identity_verifiable_addresses",
    "identity_recovery_addresses",
    "sessions",
    "session_devices",
    "session_token_exchanges",
    "selfservice_login_flows",
    "selfservice_registration_flows",
    "selfservice_settings_flows",
    "selfservice_recovery_flows",
    "selfservice_verification_flows",
    "selfservice_errors",
    "identity_recovery_codes",
    "identity_recovery_tokens",
    "identity_verification_codes",
    "identity_verification_tokens",
    "identity_login_codes",
    "identity_registration_codes",
    "courier_messages",
    "courier_message_dispatches",
    "continuity_containers",
]


def upgrade() -> None:
    _identities()
    _sessions()
    _flows()
    _secrets()
    _courier_and_continuity()


def downgrade() -> None:
    for name in reversed(_TABLES_IN_CREATION_ORDER):
        op.drop_table(name)
