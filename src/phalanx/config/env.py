"""Kratos-style environment variable overrides, derived from the config model.

Kratos (ory/x ``configx``/koanf) has no prefix: an env name is lowercased, ``_``
becomes ``.``, and the result is matched against every key path of the config schema
with ``_`` inside key names also read as ``.``. So
``SELFSERVICE_FLOWS_SETTINGS_PRIVILEGED_SESSION_MAX_AGE=1m`` sets
``selfservice.flows.settings.privileged_session_max_age``. Array items are addressed
by index (``SELFSERVICE_METHODS_OIDC_CONFIG_PROVIDERS_0_CLIENT_ID``). Values are cast by
the key's type: integers, booleans, string lists (comma-separated or a JSON array) and
objects/arrays of objects (JSON). Env vars matching no key are ignored.

Phalanx differences: ``-`` in key names also reads as ``.`` (so ``WATCH_COURIER`` and
``SQA_OPT_OUT`` work), empty values are ignored, object/array keys only take values
that look like JSON (``{``/``[``) so ``DATABASE=mydb`` is not read as ``database``, and a
value that cannot be cast is a ``ConfigError`` naming the variable, not a silent zero.

The table is built from the pydantic model (``Config``), never from the JSON Schema.
"""

from __future__ import annotations

import json
import types
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from phalanx.config.base import EnvHint
from phalanx.config.errors import ConfigError

__all__ = ["EnvKind", "EnvPath", "apply_env", "env_name", "env_paths", "match_env"]

EnvKind = Literal["string", "int", "float", "bool", "list", "json"]

_BOOL_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_BOOL_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


@dataclass(frozen=True, slots=True)
class EnvPath:
    """One settable key path: ``segments`` uses ``#`` for an array index."""

    segments: tuple[str, ...]
    kind: EnvKind

    @property
    def dotted(self) -> str:
        """``selfservice.methods.oidc.config.providers.#.client_id``."""
        return ".".join(self.segments)

    @property
    def tokens(self) -> tuple[str, ...]:
        """The segments as an env name sees them: lowercased, ``_`` and ``-`` split."""
        out: list[str] = []
        for seg in self.segments:
            out.extend(seg.lower().replace("-", "_").split("_"))
        return tuple(out)


def env_name(path: str) -> str:
    """The env variable for a dotted key path: ``serve.public.port`` -> ``SERVE_PUBLIC_PORT``."""
    return path.replace(".", "_").replace("-", "_").upper()


def _unwrap(tp: Any) -> tuple[Any, list[Any]]:
    """Strip ``Annotated`` layers, collecting their metadata."""
    meta: list[Any] = []
    while get_origin(tp) is Annotated:
        args = get_args(tp)
        tp, meta = args[0], meta + list(args[1:])
    return tp, meta


def _members(tp: Any) -> list[Any]:
    """Non-None members of a union (or ``[tp]``)."""
    if get_origin(tp) in (Union, types.UnionType):
        return [a for a in get_args(tp) if a is not type(None)]
    return [tp]


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _scalar_kind(tp: Any, meta: list[Any]) -> EnvKind:
    for m in meta:
        if isinstance(m, EnvHint):
            return m.kind  # type: ignore[return-value]
    if tp is bool:
        return "bool"
    if tp is int:
        return "int"
    if tp is float:
        return "float"
    if get_origin(tp) in (dict, Mapping) or tp is dict or tp is Any:
        return "json"
    return "string"


def _walk(
    model: type[BaseModel], prefix: tuple[str, ...], out: dict[tuple[str, ...], EnvKind]
) -> None:
    for name, info in model.model_fields.items():
        key = info.alias or name
        _classify(info.annotation, list(info.metadata), (*prefix, key), out)


def _classify(
    tp: Any, meta: list[Any], path: tuple[str, ...], out: dict[tuple[str, ...], EnvKind]
) -> None:
    tp, more = _unwrap(tp)
    meta = meta + more
    members = _members(tp)
    if len(members) == 1 and members[0] is not tp:
        _classify(members[0], meta, path, out)  # Optional[X]: classify X
        return
    if len(members) > 1:
        if all(_is_model(_unwrap(m)[0]) for m in members):
            out[path] = "json"
            for m in members:
                _walk(_unwrap(m)[0], path, out)
        else:
            out[path] = "string"
        return
    if _is_model(tp):
        out[path] = "json"
        _walk(tp, path, out)
        return
    if get_origin(tp) is list:
        (item,) = get_args(tp) or (Any,)
        item, _ = _unwrap(item)
        item_members = [_unwrap(m)[0] for m in _members(item)]
        if all(_is_model(m) for m in item_members):
            out[path] = "json"
            for m in item_members:
                _walk(m, (*path, "#"), out)
        elif all(m is str or get_origin(m) is Literal for m in item_members):
            out[path] = "list"
        else:
            out[path] = "json"
        return
    out.setdefault(path, _scalar_kind(tp, meta))


@cache
def env_paths() -> tuple[EnvPath, ...]:
    """Every key path of ``Config`` an env var can set, with its cast kind."""
    from phalanx.config.model import Config

    found: dict[tuple[str, ...], EnvKind] = {}
    _walk(Config, (), found)
    return tuple(EnvPath(segments=k, kind=v) for k, v in found.items())


@cache
def _by_length() -> dict[int, tuple[EnvPath, ...]]:
    table: dict[int, list[EnvPath]] = {}
    for p in env_paths():
        table.setdefault(len(p.tokens), []).append(p)
    return {k: tuple(v) for k, v in table.items()}


def match_env(name: str) -> tuple[EnvPath, tuple[str | int, ...]] | None:
    """The key path an env variable name sets, with concrete array indices, or ``None``."""
    tokens = tuple(name.lower().split("_"))
    if not all(tokens):
        return None
    for candidate in _by_length().get(len(tokens), ()):
        segs = candidate.tokens
        if all(s == t or (s == "#" and t.isdigit()) for s, t in zip(segs, tokens, strict=True)):
            return candidate, _concrete(candidate, tokens)
    return None


def _concrete(path: EnvPath, tokens: tuple[str, ...]) -> tuple[str | int, ...]:
    out: list[str | int] = []
    i = 0
    for seg in path.segments:
        width = len(seg.replace("-", "_").split("_"))
        if seg == "#":
            out.append(int(tokens[i]))
        else:
            out.append(seg)
        i += width
    return tuple(out)


def _cast(kind: EnvKind, value: str, dotted: str, name: str) -> Any:
    try:
        if kind == "int":
            try:
                return int(value.strip())
            except ValueError:
                raise ConfigError(
                    dotted, f'expected an integer, got "{value}"', source=name
                ) from None
        if kind == "float":
            try:
                return float(value.strip())
            except ValueError:
                raise ConfigError(
                    dotted, f'expected a number, got "{value}"', source=name
                ) from None
        if kind == "bool":
            text = value.strip()
            if text in _BOOL_TRUE:
                return True
            if text in _BOOL_FALSE:
                return False
            raise ConfigError(dotted, f'expected true or false, got "{value}"', source=name)
        if kind == "list":
            text = value.strip()
            if text.startswith("["):
                parsed = json.loads(text)
                if not isinstance(parsed, list):
                    raise ValueError("not a list")
                return parsed
            return [item.strip() for item in text.split(",") if item.strip()]
        if kind == "json":
            return json.loads(value)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            dotted, f"invalid JSON ({exc.msg} at position {exc.pos})", source=name
        ) from None
    return value


def _set(raw: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    node: Any = raw
    for i, seg in enumerate(path):
        last = i == len(path) - 1
        nxt_default: Any = [] if not last and isinstance(path[i + 1], int) else {}
        if isinstance(seg, int):
            if not isinstance(node, list):  # pragma: no cover - _set builds lists for indices
                raise TypeError("array index into a non-list")
            while len(node) <= seg:
                node.append({})
            if last:
                node[seg] = _merge(node[seg], value)
                return
            if not isinstance(node[seg], (dict, list)) or (
                isinstance(node[seg], list) != isinstance(nxt_default, list)
            ):
                node[seg] = nxt_default
            node = node[seg]
            continue
        if last:
            node[seg] = _merge(node.get(seg), value)
            return
        child = node.get(seg)
        if not isinstance(child, (dict, list)) or (
            isinstance(child, list) != isinstance(nxt_default, list)
        ):
            child = nxt_default
            node[seg] = child
        node = child


def _merge(old: Any, new: Any) -> Any:
    if isinstance(old, dict) and isinstance(new, dict):
        out = dict(old)
        for k, v in new.items():
            out[k] = _merge(out.get(k), v)
        return out
    return new


def apply_env(raw: dict[str, Any], env: Mapping[str, str]) -> dict[str, str]:
    """Apply matching env variables onto ``raw`` in place (shallow keys first).

    Returns dotted path -> env variable name for every variable applied.
    """
    matched: list[tuple[tuple[str | int, ...], EnvPath, str, str]] = []
    for name, value in env.items():
        if not value:
            continue
        hit = match_env(name)
        if hit is None:
            continue
        spec, concrete = hit
        if spec.kind == "json" and not value.lstrip().startswith(("{", "[")):
            # Object keys collide with common variables (DATABASE=..., SERVE=...): only a
            # JSON object or array is meant for them.
            continue
        matched.append((concrete, spec, name, value))
    matched.sort(key=lambda m: (len(m[0]), m[2]))
    applied: dict[str, str] = {}
    for concrete, spec, name, value in matched:
        dotted = ".".join(str(s) for s in concrete)
        _set(raw, concrete, _cast(spec.kind, value, dotted, name))
        applied[dotted] = name
    return applied
