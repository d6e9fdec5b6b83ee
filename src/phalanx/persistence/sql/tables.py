"""Every table Phalanx stores, as SQLAlchemy Core ``Table`` objects.

The shape follows Kratos's final schema (``persistence/sql/migrations``) with three
deliberate simplifications:

* no ``nid`` column: one Phalanx deployment is one Kratos network, so Kratos's
  per-network unique indexes become plain unique indexes;
* credential types are stored by name (``identity_credentials.type``) instead of through
  the seeded ``identity_credential_types`` table;
* session and logout tokens are stored as the SHA-256 hex digest of the token (Kratos
  stores them in plaintext), so a database leak does not leak live sessions; lookups
  hash the presented token first. Recovery/verification/login/registration codes and
  link tokens hold the keyed HMAC hex digest, exactly as Kratos does.

Foreign keys to identities cascade on delete, so ``DELETE FROM identities`` removes
credentials, identifiers, addresses, sessions, flows bound to the identity and codes.
On MySQL/MariaDB every table is InnoDB, ``utf8mb4`` with the binary collation, so string
equality and ``LIKE`` are case-sensitive as on PostgreSQL and in Kratos's unique indexes.

This module is the schema *now*; migrations under ``migrations/versions`` are frozen
copies and are what actually creates the tables.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.schema import SchemaItem

from phalanx.persistence.sql.conventions import MYSQL_TABLE_OPTIONS, NAMING_CONVENTION
from phalanx.persistence.sql.types import UUID, JSONValue, UTCDateTime

__all__ = [
    "FLOW_TABLES",
    "audit_chain",
    "audit_events",
    "continuity_containers",
    "courier_message_dispatches",
    "courier_messages",
    "identities",
    "identity_credential_identifiers",
    "identity_credentials",
    "identity_login_codes",
    "identity_recovery_addresses",
    "identity_recovery_codes",
    "identity_recovery_tokens",
    "identity_registration_codes",
    "identity_verifiable_addresses",
    "identity_verification_codes",
    "identity_verification_tokens",
    "limit_counters",
    "login_flows",
    "metadata",
    "recovery_flows",
    "registration_flows",
    "selfservice_errors",
    "session_devices",
    "session_token_exchanges",
    "sessions",
    "settings_flows",
    "verification_flows",
]

metadata = MetaData(naming_convention=NAMING_CONVENTION)

IDENTIFIER_LENGTH = 512
ADDRESS_LENGTH = 400
HMAC_LENGTH = 128


def _id() -> Column[Any]:
    return Column("id", UUID, primary_key=True)


def _timestamps() -> tuple[Column[Any], Column[Any]]:
    return (
        Column("created_at", UTCDateTime, nullable=False),
        Column("updated_at", UTCDateTime, nullable=False),
    )


def _identity_fk(name: str = "identity_id", *, nullable: bool = False) -> Column[Any]:
    return Column(
        name, UUID, ForeignKey("identities.id", ondelete="CASCADE"), nullable=nullable, index=True
    )


def _fk(name: str, target: str, *, nullable: bool = False) -> Column[Any]:
    return Column(name, UUID, ForeignKey(target, ondelete="CASCADE"), nullable=nullable, index=True)


def _table(name: str, *items: SchemaItem) -> Table:
    options: dict[str, Any] = MYSQL_TABLE_OPTIONS
    return Table(name, metadata, *items, **options)


# --- identities -------------------------------------------------------------------------

identities = _table(
    "identities",
    _id(),
    Column("schema_id", String(255), nullable=False),
    Column("traits", JSONValue, nullable=False),
    Column("state", String(16), nullable=False, server_default="active"),
    Column("state_changed_at", UTCDateTime),
    Column("metadata_public", JSONValue),
    Column("metadata_admin", JSONValue),
    Column("available_aal", String(4), nullable=False, server_default="aal1"),
    Column("organization_id", UUID, index=True),
    # NULLs never collide in a unique index on any supported database, which gives
    # Kratos's partial index "UNIQUE (external_id) WHERE external_id IS NOT NULL".
    Column("external_id", String(64), unique=True),
    *_timestamps(),
)

identity_credentials = _table(
    "identity_credentials",
    _id(),
    Column("identity_id", UUID, ForeignKey("identities.id", ondelete="CASCADE"), nullable=False),
    Column("type", String(32), nullable=False),
    Column("config", JSONValue, nullable=False),
    Column("version", Integer, nullable=False, server_default="0"),
    *_timestamps(),
    UniqueConstraint("identity_id", "type"),
)

identity_credential_identifiers = _table(
    "identity_credential_identifiers",
    _id(),
    _identity_fk(),
    _fk("credential_id", "identity_credentials.id"),
    Column("type", String(32), nullable=False),
    Column("identifier", String(IDENTIFIER_LENGTH), nullable=False),
    *_timestamps(),
    # The source of Kratos's 409 "This identity conflicts with another identity ...".
    UniqueConstraint("type", "identifier"),
    # Prefix search (credentials_identifier_similar); text_pattern_ops lets PostgreSQL
    # use the index for LIKE 'x%' under any collation.
    Index(
        "ix_identity_credential_identifiers_identifier",
        "identifier",
        postgresql_ops={"identifier": "text_pattern_ops"},
    ),
)

identity_verifiable_addresses = _table(
    "identity_verifiable_addresses",
    _id(),
    _identity_fk(),
    Column("via", String(16), nullable=False),
    Column("value", String(ADDRESS_LENGTH), nullable=False),
    Column("verified", Boolean, nullable=False, server_default=false()),
    Column("status", String(16), nullable=False),
    Column("verified_at", UTCDateTime),
    *_timestamps(),
    UniqueConstraint("via", "value"),
)

identity_recovery_addresses = _table(
    "identity_recovery_addresses",
    _id(),
    _identity_fk(),
    Column("via", String(16), nullable=False),
    Column("value", String(ADDRESS_LENGTH), nullable=False),
    Column("break_glass_for_organization", UUID),
    *_timestamps(),
    UniqueConstraint("via", "value"),
)

# --- sessions ---------------------------------------------------------------------------

sessions = _table(
    "sessions",
    _id(),
    Column("identity_id", UUID, ForeignKey("identities.id", ondelete="CASCADE"), nullable=False),
    Column("token", String(64), nullable=False, unique=True),  # sha256 hex of ory_st_...
    Column("logout_token", String(64), nullable=False, unique=True),  # sha256 hex of ory_lo_...
    Column("issued_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("authenticated_at", UTCDateTime, nullable=False),
    Column("active", Boolean, nullable=False, server_default=false()),
    Column("aal", String(4), nullable=False, server_default="aal1"),
    Column("authentication_methods", JSONValue, nullable=False),
    *_timestamps(),
    # Phalanx: last use, for phalanx.session.idle_timeout (NULL: at authenticated_at).
    Column("used_at", UTCDateTime),
    Index("ix_sessions_identity_id_created_at", "identity_id", "created_at"),
    Index("ix_sessions_expires_at_active", "expires_at", "active"),
    Index("ix_sessions_created_at_id", "created_at", "id"),
)

session_devices = _table(
    "session_devices",
    _id(),
    _fk("session_id", "sessions.id"),
    _identity_fk(),
    Column("ip_address", String(50), nullable=False, server_default=""),
    Column("user_agent", String(512), nullable=False, server_default=""),
    Column("location", String(512), nullable=False, server_default=""),
    *_timestamps(),
)

# --- self-service flows -----------------------------------------------------------------


def _flow_table(name: str, *extra: SchemaItem) -> Table:
    """Columns every Kratos self-service flow row has, plus the flow's own."""
    return _table(
        name,
        _id(),
        Column("type", String(16), nullable=False),
        Column("state", String(32), nullable=False),
        Column("request_url", Text, nullable=False),
        Column("return_to", Text),
        Column("issued_at", UTCDateTime, nullable=False),
        Column("expires_at", UTCDateTime, nullable=False),
        Column("active_method", String(32)),
        Column("csrf_token", String(255), nullable=False, server_default=""),
        Column("ui", JSONValue, nullable=False),
        Column("internal_context", JSONValue),
        Column("transient_payload", JSONValue),
        Column("submit_count", Integer, nullable=False, server_default="0"),
        *extra,
        *_timestamps(),
    )


login_flows = _flow_table(
    "selfservice_login_flows",
    _identity_fk(nullable=True),  # set for refresh / AAL upgrade flows
    Column("session_id", UUID),
    Column("refresh", Boolean, nullable=False, server_default=false()),
    Column("requested_aal", String(4), nullable=False, server_default="aal1"),
    Column("organization_id", UUID),
    Column("identity_schema_id", String(255)),
    Column("oauth2_login_challenge", String(255)),
)

registration_flows = _flow_table(
    "selfservice_registration_flows",
    Column("organization_id", UUID),
    Column("identity_schema_id", String(255)),
    Column("oauth2_login_challenge", String(255)),
)

settings_flows = _flow_table(
    "selfservice_settings_flows",
    _identity_fk(),
    Column("session_id", UUID),
    Column("organization_id", UUID),
)

recovery_flows = _flow_table(
    "selfservice_recovery_flows",
    _identity_fk("recovered_identity_id", nullable=True),
    Column("skip_csrf_check", Boolean, nullable=False, server_default=false()),
)

verification_flows = _flow_table(
    "selfservice_verification_flows",
    _identity_fk(nullable=True),
    Column("session_id", UUID),
    Column("oauth2_login_challenge", String(255)),
    Column("authentication_methods", JSONValue),
)

FLOW_TABLES = {
    "login": login_flows,
    "registration": registration_flows,
    "settings": settings_flows,
    "recovery": recovery_flows,
    "verification": verification_flows,
}
"""Flow name -> its table."""

selfservice_errors = _table(
    "selfservice_errors",
    _id(),
    Column("errors", JSONValue, nullable=False),
    Column("seen_at", UTCDateTime),
    Column("was_seen", Boolean, nullable=False, server_default=false()),
    Column("csrf_token", String(255), nullable=False, server_default=""),
    *_timestamps(),
)

session_token_exchanges = _table(
    "session_token_exchanges",
    _id(),
    Column("flow_id", UUID, nullable=False, index=True),
    Column("session_id", UUID),
    Column("init_code", String(HMAC_LENGTH), nullable=False, index=True),
    Column("return_to_code", String(HMAC_LENGTH), nullable=False),
    *_timestamps(),
)

# --- one-time codes and link tokens (keyed HMAC hex, never the plaintext) ---------------


def _secret_table(name: str, *items: SchemaItem) -> Table:
    return _table(
        name,
        _id(),
        *items,
        Column("used_at", UTCDateTime),
        Column("issued_at", UTCDateTime, nullable=False),
        Column("expires_at", UTCDateTime, nullable=False),
        *_timestamps(),
    )


identity_recovery_codes = _secret_table(
    "identity_recovery_codes",
    Column("code", String(HMAC_LENGTH), nullable=False),
    Column("code_type", Integer, nullable=False),  # 1 admin, 2 self-service (Kratos)
    _fk("identity_recovery_address_id", "identity_recovery_addresses.id", nullable=True),
    _fk("selfservice_recovery_flow_id", "selfservice_recovery_flows.id"),
    _identity_fk(),
)

identity_recovery_tokens = _secret_table(
    "identity_recovery_tokens",
    Column("token", String(HMAC_LENGTH), nullable=False, unique=True),
    Column("token_type", Integer, nullable=False),  # 1 admin, 2 self-service (Kratos)
    Column("used", Boolean, nullable=False, server_default=false()),
    _fk("identity_recovery_address_id", "identity_recovery_addresses.id", nullable=True),
    _fk("selfservice_recovery_flow_id", "selfservice_recovery_flows.id", nullable=True),
    _identity_fk(),
)

identity_verification_codes = _secret_table(
    "identity_verification_codes",
    Column("code_hmac", String(HMAC_LENGTH), nullable=False),
    _fk("identity_verifiable_address_id", "identity_verifiable_addresses.id", nullable=True),
    _fk("selfservice_verification_flow_id", "selfservice_verification_flows.id"),
)

identity_verification_tokens = _secret_table(
    "identity_verification_tokens",
    Column("token", String(HMAC_LENGTH), nullable=False, unique=True),
    Column("used", Boolean, nullable=False, server_default=false()),
    _fk("identity_verifiable_address_id", "identity_verifiable_addresses.id"),
    _fk("selfservice_verification_flow_id", "selfservice_verification_flows.id"),
)

identity_login_codes = _secret_table(
    "identity_login_codes",
    Column("code", String(HMAC_LENGTH), nullable=False),
    Column("address", String(ADDRESS_LENGTH), nullable=False),
    Column("address_type", String(36), nullable=False),
    _fk("selfservice_login_flow_id", "selfservice_login_flows.id"),
    _identity_fk(),
)

identity_registration_codes = _secret_table(
    "identity_registration_codes",
    Column("code", String(HMAC_LENGTH), nullable=False),
    Column("address", String(ADDRESS_LENGTH), nullable=False),
    Column("address_type", String(36), nullable=False),
    _fk("selfservice_registration_flow_id", "selfservice_registration_flows.id"),
)

# --- courier ----------------------------------------------------------------------------

courier_messages = _table(
    "courier_messages",
    _id(),
    Column("type", String(16), nullable=False),  # email | sms
    Column("status", String(16), nullable=False),  # queued | processing | sent | abandoned
    Column("channel", String(32)),
    Column("recipient", String(ADDRESS_LENGTH), nullable=False),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("template_type", String(64), nullable=False, server_default=""),
    Column("template_data", JSONValue),
    Column("request_headers", JSONValue),
    Column("send_count", Integer, nullable=False, server_default="0"),
    *_timestamps(),
    Index("ix_courier_messages_status_created_at", "status", "created_at"),
    Index("ix_courier_messages_recipient_created_at", "recipient", "created_at"),
    Index("ix_courier_messages_created_at_id", "created_at", "id"),
)

courier_message_dispatches = _table(
    "courier_message_dispatches",
    _id(),
    Column(
        "message_id", UUID, ForeignKey("courier_messages.id", ondelete="CASCADE"), nullable=False
    ),
    Column("status", String(16), nullable=False),  # failed | success
    Column("error", JSONValue),
    *_timestamps(),
    Index("ix_courier_message_dispatches_message_id_created_at", "message_id", "created_at"),
)

continuity_containers = _table(
    "continuity_containers",
    _id(),
    _identity_fk(nullable=True),
    Column("name", String(255), nullable=False),
    Column("payload", JSONValue),
    Column("expires_at", UTCDateTime, nullable=False),
    *_timestamps(),
)

# --- audit log (Phalanx only; see phalanx.audit) ---------------------------------------

audit_events = _table(
    "audit_events",
    _id(),
    Column("seq", BigInteger, nullable=False, unique=True),
    Column("occurred_at", UTCDateTime, nullable=False, index=True),
    Column("type", String(64), nullable=False),
    Column("actor", String(16), nullable=False),
    Column("outcome", String(16), nullable=False),
    # No foreign keys: the record outlives the identity, session and flow it names.
    Column("identity_id", UUID),
    Column("session_id", UUID),
    Column("flow_id", UUID),
    Column("client_address", String(64)),
    Column("user_agent", String(512)),
    Column("details", JSONValue, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_audit_events_identity_id_seq", "identity_id", "seq"),
    Index("ix_audit_events_type_seq", "type", "seq"),
)

#: One row (id 1): the chain's head (newest row) and anchor (newest pruned row). Every
#: append locks it, which serialises writers across processes and hosts.
audit_chain = _table(
    "audit_chain",
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("head_seq", BigInteger, nullable=False),
    Column("head_hash", String(64), nullable=False),
    Column("anchor_seq", BigInteger, nullable=False),
    Column("anchor_hash", String(64), nullable=False),
)

# --- Phalanx: rate limits and lockout (phalanx.limits) --------------------------------

limit_counters = _table(
    "phalanx_limit_counters",
    # HMAC-SHA256 hex digest of (action, dimension, subject); see phalanx.limits.keys.
    Column("id", String(64), primary_key=True),
    Column("hits", Integer, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False, index=True),
)
