"""SQL flow stores: one generic store, one small codec per flow kind.

Columns common to all flows map to :class:`phalanx.selfservice.flow.base.Flow` fields;
each kind's own fields go to its own columns or, when Kratos keeps them internal, to
``internal_context``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from sqlalchemy import Table, insert, select, update
from sqlalchemy.engine import RowMapping

from phalanx.persistence.sql.engine import Database
from phalanx.persistence.sql.tables import FLOW_TABLES
from phalanx.selfservice.flow.base import Flow, FlowType
from phalanx.ui import UiContainer

__all__ = ["FlowCodec", "SQLFlowStore", "flow_codecs"]

F = TypeVar("F", bound=Flow)


class FlowCodec(Generic[F]):
    """How one flow kind's extra fields map to row columns and back."""

    def __init__(
        self,
        factory: Callable[..., F],
        to_columns: Callable[[F], dict[str, Any]],
        from_columns: Callable[[RowMapping], dict[str, Any]],
    ) -> None:
        self.factory = factory
        self.to_columns = to_columns
        self.from_columns = from_columns


def _common(flow: Flow) -> dict[str, Any]:
    return {
        "id": flow.id,
        "type": str(flow.type),
        "state": str(flow.state),
        "request_url": flow.request_url,
        "return_to": flow.return_to,
        "issued_at": flow.issued_at,
        "expires_at": flow.expires_at,
        "active_method": flow.active,
        "csrf_token": flow.csrf_token or "",
        "ui": flow.ui.to_dict(),
        "internal_context": flow.internal_context or None,
        "transient_payload": flow.transient_payload,
        "created_at": flow.created_at,
        "updated_at": flow.updated_at,
    }


def _common_fields(row: RowMapping) -> dict[str, Any]:
    return {
        "id": row["id"],
        "type": FlowType(row["type"]),
        "state": row["state"],
        "request_url": row["request_url"],
        "return_to": row["return_to"],
        "issued_at": row["issued_at"],
        "expires_at": row["expires_at"],
        "active": row["active_method"],
        "csrf_token": row["csrf_token"] or None,
        "ui": UiContainer.from_dict(row["ui"]),
        "internal_context": dict(row["internal_context"] or {}),
        "transient_payload": row["transient_payload"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


class SQLFlowStore(Generic[F]):
    """Implements :class:`phalanx.selfservice.flow.store.FlowStore` for one flow kind."""

    def __init__(self, db: Database, table: Table, codec: FlowCodec[F]) -> None:
        self.db = db
        self.table = table
        self.codec = codec

    def _row(self, flow: F) -> dict[str, Any]:
        return {**_common(flow), **self.codec.to_columns(flow)}

    async def create(self, flow: F) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(insert(self.table).values(**self._row(flow)))

    async def update(self, flow: F) -> None:
        values = self._row(flow)
        values.pop("id")
        async with self.db.transaction() as conn:
            result = await conn.execute(
                update(self.table).where(self.table.c.id == flow.id).values(**values)
            )
            if not result.rowcount:
                await conn.execute(insert(self.table).values(**self._row(flow)))

    async def get(self, flow_id: uuid.UUID) -> F | None:
        async with self.db.transaction(readonly=True) as conn:
            row = (
                (await conn.execute(select(self.table).where(self.table.c.id == flow_id)))
                .mappings()
                .first()
            )
        if row is None:
            return None
        return self.codec.factory(**_common_fields(row), **self.codec.from_columns(row))


def flow_codecs() -> dict[str, FlowCodec[Any]]:
    """The codec of every flow kind that exists so far."""
    from phalanx.selfservice.flow.login.flow import LoginFlow
    from phalanx.selfservice.flow.recovery.flow import RecoveryFlow
    from phalanx.selfservice.flow.registration.flow import RegistrationFlow
    from phalanx.selfservice.flow.settings.flow import SettingsFlow
    from phalanx.selfservice.flow.verification.flow import VerificationFlow

    codecs: dict[str, FlowCodec[Any]] = {
        "login": FlowCodec(
            LoginFlow,
            lambda f: {
                "refresh": f.refresh,
                "requested_aal": f.requested_aal,
                "identity_schema_id": f.identity_schema,
            },
            lambda r: {
                "refresh": bool(r["refresh"]),
                "requested_aal": r["requested_aal"],
                "identity_schema": r["identity_schema_id"],
            },
        ),
        "registration": FlowCodec(
            RegistrationFlow,
            lambda f: {"identity_schema_id": f.identity_schema},
            lambda r: {"identity_schema": r["identity_schema_id"]},
        ),
        "settings": FlowCodec(
            SettingsFlow,
            lambda f: {
                "identity_id": f.identity_id,
                "internal_context": {**f.internal_context, "continue_with": f.continue_with},
            },
            lambda r: {
                "identity_id": r["identity_id"],
                "continue_with": list((r["internal_context"] or {}).get("continue_with") or []),
            },
        ),
        "recovery": FlowCodec(
            RecoveryFlow,
            lambda f: {
                "recovered_identity_id": f.recovered_identity_id,
                "skip_csrf_check": f.skip_csrf_check,
            },
            lambda r: {
                "recovered_identity_id": r["recovered_identity_id"],
                "skip_csrf_check": bool(r["skip_csrf_check"]),
            },
        ),
        "verification": FlowCodec(
            VerificationFlow,
            lambda f: {"identity_id": f.identity_id, "session_id": f.session_id},
            lambda r: {"identity_id": r["identity_id"], "session_id": r["session_id"]},
        ),
    }
    return codecs


def flow_store(db: Database, kind: str) -> SQLFlowStore[Any]:
    return SQLFlowStore(db, FLOW_TABLES[kind], flow_codecs()[kind])
