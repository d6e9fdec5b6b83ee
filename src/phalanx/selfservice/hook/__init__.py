"""Hooks: which are configured where (``selfservice.flows.<flow>.after[.<method>].hooks``),
and the modules that run them -- :mod:`.events` (what a hook sees and may do),
:mod:`.web_hook` (the ``web_hook`` hook), :mod:`.python` (hooks registered in code),
:mod:`.runner` (the hook points of a flow) and :mod:`.password_migration`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["configured_entries", "configured_hooks"]


def _name(entry: Any) -> str | None:
    name = entry.get("hook") if isinstance(entry, Mapping) else getattr(entry, "hook", None)
    return name if isinstance(name, str) else None


def configured_hooks(after: Any, method: str | None) -> Sequence[str]:
    """Hook names for ``method``: the method's own list replaces the global one (Kratos)."""
    return [n for n in (_name(e) for e in configured_entries(after, method)) if n]


def configured_entries(after: Any, method: str | None) -> Sequence[Any]:
    """The hook entries (config objects) for ``method``: the method's own list replaces the
    global one (Kratos)."""
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
            return list(hooks)
    return list(global_hooks or [])
