"""A tiny JSON object reader with Go ``encoding/json`` semantics and error texts.

Kratos decodes admin bodies into Go structs, many with a *strict* decoder
(``DisallowUnknownFields``). What clients see on bad input follows from that:

* an unknown key (strict only) -> ``json: unknown field "foo"``;
* a value of the wrong JSON type -> ``json: cannot unmarshal number into Go struct field
  CreateIdentityBody.schema_id of type string``;
* ``null`` for a field -> the zero value, no error.

:class:`ObjectReader` reproduces this for one JSON object; readers for nested objects carry the
Go struct name so messages name the same field path as Kratos.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from phalanx.errors import BadRequestError

__all__ = ["DecodeError", "ObjectReader", "json_type_name", "parse_rfc3339"]


class DecodeError(BadRequestError):
    """400: the body does not decode into the Go struct Kratos uses.

    Kratos puts the Go decoder's text in ``message`` (herodot ``WithError``); Phalanx also sets
    it as ``reason`` so one-line error printers show it.
    """

    def __init__(self, text: str) -> None:
        super().__init__(text, message=text)


def json_type_name(value: Any) -> str:
    """The JSON type name Go's decoder uses in error messages."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def parse_rfc3339(text: str) -> datetime:
    """Parse an RFC 3339 timestamp (``Z`` or offset) into an aware UTC datetime."""
    value = datetime.fromisoformat(text.strip().replace("z", "Z").replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class ObjectReader:
    """Reads fields of one JSON object; :meth:`finish` rejects unread keys when strict."""

    def __init__(self, data: Any, struct: str, *, strict: bool, field_path: str = "") -> None:
        if not isinstance(data, dict):
            where = f"Go struct field {field_path}" if field_path else "Go value"
            raise DecodeError(
                f"json: cannot unmarshal {json_type_name(data)} into {where} of type {struct}"
            )
        self.data: dict[str, Any] = data
        self.struct = struct
        self.strict = strict
        self._read: set[str] = set()

    def _wrong(self, name: str, value: Any, go_type: str) -> DecodeError:
        return DecodeError(
            f"json: cannot unmarshal {json_type_name(value)} into Go struct field "
            f"{self.struct}.{name} of type {go_type}"
        )

    def has(self, name: str) -> bool:
        """Whether the key is present with a non-null value."""
        return self.data.get(name) is not None

    def raw(self, name: str) -> Any:
        """Any JSON value (``json.RawMessage``); ``None`` when absent or null."""
        self._read.add(name)
        return self.data.get(name)

    def string(self, name: str, default: str = "") -> str:
        self._read.add(name)
        value = self.data.get(name)
        if value is None:
            return default
        if not isinstance(value, str):
            raise self._wrong(name, value, "string")
        return value

    def boolean(self, name: str) -> bool:
        self._read.add(name)
        value = self.data.get(name)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise self._wrong(name, value, "bool")
        return value

    def obj(self, name: str, struct: str) -> ObjectReader | None:
        """A nested struct (pointer semantics: ``None`` when absent or null)."""
        self._read.add(name)
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self._wrong(name, value, struct)
        return ObjectReader(value, struct, strict=self.strict, field_path=f"{self.struct}.{name}")

    def array(self, name: str, go_type: str) -> list[Any]:
        """A JSON array (``[]T``); ``[]`` when absent or null."""
        self._read.add(name)
        value = self.data.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self._wrong(name, value, go_type)
        return value

    def objects(self, name: str, struct: str) -> list[ObjectReader]:
        """An array of nested structs."""
        items = self.array(name, f"[]{struct}")
        readers = []
        for item in items:
            if not isinstance(item, dict):
                raise self._wrong(name, item, struct)
            readers.append(
                ObjectReader(item, struct, strict=self.strict, field_path=f"{self.struct}.{name}")
            )
        return readers

    def uuid(self, name: str) -> uuid.UUID | None:
        """A ``uuid.NullUUID`` / ``*uuid.UUID``: ``None`` when absent, null or empty."""
        self._read.add(name)
        value = self.data.get(name)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise self._wrong(name, value, "uuid.UUID")
        try:
            return uuid.UUID(value)
        except ValueError:
            raise DecodeError(
                f"uuid: incorrect UUID format in string {value!r} (field {self.struct}.{name})"
            ) from None

    def time(self, name: str) -> datetime | None:
        """A ``time.Time`` / ``sqlxx.NullTime``: ``None`` when absent or null."""
        self._read.add(name)
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self._wrong(name, value, "time.Time")
        try:
            return parse_rfc3339(value)
        except ValueError:
            raise DecodeError(
                f'parsing time "{value}" as RFC 3339 failed (field {self.struct}.{name})'
            ) from None

    def finish(self) -> None:
        """Reject keys nobody read (strict decoders only)."""
        if not self.strict:
            return
        for key in self.data:
            if key not in self._read:
                raise DecodeError(f'json: unknown field "{key}"')
