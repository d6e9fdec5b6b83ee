"""The one exception the config package raises, and how pydantic errors become it.

Kratos refuses to start on an invalid config and names the offending key; Phalanx does
the same with one line per problem: ``config: <dotted.key.path>: <what is wrong>``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

__all__ = ["ConfigError", "config_error_from_validation", "describe_value"]


class ConfigError(ValueError):
    """An invalid, missing or unreadable configuration.

    ``str()`` is always a single line: ``config: <path>: <problem>``, followed by
    `` [env NAME]`` when the value came from an environment variable. ``path`` is the
    dotted key path (``selfservice.flows.login.lifespan``), a file name, or ``None``.
    """

    def __init__(self, path: str | None, problem: str, *, source: str | None = None) -> None:
        self.path = path
        self.problem = " ".join(problem.split())
        self.source = source
        super().__init__(str(self))

    def __str__(self) -> str:
        head = f"config: {self.path}: " if self.path else "config: "
        tail = f" [env {self.source}]" if self.source else ""
        return f"{head}{self.problem}{tail}"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.path, self.problem, self.source))


def _rebuild(path: str | None, problem: str, source: str | None) -> ConfigError:
    return ConfigError(path, problem, source=source)


def describe_value(value: object, limit: int = 60) -> str:
    """Render a config value for an error message: JSON-ish, quoted strings, truncated."""
    try:
        text = json.dumps(value, default=str, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


_TYPE_NAMES = {
    "int": "an integer",
    "bool": "a boolean (true or false)",
    "string": "a string",
    "str": "a string",
    "float": "a number",
    "list": "a list",
    "dict": "a mapping",
    "model": "a mapping",
    "model_attributes": "a mapping",
    "timedelta": "a duration (e.g. 1h, 15m, 30s)",
}


def _problem(err: ErrorDetails) -> str:
    kind = err["type"]
    ctx: Mapping[str, Any] = err.get("ctx") or {}
    got = describe_value(err.get("input"))
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", err["msg"]))
    if kind == "literal_error":
        return f"invalid value {got} (expected one of: {ctx.get('expected', '')})"
    if kind == "union_tag_invalid":
        tags = ctx.get("expected_tags", "")
        disc = str(ctx.get("discriminator", "")).strip("'")
        return (
            f"{disc} {describe_value(ctx.get('tag'))} is not allowed here (expected one of: {tags})"
        )
    if kind == "union_tag_not_found":
        return f"missing key {str(ctx.get('discriminator', '')).strip(chr(39))}"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        op = {
            "greater_than_equal": ">=",
            "greater_than": ">",
            "less_than_equal": "<=",
            "less_than": "<",
        }[kind]
        bound = next(iter(ctx.values()), "")
        return f"must be {op} {bound}, got {got}"
    if kind == "too_short":
        return f"must have at least {ctx.get('min_length')} item(s)"
    if kind == "too_long":
        return f"must have at most {ctx.get('max_length')} item(s)"
    if kind == "string_too_short":
        return f"must be at least {ctx.get('min_length')} characters long"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters long"
    if kind == "int_from_float":
        return f"expected an integer, got {got}"
    for suffix in ("_type", "_parsing"):
        if kind.endswith(suffix):
            name = _TYPE_NAMES.get(kind[: -len(suffix)])
            if name:
                return f"expected {name}, got {got}"
    return f"{err['msg']} (got {got})"


def _clean_loc(loc: Sequence[int | str], raw: object) -> str:
    """Dotted key path for ``loc``, dropping pydantic's union-tag segments.

    A segment that is not a key (or index) of the input at that point is a
    discriminated-union tag, unless it is the last one (a missing key).
    """
    parts: list[str] = []
    node: object = raw
    for i, seg in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(node, Mapping) and seg in node:  # noqa: SIM114 - mypy narrows each
            parts.append(str(seg))
            node = node[seg]
        elif isinstance(node, list) and isinstance(seg, int) and 0 <= seg < len(node):
            parts.append(str(seg))
            node = node[seg]
        elif last or not isinstance(node, (Mapping, list)):
            parts.append(str(seg))
            node = None
        # else: a union tag segment; skip it
    return ".".join(parts)


def config_error_from_validation(
    exc: ValidationError,
    raw: object,
    *,
    prefix: str = "",
    env_sources: Mapping[str, str] | None = None,
) -> ConfigError:
    """Turn the first error of a pydantic ``ValidationError`` into a one-line ConfigError.

    ``env_sources`` maps dotted paths set from the environment to the variable name, so
    the message can say where a bad value came from.
    """
    errors = exc.errors(include_url=False)
    err = errors[0]
    path = _clean_loc(err["loc"], raw)
    if prefix:
        path = f"{prefix}.{path}" if path else prefix
    problem = _problem(err)
    if not path:
        # Root-level validators phrase their message as "<key.path>: <problem>".
        head, sep, tail = problem.partition(": ")
        if sep and head and " " not in head:
            path, problem = head, tail
    if err["type"] == "missing" and path and not any(part.isdigit() for part in path.split(".")):
        env = path.replace(".", "_").replace("-", "_").upper()
        problem += f" (set it in a config file or with env {env})"
    if len(errors) > 1:
        problem += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    source = None
    for env_path, name in (env_sources or {}).items():
        if path == env_path or path.startswith(env_path + "."):
            source = name
            break
    return ConfigError(path or None, problem, source=source)
