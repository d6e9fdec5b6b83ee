"""Building blocks of the config model: base classes and annotated field types.

``Strict`` objects reject unknown keys (the schema says ``additionalProperties: false``);
``Open`` objects keep them in ``model_extra`` because the Kratos v25.4 schema accepts
extra keys there (``support.unsupported_keys`` reports them). All models are frozen and
strictly typed like the JSON Schema: ``port: "4433"`` in a file is an error, while
environment variables are cast by the env layer before validation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, TypeVar
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    model_validator,
)

from phalanx.config.duration import (
    format_byte_size,
    format_duration,
    parse_byte_size,
    parse_duration,
)
from phalanx.config.errors import describe_value

__all__ = [
    "ByteSize",
    "CookieSecure",
    "Duration",
    "Email",
    "EnvHint",
    "HexColor",
    "Open",
    "Strict",
    "Uri",
    "UriRef",
    "unique",
]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class EnvHint:
    """Annotated marker telling the env layer how to cast a value (``string`` etc.)."""

    kind: str


class Strict(BaseModel):
    """A config object whose schema forbids unknown keys.

    Keys set to ``null`` (``password:`` with nothing after it in YAML) count as unset,
    so the field keeps its default.
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        strict=True,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )

    @model_validator(mode="before")
    @classmethod
    def _drop_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v is not None}
        return data


class Open(Strict):
    """A config object whose v25.4 schema allows unknown keys; they land in ``model_extra``."""

    model_config = ConfigDict(extra="allow")


def _duration(value: Any) -> timedelta:
    return parse_duration(value)


Duration = Annotated[
    timedelta,
    BeforeValidator(_duration),
    PlainSerializer(format_duration, return_type=str),
]
"""A Go duration string (``1h``, ``1m30s``) parsed to ``timedelta``."""


def _byte_size(value: Any) -> int:
    return parse_byte_size(value)


ByteSize = Annotated[
    int,
    BeforeValidator(_byte_size),
    PlainSerializer(format_byte_size, return_type=str),
    EnvHint("string"),
]
"""A byte size string (``128MB``, 1 KB = 1024 B) parsed to a number of bytes."""


def _uri(value: str) -> str:
    if not urlsplit(value).scheme:
        raise ValueError(f'invalid URI "{value}" (expected an absolute URI such as https://...)')
    return value


Uri = Annotated[str, AfterValidator(_uri)]
"""A string with JSON Schema ``format: uri``: absolute, with a scheme."""

UriRef = str
"""A string with JSON Schema ``format: uri-reference``: absolute or relative."""

_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+$")


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(f'invalid e-mail address "{value}"')
    return value


Email = Annotated[str, AfterValidator(_email)]

_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")


def _hex_color(value: str) -> str:
    if not _HEX.match(value):
        raise ValueError(f'invalid color "{value}" (expected e.g. #4f46e5)')
    return value


HexColor = Annotated[str, AfterValidator(_hex_color)]

_TRUE = {"true", "1", "t", "yes", "on"}
_FALSE = {"false", "0", "f", "no", "off", ""}


def _cookie_secure(value: Any) -> bool:
    # The v25.4 schema types cookies.secure as a string ("If unset, defaults to !dev"),
    # while every real config writes a YAML boolean: accept both.
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError(f"expected true or false, got {value!r}")


CookieSecure = Annotated[bool, BeforeValidator(_cookie_secure)]


def _unique(items: list[T]) -> list[T]:
    seen: list[Any] = []
    for item in items:
        key = item.model_dump() if isinstance(item, BaseModel) else item
        if key in seen:
            raise ValueError(f"duplicate entry {_show(key)} (entries must be unique)")
        seen.append(key)
    return items


def _show(value: Any) -> str:
    return describe_value(value)


unique = AfterValidator(_unique)
"""Annotate a list field with ``uniqueItems: true``."""
