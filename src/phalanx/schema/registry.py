"""The configured identity schemas (``identity.schemas[]``) by id.

Mirrors ``ory/kratos:schema`` ``Schemas.GetByID`` and the ``/schemas/{id}`` handler: a schema
is found by its id or by the base64url (no padding) encoding of its id -- the last segment of
an identity's ``schema_url`` (:func:`schema_id_to_url_segment`). An empty id means the default
schema. An unknown id is a 404 ``Identity schema `x` could not be found.`` (``x`` decoded when
it was base64url).

Schemas are read once by :meth:`SchemaRegistry.load` (or :meth:`SchemaRegistry.load_local` when
none is remote), checked against the identity meta-schema and cached;
:meth:`SchemaRegistry.from_schemas` builds an already-loaded registry from dicts.
"""

from __future__ import annotations

import base64
import binascii
import builtins
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from phalanx.errors import NotFoundError
from phalanx.schema.loader import SchemaLoader
from phalanx.schema.meta import check_identity_schema

__all__ = [
    "DEFAULT_SCHEMA_ID",
    "IdentitySchema",
    "SchemaEntry",
    "SchemaRegistry",
    "schema_id_to_url_segment",
    "url_segment_to_schema_id",
]

DEFAULT_SCHEMA_ID = "default"
_RAW_URL_B64 = re.compile(r"[A-Za-z0-9_-]*")


def schema_id_to_url_segment(schema_id: str) -> str:
    """base64url without padding of ``schema_id`` (``schema.IDToURL``)."""
    return base64.urlsafe_b64encode(schema_id.encode()).decode().rstrip("=")


def url_segment_to_schema_id(segment: str) -> str | None:
    """The id encoded in a ``schema_url`` segment, or ``None`` if it is not base64url."""
    if not _RAW_URL_B64.fullmatch(segment) or len(segment) % 4 == 1:
        return None
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw.decode("utf-8", errors="replace")


@dataclass(frozen=True, slots=True)
class SchemaEntry:
    """One ``identity.schemas[]`` entry of the configuration."""

    id: str
    url: str
    selfservice_selectable: bool = False

    @classmethod
    def from_config(cls, entry: Mapping[str, Any] | SchemaEntry) -> SchemaEntry:
        if isinstance(entry, SchemaEntry):
            return entry
        return cls(
            id=str(entry["id"]),
            url=str(entry["url"]),
            selfservice_selectable=bool(entry.get("selfservice_selectable", False)),
        )


@dataclass(frozen=True, slots=True)
class IdentitySchema:
    """A loaded identity schema: its id, configured URL and parsed JSON."""

    id: str
    url: str
    raw: dict[str, Any]
    selfservice_selectable: bool = False

    @property
    def url_segment(self) -> str:
        return schema_id_to_url_segment(self.id)

    def schema_url(self, public_base_url: str) -> str:
        """``<public base URL>/schemas/<base64url(id)>``, the ``schema_url`` of identities."""
        return f"{public_base_url.rstrip('/')}/schemas/{self.url_segment}"


class SchemaRegistry:
    """Identity schemas by id, in configuration order, with a default."""

    def __init__(
        self,
        entries: Iterable[Mapping[str, Any] | SchemaEntry],
        *,
        default_id: str = DEFAULT_SCHEMA_ID,
        loader: SchemaLoader | None = None,
        allow_ref: bool = True,
    ) -> None:
        self._entries = [SchemaEntry.from_config(e) for e in entries]
        self.default_id = default_id or DEFAULT_SCHEMA_ID
        self.loader = loader or SchemaLoader()
        self.allow_ref = allow_ref
        self._loaded: dict[str, IdentitySchema] = {}

    @classmethod
    def from_schemas(
        cls, schemas: Mapping[str, Mapping[str, Any]], *, default_id: str = DEFAULT_SCHEMA_ID
    ) -> SchemaRegistry:
        """A loaded registry of in-memory schemas (``id -> raw``), meta-checked."""
        registry = cls(
            [
                SchemaEntry(
                    id=i, url="base64://" + base64.b64encode(json.dumps(raw).encode()).decode()
                )
                for i, raw in schemas.items()
            ],
            default_id=default_id,
        )
        for schema_id, raw in schemas.items():
            registry._store(registry._entry(schema_id), dict(raw))
        return registry

    @property
    def ids(self) -> builtins.list[str]:
        return [e.id for e in self._entries]

    def _entry(self, schema_id: str) -> SchemaEntry:
        return next(e for e in self._entries if e.id == schema_id)

    def _store(self, entry: SchemaEntry, raw: Any) -> None:
        check_identity_schema(entry.id, raw, allow_ref=self.allow_ref)
        self._loaded[entry.id] = IdentitySchema(
            id=entry.id, url=entry.url, raw=raw, selfservice_selectable=entry.selfservice_selectable
        )

    async def load(self) -> None:
        """Read, check and cache every configured schema (``file``, ``base64``, ``http(s)``)."""
        for entry in self._entries:
            self._store(entry, await self.loader.load(entry.url))

    def load_local(self) -> None:
        """Like :meth:`load` without an event loop; refuses ``http(s)`` schemas."""
        for entry in self._entries:
            self._store(entry, self.loader.load_local(entry.url))

    def _resolve_id(self, schema_id: str) -> str:
        if not schema_id:
            return self.default_id
        if any(e.id == schema_id for e in self._entries):
            return schema_id
        decoded = url_segment_to_schema_id(schema_id)
        return schema_id if decoded is None else decoded

    def get(self, schema_id: str = "") -> IdentitySchema:
        """The schema for ``schema_id`` (plain or base64url; empty -> the default).

        Raises :class:`~phalanx.errors.NotFoundError` for an unknown id.
        """
        resolved = self._resolve_id(schema_id)
        if not any(e.id == resolved for e in self._entries):
            raise NotFoundError(f"Identity schema `{resolved}` could not be found.")
        try:
            return self._loaded[resolved]
        except KeyError:
            raise RuntimeError(
                f"identity schema {resolved!r} is not loaded; call `await registry.load()` first"
            ) from None

    def __contains__(self, schema_id: object) -> bool:
        return isinstance(schema_id, str) and any(
            e.id == self._resolve_id(schema_id) for e in self._entries
        )

    def list(self) -> builtins.list[IdentitySchema]:
        """All loaded schemas in configuration order."""
        return [self._loaded[e.id] for e in self._entries if e.id in self._loaded]

    @property
    def default(self) -> IdentitySchema:
        """The schema of ``identity.default_schema_id``."""
        return self.get(self.default_id)
