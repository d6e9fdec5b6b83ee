"""Delete expired rows in batches: what ``phalanx cleanup sql`` runs.

Mirrors Kratos's ``Persister.CleanupDatabase`` (``persistence/sql/persister.go``):
everything that expired before ``now - keep_last`` goes, one table after the other, in
batches of ``batch_size`` rows selected oldest first, with ``sleep_tables`` between
tables. Each batch is one short transaction, so the server keeps running meanwhile.

Kratos deletes one batch per table and run ("re-run periodically"); Phalanx repeats
batches until a table has nothing left to delete, and cleans more than Kratos does:

* sessions that expired **or were revoked** (``active = false``, by ``updated_at``);
  their devices go with them (foreign key cascade);
* continuity containers and the five self-service flow kinds that expired; the codes
  and link tokens of a deleted flow go with it (cascade);
* login, registration, recovery and verification codes and link tokens that expired or
  were used (``used_at``);
* session token exchangers and self-service error containers created more than an hour
  before the cutoff (Kratos's exchanger cleanup means to keep one hour; error containers
  are only read right after the redirect that names them);
* audit events older than ``audit_retention`` (``phalanx.audit.retention``; unset: kept),
  oldest first in chain order, after checking they verify; the chain's anchor moves to the
  newest deleted event so the rest still verifies (:mod:`phalanx.persistence.sql.audit_store`).
  A chain that does not verify is not pruned (``CleanupResult.audit_error``).

Each batch is a plain read of at most ``batch_size`` ids (oldest first) and one ``DELETE``
of those ids by primary key that re-checks the condition (see :func:`delete_batch`): no
statement locks more than one batch of rows, on any database.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import anyio
from sqlalchemy import ColumnElement, Table, delete, false, or_, select

from phalanx.clock import utcnow
from phalanx.persistence.sql import tables as t
from phalanx.persistence.sql.engine import Database

__all__ = ["GRACE", "CleanupResult", "CleanupRule", "cleanup_database", "cleanup_rules"]

GRACE = timedelta(hours=1)
"""How long before the cutoff exchangers and error containers must have been created."""

Condition = Callable[[datetime], ColumnElement[bool]]


@dataclass(frozen=True, slots=True)
class CleanupRule:
    """One table and what makes its rows deletable at a given cutoff time."""

    description: str
    table: Table
    condition: Condition
    oldest_first: str
    """The column batches are ordered by (oldest rows are deleted first)."""


@dataclass(slots=True)
class CleanupResult:
    """What one run deleted: rule description -> rows (cascaded rows not counted)."""

    cutoff: datetime
    deleted: dict[str, int] = field(default_factory=dict)
    audit_error: str | None = None
    """Why old audit events were kept (their chain does not verify), if it does not."""

    @property
    def total(self) -> int:
        return sum(self.deleted.values())


def _expired(table: Table) -> Condition:
    return lambda cutoff: table.c.expires_at <= cutoff


def _expired_or_used(table: Table) -> Condition:
    return lambda cutoff: or_(table.c.expires_at <= cutoff, table.c.used_at <= cutoff)


def _created_before_grace(table: Table) -> Condition:
    return lambda cutoff: table.c.created_at <= cutoff - GRACE


def _session_dead(cutoff: datetime) -> ColumnElement[bool]:
    s = t.sessions
    return or_(s.c.expires_at <= cutoff, (s.c.active == false()) & (s.c.updated_at <= cutoff))


def cleanup_rules() -> tuple[CleanupRule, ...]:
    """Every rule, in the order they run (codes before the flows that own them)."""
    secrets = [
        ("login codes", t.identity_login_codes),
        ("registration codes", t.identity_registration_codes),
        ("recovery codes", t.identity_recovery_codes),
        ("recovery link tokens", t.identity_recovery_tokens),
        ("verification codes", t.identity_verification_codes),
        ("verification link tokens", t.identity_verification_tokens),
    ]
    return (
        CleanupRule("expired or revoked sessions", t.sessions, _session_dead, "expires_at"),
        CleanupRule(
            "expired continuity containers",
            t.continuity_containers,
            _expired(t.continuity_containers),
            "expires_at",
        ),
        *(
            CleanupRule(f"expired or used {name}", table, _expired_or_used(table), "expires_at")
            for name, table in secrets
        ),
        *(
            CleanupRule(f"expired {flow} flows", table, _expired(table), "expires_at")
            for flow, table in t.FLOW_TABLES.items()
        ),
        CleanupRule(
            "expired rate-limit counters",
            t.limit_counters,
            _expired(t.limit_counters),
            "expires_at",
        ),
        CleanupRule(
            "old session token exchangers",
            t.session_token_exchanges,
            _created_before_grace(t.session_token_exchanges),
            "created_at",
        ),
        CleanupRule(
            "old self-service errors",
            t.selfservice_errors,
            _created_before_grace(t.selfservice_errors),
            "created_at",
        ),
    )


@dataclass(frozen=True, slots=True)
class Batch:
    """One batch: rows picked (at most the batch size) and rows deleted."""

    picked: int
    deleted: int


async def delete_batch(db: Database, rule: CleanupRule, cutoff: datetime, limit: int) -> Batch:
    """Delete up to ``limit`` matching rows of one table, oldest first.

    Two short transactions: a plain (non-locking) read picks the ids, then one ``DELETE``
    by primary key -- re-checking the condition, so a row changed in between stays --
    locks only those rows. A single ``DELETE ... WHERE id IN (SELECT ...)`` would take
    shared locks on every row its subquery reads on MySQL/MariaDB (a locking read)."""
    table = rule.table
    pick = (
        select(table.c.id)
        .where(rule.condition(cutoff))
        .order_by(table.c[rule.oldest_first], table.c.id)
        .limit(limit)
    )
    async with db.transaction(readonly=True) as conn:
        ids = list((await conn.execute(pick)).scalars())
    if not ids:
        return Batch(0, 0)
    statement = delete(table).where(table.c.id.in_(ids), rule.condition(cutoff))
    async with db.transaction() as conn:
        result = await conn.execute(statement)
    return Batch(len(ids), max(result.rowcount, 0))


async def _prune_audit(
    db: Database,
    cutoff: datetime,
    batch_size: int,
    result: CleanupResult,
    say: Callable[[str], Awaitable[None]],
) -> None:
    from phalanx.persistence.sql.audit_store import AuditChainBrokenError, SQLAuditStore

    store = SQLAuditStore(db)
    description = "audit events past retention"
    try:
        result.deleted[description] = await store.prune(cutoff, batch_size)
    except AuditChainBrokenError as exc:
        result.audit_error = str(exc)
        await say(f"Audit events NOT pruned: the audit log does not verify: {exc}")
        return
    await say(f"Cleaned up {result.deleted[description]} {description}")


async def cleanup_database(
    db: Database,
    *,
    keep_last: timedelta = timedelta(0),
    batch_size: int = 100,
    sleep_tables: timedelta = timedelta(0),
    now: datetime | None = None,
    progress: Callable[[str], Awaitable[None] | None] | None = None,
    audit_retention: timedelta | None = None,
) -> CleanupResult:
    """Run every :func:`cleanup_rules` rule; rows newer than ``keep_last`` are kept.

    ``progress`` receives one human-readable line per step (Kratos logs the same steps).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    cutoff = (now or utcnow()) - keep_last
    result = CleanupResult(cutoff=cutoff)

    async def say(line: str) -> None:
        if progress is not None:
            maybe = progress(line)
            if maybe is not None:
                await maybe

    await say(f"Cleaning up records older than {cutoff.isoformat()}")
    rules = cleanup_rules()
    for index, rule in enumerate(rules):
        total = 0
        while True:
            batch = await delete_batch(db, rule, cutoff, batch_size)
            total += batch.deleted
            if batch.picked < batch_size:
                break
        result.deleted[rule.description] = total
        await say(f"Cleaned up {total} {rule.description}")
        if index < len(rules) - 1 and sleep_tables > timedelta(0):
            await anyio.sleep(sleep_tables.total_seconds())
    if audit_retention is not None:
        await _prune_audit(db, (now or utcnow()) - audit_retention, batch_size, result, say)
    await say(f"Successfully cleaned up {result.total} expired records.")
    return result
