"""After-flow hooks configured under ``selfservice.flows.<flow>.after[.<method>].hooks``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["configured_hooks"]


def _names(entries: Any) -> list[str]:
    out: list[str] = []
    for entry in entries or []:
        name = entry.get("hook") if isinstance(entry, Mapping) else getattr(entry, "hook", None)
        if isinstance(name, str):
            out.append(name)
    return out


def configured_hooks(after: Any, method: str | None) -> Sequence[str]:
    """Hook names for ``method``: the method's own list replaces the global one (Kratos)."""
    if after is None:
        return []
    if isinstance(after, Mapping):
        method_block = after.get(method) if method else None
        global_hooks = after.get("hooks")
    else:
        method_block = getattr(after, method, None) if method else None
        global_hooks = getattr(after, "hooks", None)
    if method_block is not None:
        hooks = (
            method_block.get("hooks")
            if isinstance(method_block, Mapping)
            else getattr(method_block, "hooks", None)
        )
        if hooks:
            return _names(hooks)
    return _names(global_hooks)
