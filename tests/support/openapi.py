"""Validate response bodies against the Kratos v25.4 OpenAPI document.

Usage::

    from tests.support.openapi import assert_matches_spec

    r = httpx.get(f"{admin}/admin/identities/{iid}")
    assert_matches_spec("GET", r.url, r.status_code, r.json())
    # or with a template and a httpx.Response:
    assert_response_matches_spec(r, path="/admin/identities/{id}")

How a body is checked:

1. the operation is found by method + path: a concrete URL (``http://h:4434/admin/identities/
   5f1...``, query ignored) is matched against the spec's path templates, literal segments
   winning over ``{params}`` (so ``/admin/identities/by/external/{externalID}`` beats
   ``/admin/identities/{id}``). Admin paths may be given without ``/admin`` as Kratos's admin
   router accepts both;
2. the response for the status code is taken, else ``default``; ``$ref``s to
   ``components/responses`` are followed; a response without JSON content demands an empty body;
3. the schema is validated with :mod:`jsonschema` (draft 2020-12, formats checked) after
   translating OpenAPI 3.0 dialect: ``nullable: true`` becomes a type union with ``"null"``,
   ``discriminator`` mappings select the mapped schema, and ``additionalProperties: false``
   on a property-less object (go-swagger's rendering of ``map[string]any``, e.g.
   ``genericError.details``) is dropped.

A failure raises ``AssertionError`` naming the operation, the JSON pointer of the offending
value and the schema path.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import jsonschema
from jsonschema import Draft202012Validator, FormatChecker

from tests.support.reference import OPENAPI, locate, note_skipped, require

__all__ = [
    "Operation",
    "assert_matches_spec",
    "assert_response_matches_spec",
    "checked",
    "find_operation",
    "load_spec",
    "response_schema",
    "spec_check",
    "to_json_schema",
]

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@functools.cache
def load_spec() -> dict[str, Any]:
    """The raw OpenAPI document (cached); skips the calling test when it is absent."""
    with require(OPENAPI).open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation of the spec: its method, path template and raw definition."""

    method: str
    template: str
    definition: Mapping[str, Any]

    @property
    def operation_id(self) -> str:
        return str(self.definition.get("operationId", f"{self.method} {self.template}"))


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}/]+\})", template)
    pattern = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{pattern}$")


def _specificity(template: str) -> tuple[int, int]:
    segments = [s for s in template.split("/") if s]
    literal = sum(1 for s in segments if not s.startswith("{"))
    return (literal, len(segments))


def _path_of(path_or_url: str) -> str:
    text = str(path_or_url)
    if "://" in text:
        text = urlsplit(text).path
    return text.split("?", 1)[0].split("#", 1)[0] or "/"


def find_operation(method: str, path_or_url: str) -> Operation:
    """The operation for ``method`` and a path template or concrete path/URL.

    Raises ``AssertionError`` when the spec has no such operation.
    """
    spec = load_spec()
    paths: dict[str, Any] = spec["paths"]
    m = method.lower()
    path = _path_of(path_or_url)
    if path in paths and m in paths[path]:
        return Operation(m.upper(), path, paths[path][m])
    candidates = [path]
    if not path.startswith("/admin/") and path != "/admin":
        candidates.append("/admin" + path)
    for candidate in candidates:
        matches = [
            t for t, item in paths.items() if m in item and _template_regex(t).match(candidate)
        ]
        if matches:
            best = max(matches, key=_specificity)
            return Operation(m.upper(), best, paths[best][m])
    raise AssertionError(f"the OpenAPI spec has no operation {method.upper()} {path}")


def _resolve_response(response: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = load_spec()
    seen = 0
    while "$ref" in response:
        ref = str(response["$ref"])
        prefix = "#/components/responses/"
        if not ref.startswith(prefix):
            raise AssertionError(f"unsupported response $ref {ref}")
        response = spec["components"]["responses"][ref[len(prefix) :]]
        seen += 1
        if seen > 10:
            raise AssertionError(f"response $ref loop at {ref}")
    return response


def response_schema(operation: Operation, status: int) -> dict[str, Any] | None:
    """The OpenAPI schema of the response for ``status`` (or ``default``).

    Returns ``None`` when the response has no JSON content (an empty body is expected).
    Raises ``AssertionError`` when the operation declares neither the status nor a default.
    """
    responses: Mapping[str, Any] = operation.definition.get("responses", {})
    raw = responses.get(str(status))
    if raw is None:
        raw = responses.get(f"{str(status)[0]}XX")
    if raw is None:
        raw = responses.get("default")
    if raw is None:
        raise AssertionError(
            f"{operation.operation_id} ({operation.method} {operation.template}) declares no "
            f"response {status} and no default; declared: {sorted(responses)}"
        )
    resolved = _resolve_response(raw)
    content: Mapping[str, Any] = resolved.get("content") or {}
    media = content.get("application/json")
    if media is None:
        for key, value in content.items():
            if key.endswith("json"):
                media = value
                break
    if media is None or "schema" not in media:
        return None
    return dict(media["schema"])


def to_json_schema(node: Any) -> Any:
    """Translate an OpenAPI 3.0 schema (tree) into JSON Schema 2020-12 (returns a copy)."""
    if isinstance(node, list):
        return [to_json_schema(v) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("properties", "patternProperties", "$defs", "definitions") and isinstance(
            value, dict
        ):
            out[key] = {k: to_json_schema(v) for k, v in value.items()}
        elif key in ("example", "examples", "x-go-enum-desc", "discriminator", "nullable"):
            continue
        else:
            out[key] = to_json_schema(value)
    if out.get("additionalProperties") is False and not out.get("properties"):
        # go-swagger renders Go's map[string]any as `additionalProperties: false`.
        del out["additionalProperties"]
    disc = node.get("discriminator")
    if isinstance(disc, dict) and isinstance(disc.get("mapping"), dict) and "oneOf" in out:
        prop = str(disc["propertyName"])
        branches = [
            {
                "if": {"properties": {prop: {"const": value}}, "required": [prop]},
                "then": {"$ref": target},
            }
            for value, target in disc["mapping"].items()
        ]
        # The mapped schema decides; the oneOf list only needs one match (anyOf), because
        # several variants may accept the same object when the discriminator is ignored.
        out["anyOf"] = out.pop("oneOf")
        out.setdefault("allOf", []).extend(branches)
    if node.get("nullable") is True:
        if "$ref" in out:
            ref = out.pop("$ref")
            out = {"anyOf": [{"$ref": ref}, {"type": "null"}], **out}
        elif "type" in out:
            types = out["type"] if isinstance(out["type"], list) else [out["type"]]
            out["type"] = [*types, "null"] if "null" not in types else types
            if "enum" in out and None not in out["enum"]:
                out["enum"] = [*out["enum"], None]
        # nullable without a type: anything (including null) is already allowed
    return out


@functools.cache
def _components() -> dict[str, Any]:
    converted: dict[str, Any] = to_json_schema(load_spec().get("components", {}))
    return converted


_format_checker = FormatChecker()


@_format_checker.checks("date-time", raises=ValueError)
def _check_datetime(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not re.fullmatch(
        r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})", value
    ):
        raise ValueError(f"{value!r} is not an RFC 3339 date-time")
    datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00"))
    return True


@_format_checker.checks("uuid4", raises=ValueError)
@_format_checker.checks("uuid", raises=ValueError)
def _check_uuid(value: object) -> bool:
    if not isinstance(value, str):
        return True
    uuid.UUID(value)
    if len(value) != 36:
        raise ValueError(f"{value!r} is not a canonical UUID")
    return True


def _validator(schema: Mapping[str, Any]) -> Draft202012Validator:
    root = {**to_json_schema(copy.deepcopy(dict(schema))), "components": _components()}
    return Draft202012Validator(root, format_checker=_format_checker)


def _pointer(path: Any) -> str:
    parts = [str(p).replace("~", "~0").replace("/", "~1") for p in path]
    return "/" + "/".join(parts) if parts else "(root)"


def assert_matches_spec(method: str, path_or_url: str, status: int, body: Any) -> None:
    """Assert ``body`` is what the spec allows for ``method path`` answering ``status``.

    ``path_or_url`` is a template (``/admin/identities/{id}``), a concrete path or a full URL
    (query ignored). ``body`` is the decoded JSON (``None`` or ``b""``/``""`` for no body).

    Without the OpenAPI document (see :mod:`tests.support.reference`) nothing is checked; the
    left-out validation is counted and reported at the end of the run.
    """
    if locate(OPENAPI) is None:
        note_skipped(OPENAPI)
        return
    operation = find_operation(method, str(path_or_url))
    schema = response_schema(operation, status)
    where = f"{operation.operation_id} ({operation.method} {operation.template}) -> {status}"
    if schema is None:
        if body not in (None, b"", ""):
            raise AssertionError(f"{where}: the spec declares no body, got {body!r:.200}")
        return
    validator = _validator(schema)
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    if errors:
        lines = []
        for err in errors[:5]:
            best = jsonschema.exceptions.best_match([err])
            lines.append(
                f"  at {_pointer(best.absolute_path)}: {best.message} "
                f"(schema {_pointer(best.absolute_schema_path)})"
            )
        more = f"\n  ... and {len(errors) - 5} more" if len(errors) > 5 else ""
        raise AssertionError(
            f"{where}: body does not match the OpenAPI schema:\n"
            + "\n".join(lines)
            + more
            + f"\nbody: {json.dumps(body, default=str)[:2000]}"
        )


def assert_response_matches_spec(response: Any, *, path: str | None = None) -> None:
    """Same as :func:`assert_matches_spec` for an ``httpx.Response`` (or anything shaped so).

    ``path`` overrides the request URL's path (e.g. to name the template explicitly).
    """
    request = response.request
    content: bytes = response.content
    body: Any = None
    if content:
        body = json.loads(content)
    assert_matches_spec(request.method, path or str(request.url), response.status_code, body)


def checked(response: Any, template: str | None = None) -> Any:
    """Validate a JSON answer against the spec (redirects and empty bodies are skipped);
    the response itself."""
    if response.headers.get("content-type", "").startswith("application/json"):
        assert_response_matches_spec(response, path=template)
    return response


def spec_check(response: Any) -> None:
    """:func:`phalanx.testing.set_response_check` for the project's tests: every JSON answer
    the drivers receive must match Kratos's spec (HTML, redirects and the built-in UI's
    pages are not checked)."""
    if "json" not in response.headers.get("content-type", "") or not response.content:
        return
    request = response.request
    path = urlsplit(str(request.url)).path
    method = request.method
    if method == "GET" and path == "/self-service/settings":
        method = "POST"  # Kratos serves GET there too; the spec only documents POST
    if path.startswith("/ui/"):
        return
    assert_matches_spec(method, path, response.status_code, response.json())
