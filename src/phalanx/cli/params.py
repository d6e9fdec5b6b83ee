"""Click parameter types for Kratos-style values: durations (``1m``) and sizes (``128MB``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import click

from phalanx.config.duration import parse_byte_size, parse_duration

__all__ = ["BYTE_SIZE", "DURATION", "ByteSizeType", "DurationType"]


class DurationType(click.ParamType[timedelta]):
    """A Go-style duration such as ``500ms``, ``30s`` or ``1m``."""

    name = "duration"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> timedelta:
        if isinstance(value, timedelta):
            return value
        try:
            return parse_duration(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class ByteSizeType(click.ParamType[int]):
    """A byte size such as ``64MB`` or ``1GB`` (1 KB = 1024 B, as Kratos's bytesize)."""

    name = "size"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        try:
            return parse_byte_size(str(value).strip().upper())
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


DURATION = DurationType()
BYTE_SIZE = ByteSizeType()
