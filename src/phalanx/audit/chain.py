"""The hash chain: each row's hash covers its content and the previous row's hash.

``hash = SHA-256(prev_hash || "\\n" || canonical JSON of the row)``. The canonical JSON has
sorted keys, no spaces, UUIDs as strings and the time as RFC 3339 with microseconds, so
every database (which all keep microseconds) gives back exactly what was hashed.

The chain starts at an *anchor*: ``(0, GENESIS)`` for a new database, or the sequence
number and hash of the newest row that retention pruned. The *head* is the newest row's
``(seq, hash)``, kept in the lock row every append updates. :func:`verify` walks the rows
from the anchor to the head and reports:

* an edited row (its hash no longer matches its content),
* a deleted row in the middle (a gap in ``seq``, or a ``prev_hash`` that does not link),
* a deleted first row (the first ``seq`` is not ``anchor + 1``),
* deleted newest rows (the last row is not the head).

What a chain cannot stop is someone who rewrites every row after an edit *and* the head;
the structured log line of each event carries its hash, so a copy of the log kept
elsewhere pins the chain (see README, "Audit log").
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterable, Iterable
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

import orjson

from phalanx.audit.events import AuditEvent, StoredEvent

__all__ = ["GENESIS", "Anchor", "VerifyReport", "canonical", "chain_hash", "verify"]

GENESIS = "0" * 64
"""``prev_hash`` of the very first row."""


def _id(value: Any) -> str | None:
    return None if value is None else str(value)


def canonical(seq: int, event: AuditEvent) -> bytes:
    """The bytes a row's hash covers (everything but the hashes themselves)."""
    moment = event.occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return orjson.dumps(
        {
            "seq": seq,
            "id": str(event.id),
            "occurred_at": moment,
            "type": event.type,
            "actor": event.actor,
            "outcome": event.outcome,
            "identity_id": _id(event.identity_id),
            "session_id": _id(event.session_id),
            "flow_id": _id(event.flow_id),
            "client_address": event.client_address,
            "user_agent": event.user_agent,
            "details": dict(event.details),
        },
        option=orjson.OPT_SORT_KEYS,
    )


def chain_hash(prev_hash: str, seq: int, event: AuditEvent) -> str:
    digest = hashlib.sha256(prev_hash.encode("ascii") + b"\n" + canonical(seq, event))
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class Anchor:
    """Where the chain starts (after pruning) and where it ends (the head)."""

    anchor_seq: int
    anchor_hash: str
    head_seq: int
    head_hash: str


@dataclass(slots=True)
class VerifyReport:
    """What :func:`verify` found; ``ok`` when nothing."""

    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


async def verify(
    anchor: Anchor, rows: AsyncIterable[StoredEvent] | Iterable[StoredEvent]
) -> VerifyReport:
    """Check ``rows`` (oldest first) against the chain rules and ``anchor``."""
    report = VerifyReport()
    expected_seq, expected_prev = anchor.anchor_seq + 1, anchor.anchor_hash

    def check(row: StoredEvent) -> None:
        nonlocal expected_seq, expected_prev
        report.checked += 1
        if row.seq != expected_seq:
            report.problems.append(
                f"rows {expected_seq}..{row.seq - 1} are missing (deleted?)"
                if row.seq > expected_seq
                else f"row {row.seq} is out of order"
            )
        elif row.prev_hash != expected_prev:
            report.problems.append(f"row {row.seq} does not link to the row before it")
        if chain_hash(row.prev_hash, row.seq, row.event) != row.hash:
            report.problems.append(
                f"row {row.seq} ({row.event.id}) was changed after it was written"
            )
        expected_seq, expected_prev = row.seq + 1, row.hash

    if isinstance(rows, AsyncIterable):
        async for row in rows:
            check(row)
    else:
        for row in rows:
            check(row)
    last_seq = expected_seq - 1
    if last_seq != anchor.head_seq:
        if last_seq < anchor.head_seq:
            report.problems.append(
                f"rows {last_seq + 1}..{anchor.head_seq} are missing (the newest rows were deleted)"
            )
        else:
            report.problems.append(f"rows after {anchor.head_seq} were added outside the log")
    elif expected_prev != anchor.head_hash:
        report.problems.append(f"row {last_seq} is not the row the log last wrote")
    return report
