"""Parity with the Kratos v25.4 config JSON Schema (read from ../shared/reference).

For every property path in the schema we build the smallest config containing that key
(required siblings filled in) with a value of the schema's type, default or example, and
assert that ``Config`` accepts it and exposes the same value. Where the schema declares a
``default``, the model's default must equal it, except for the documented differences.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from phalanx.config import Config, parse_byte_size, parse_duration
from tests.config.conftest import MINIMAL

Wrap = Callable[[Any], dict[str, Any]]
_MISSING = object()

# Subtrees the walk cannot enumerate (keys are user-chosen or defined outside the file).
NOT_ENUMERABLE = {
    "tracing": "external $ref ory://tracing-config; modelled loosely (TracingConfig, Open)",
    "session.whoami.tokenizer.templates": "patternProperties: template names are user keys",
    "selfservice.methods.oidc.config.providers.#.requested_claims": "patternProperties",
    "<headers>": "additionalProperties maps (headers) hold user keys",
    "selfservice.flows.*.hooks.#<b2b>.config": "b2b_sso/organization config is free-form",
}

# Intentional default differences: path -> (schema default, Phalanx default, why).
DEFAULT_DIFFERENCES: dict[str, str] = {
    "selfservice.flows.settings.ui_url": "unset -> built-in UI at <public base_url>ui/settings",
    "selfservice.flows.registration.ui_url": "unset -> built-in UI ui/registration",
    "selfservice.flows.login.ui_url": "unset -> built-in UI ui/login",
    "selfservice.flows.verification.ui_url": "unset -> built-in UI ui/verification",
    "selfservice.flows.recovery.ui_url": "unset -> built-in UI ui/recovery",
    "selfservice.flows.error.ui_url": "unset -> built-in UI ui/error",
}

# Sample values where the schema's own type/example is not a usable value.
SAMPLES: dict[str, Any] = {
    "cookies.secure": "true",  # schema says string; real configs use booleans
    "session.cookie.secure": "false",
    "organizations": [{"id": "org"}],
    "selfservice.methods.webauthn.config.rp.origin": "https://www.ory.sh",
    "version": "v25.4.0",
    "identity.schemas.#.id": "default",
}


@dataclass
class Leaf:
    path: str
    schema: dict[str, Any]
    wrap: Wrap
    required: bool = False
    parent: Leaf | None = None


def _resolve(defs: dict[str, Any], node: Any) -> dict[str, Any]:
    """Follow ``$ref``s and fold unconditional ``allOf`` members into the node."""
    if not isinstance(node, dict):
        return {}
    while "$ref" in node and node["$ref"].startswith("#/definitions/"):
        extra = {k: v for k, v in node.items() if k != "$ref"}
        node = {**defs[node["$ref"].rsplit("/", 1)[1]], **extra}
    plain = [_resolve(defs, sub) for sub in node.get("allOf", []) if "if" not in sub]
    if plain:
        node = dict(node)
        for sub in plain:
            node["properties"] = {**sub.get("properties", {}), **node.get("properties", {})}
            node["required"] = [*node.get("required", []), *sub.get("required", [])]
            for key in ("type", "additionalProperties"):
                if key in sub:
                    node.setdefault(key, sub[key])
    resolved: dict[str, Any] = node
    return resolved


def _branches(defs: dict[str, Any], node: dict[str, Any]) -> list[dict[str, Any]]:
    return [_resolve(defs, b) for b in node.get("anyOf", []) + node.get("oneOf", [])]


def _required(defs: dict[str, Any], node: dict[str, Any]) -> list[str]:
    """Required keys, including those every ``oneOf``/``anyOf`` branch requires."""
    required = list(node.get("required", []))
    sets = [set(b.get("required", [])) for b in _branches(defs, node)]
    if sets and all(sets):
        required += sorted(set.intersection(*sets) - set(required))
    return required


def _sample(defs: dict[str, Any], node: dict[str, Any], path: str) -> Any:
    node = _resolve(defs, node)
    if path in SAMPLES:
        return copy.deepcopy(SAMPLES[path])
    if "const" in node:
        return node["const"]
    if "enum" in node:
        return node.get("default", node["enum"][0])
    if "default" in node:
        return copy.deepcopy(node["default"])
    kind = node.get("type")
    branches = [b for b in _branches(defs, node) if "properties" in b]
    if branches and "properties" not in node:
        return _sample(defs, {**node, **branches[0], "anyOf": [], "oneOf": []}, path)
    if branches and kind == "object" and not node.get("properties"):
        return _sample(defs, {**branches[0], "type": "object"}, path)
    if kind == "object" or "properties" in node:
        return _minimal_object(defs, node, path, exclude=None)
    if kind == "array":
        return [_sample(defs, node.get("items", {"type": "string"}), path + ".#")]
    if kind == "boolean":
        return True
    if kind == "integer":
        return node.get("minimum", 1)
    pattern = node.get("pattern", "")
    fmt = node.get("format")
    if "ns|us|ms" in pattern:
        return "1m30s"
    if "KB|MB" in pattern:
        return "64MB"
    if pattern.startswith("^smtps?"):
        return "smtp://localhost:1025/"
    if pattern.startswith("^https?"):
        return "https://example.com/hook"
    if pattern.startswith("^(http|https|file|base64)"):
        return "base64://e30="
    if fmt == "email":
        return "someone@example.com"
    if fmt == "uri":
        return "https://example.com/some/path"
    if fmt == "uri-reference":
        return "/relative/path"
    if "examples" in node and isinstance(node["examples"][0], str):
        return node["examples"][0]
    return "x" * max(node.get("minLength", 0), 1) if "minLength" in node else "some-value"


def _minimal_object(
    defs: dict[str, Any], node: dict[str, Any], path: str, exclude: str | None
) -> dict[str, Any]:
    props = node.get("properties", {})
    return {
        key: _sample(defs, props.get(key, {}), f"{path}.{key}")
        for key in _required(defs, node)
        if key != exclude
    }


def _with(
    defs: dict[str, Any], node: dict[str, Any], path: str, key: str, value: Any
) -> dict[str, Any]:
    obj = _minimal_object(defs, node, path, exclude=key)
    if value is not _MISSING:
        obj[key] = value
    return obj


def _fixups(doc: dict[str, Any]) -> dict[str, Any]:
    """Satisfy the schema's conditional rules (if/then/else) the walk does not model."""
    methods = doc.get("selfservice", {}).get("methods", {})
    for provider in methods.get("oidc", {}).get("config", {}).get("providers", []):
        if "microsoft_tenant" in provider:
            provider["provider"] = "microsoft"
        if any(k.startswith("apple_") for k in provider):
            provider["provider"] = "apple"
            provider.pop("client_secret", None)
            for key in ("apple_team_id", "apple_private_key_id", "apple_private_key"):
                provider.setdefault(key, "value")
        else:
            provider.setdefault("client_secret", "secret")
    identity = doc.get("identity", {})
    schemas = identity.get("schemas") or []
    if schemas:  # Phalanx checks that default_schema_id names one of the schemas
        schemas[0]["id"] = identity.get("default_schema_id", "default")
    return doc


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        if isinstance(out.get(key), dict) and isinstance(value, dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def walk(schema: dict[str, Any]) -> Iterator[Leaf]:
    """Every property path of the schema (``#`` for array items, ``#<name>`` for branches)."""
    defs = schema["definitions"]

    def root_wrap(value: Any) -> dict[str, Any]:
        return _fixups(_merge(copy.deepcopy(MINIMAL), value))

    def visit(node: Any, path: str, wrap: Wrap, owner: Leaf | None = None) -> Iterator[Leaf]:
        node = _resolve(defs, node)
        props = node.get("properties", {})
        for key, child in props.items():
            child_path = f"{path}.{key}" if path else key
            if child_path in NOT_ENUMERABLE or key == "headers":
                continue
            if child is False:
                # selfServiceWebHook and httpRequestConfig list "additionalProperties: false"
                # inside "properties": a key no value is valid for. Not a real key.
                continue

            def child_wrap(v: Any, key: str = key, node: dict[str, Any] = node) -> dict[str, Any]:
                return wrap(_with(defs, node, path, key, v))

            child = _resolve(defs, child)
            leaf = Leaf(child_path, child, child_wrap, key in _required(defs, node), owner)
            yield leaf
            yield from visit(child, child_path, child_wrap, leaf)
        items = node.get("items")
        if isinstance(items, dict):
            items = _resolve(defs, items)
            branches = items.get("anyOf") or items.get("oneOf")
            if branches and all("properties" in _resolve(defs, b) for b in branches):
                for branch in branches:
                    branch = _resolve(defs, branch)
                    hook = branch["properties"].get("hook", {})
                    name = hook.get("const") or "b2b"
                    if name == "b2b":
                        continue  # free-form config, see NOT_ENUMERABLE
                    yield from visit(branch, f"{path}.#<{name}>", lambda v: wrap([v]))
            elif "properties" in items:
                yield from visit(items, f"{path}.#", lambda v: wrap([v]))
        for branch in _branches(defs, node):
            # Web hook ``auth``: one branch per ``type`` (api_key, basic_auth). Other
            # anyOf/oneOf branches (code, webauthn rp) only restate known properties.
            tag = branch.get("properties", {}).get("type", {}).get("const")
            if tag:
                yield from visit(branch, f"{path}.<{tag}>", wrap, owner)

    yield from visit(schema, "", lambda v: root_wrap(v))


def _dump(cfg: Config) -> dict[str, Any]:
    data: dict[str, Any] = cfg.model_dump(mode="json", by_alias=True)
    return data


def _lookup(data: Any, path: str) -> Any:
    for part in path.split("."):
        if part.startswith("<"):
            continue  # a oneOf branch of the same object
        data = data[0] if part.startswith("#") else data[part]
    return data


def _normalize(schema: dict[str, Any], value: Any) -> Any:
    pattern = schema.get("pattern", "")
    if isinstance(value, str) and "ns|us|ms" in pattern:
        return parse_duration(value)
    if isinstance(value, str) and "KB|MB" in pattern:
        return parse_byte_size(value)
    return value


def _leaves(schema: dict[str, Any]) -> list[Leaf]:
    return list(walk(schema))


def test_walk_finds_the_whole_tree(kratos_config_schema: dict[str, Any]) -> None:
    paths = {leaf.path for leaf in _leaves(kratos_config_schema)}
    assert len(paths) > 400
    for expected in (
        "selfservice.flows.settings.privileged_session_max_age",
        "selfservice.methods.oidc.config.providers.#.client_id",
        "selfservice.flows.login.after.password.hooks.#<web_hook>.config.auth",
        "courier.templates.recovery_code.valid.email.body.html",
        "serve.public.cors.allowed_origins",
        "hashers.argon2.memory",
        "watch-courier",
    ):
        assert expected in paths


def test_every_schema_key_is_accepted(kratos_config_schema: dict[str, Any]) -> None:
    failures: list[str] = []
    for leaf in _leaves(kratos_config_schema):
        value = _sample(kratos_config_schema["definitions"], leaf.schema, leaf.path)
        doc = leaf.wrap(value)
        try:
            cfg = Config.model_validate(doc)
        except Exception as exc:
            failures.append(f"{leaf.path}: rejected: {str(exc).splitlines()[0:3]}")
            continue
        got = _lookup(_dump(cfg), leaf.path)
        if isinstance(value, (dict, list)):
            continue  # containers: their members are checked one by one
        want = _normalize(leaf.schema, value)
        have = _normalize(leaf.schema, got)
        if leaf.path in ("cookies.secure", "session.cookie.secure"):
            want = want == "true"
        if want != have:
            failures.append(f"{leaf.path}: set {value!r}, model has {got!r}")
    assert not failures, "\n".join(failures)


def test_schema_defaults_match_model_defaults(kratos_config_schema: dict[str, Any]) -> None:
    failures: list[str] = []
    checked = 0
    for leaf in _leaves(kratos_config_schema):
        if "default" not in leaf.schema:
            continue
        # A required key's default applies when its whole parent object is absent.
        doc = leaf.parent.wrap(_MISSING) if leaf.required and leaf.parent else leaf.wrap(_MISSING)
        cfg = Config.model_validate(doc)
        try:
            got = _lookup(_dump(cfg), leaf.path)
        except (KeyError, IndexError, TypeError):
            failures.append(f"{leaf.path}: no value in the model")
            continue
        want = leaf.schema["default"]
        if leaf.path in DEFAULT_DIFFERENCES:
            assert got != want, f"{leaf.path} is listed as a difference but matches"
            continue
        checked += 1
        if _normalize(leaf.schema, got) != _normalize(leaf.schema, want):
            failures.append(f"{leaf.path}: schema default {want!r}, model default {got!r}")
    assert checked > 100
    assert not failures, "\n".join(failures)


def test_ui_url_difference_is_the_builtin_ui(minimal: dict[str, Any]) -> None:
    cfg = Config.model_validate(minimal)
    for path in DEFAULT_DIFFERENCES:
        flow = path.split(".")[2]
        assert cfg.ui_url(flow) == f"{cfg.public_base_url}ui/{flow}"


def test_required_top_level_keys_match_schema(kratos_config_schema: dict[str, Any]) -> None:
    required = set(kratos_config_schema["required"])
    model_required = {
        (info.alias or name) for name, info in Config.model_fields.items() if info.is_required()
    }
    assert model_required == required


def test_top_level_keys_match_schema_plus_phalanx(kratos_config_schema: dict[str, Any]) -> None:
    schema_keys = set(kratos_config_schema["properties"])
    model_keys = {(info.alias or name) for name, info in Config.model_fields.items()}
    assert model_keys == schema_keys | {"phalanx"}


def test_durations_are_timedeltas(minimal: dict[str, Any]) -> None:
    cfg = Config.model_validate(minimal)
    assert cfg.selfservice.flows.settings.privileged_session_max_age == timedelta(hours=1)
    assert cfg.session.lifespan == timedelta(hours=24)
    assert cfg.courier.worker.pull_wait == timedelta(seconds=1)


@pytest.mark.parametrize("path", sorted(NOT_ENUMERABLE))
def test_not_enumerable_subtrees_are_documented(path: str) -> None:
    assert NOT_ENUMERABLE[path]


# Model keys the schema file does not enumerate (see NOT_ENUMERABLE) or Phalanx adds.
MODEL_ONLY_PREFIXES = (
    "phalanx",
    "serve.admin.cors",  # Phalanx addition: CORS on the admin port, like serve.public.cors
    "tracing",
    "session.whoami.tokenizer.templates",
    "selfservice.methods.oidc.config.providers.#.requested_claims",
)


def test_model_has_no_keys_beyond_the_schema(kratos_config_schema: dict[str, Any]) -> None:
    from phalanx.config.env import env_paths

    schema_paths = {
        re.sub(r"\.<[^>]+>", "", re.sub(r"#<[^>]+>", "#", leaf.path))
        for leaf in walk(kratos_config_schema)
    }
    model_paths = {p.dotted for p in env_paths()}
    extra = sorted(
        p
        for p in model_paths - schema_paths
        if not p.endswith(".headers") and not p.startswith(MODEL_ONLY_PREFIXES)
    )
    assert extra == []
    assert schema_paths - model_paths == set()
