"""The ``ory.sh/kratos`` identity schema extension (``ory/kratos:identity/extension_*.go``).

:func:`derive` walks an identity schema alongside ``{"traits": traits}`` the way the
validator does (``properties``, ``patternProperties``, ``additionalProperties``, ``items``,
local ``$ref``, ``allOf``, the matching ``anyOf``/``oneOf`` branch, ``if``/``then``/``else``)
and, wherever a schema carries the extension, records what it asks for:

* ``credentials.password.identifier`` / ``credentials.webauthn.identifier``: the value is a
  login identifier of that credential type, normalised (trim, NFKC, lower-case);
* ``credentials.code.identifier`` with ``via`` ``email``/``sms``: an identifier and a code
  address (e-mail lower-cased, phone in E.164; an invalid phone is a validation error);
* ``credentials.totp.account_name`` / ``credentials.passkey.display_name``: labels, kept as
  typed;
* ``verification.via`` / ``recovery.via``: a verifiable / recovery address. Without a
  ``format``, verification by e-mail implies ``email`` and by SMS is an error; recovery by
  e-mail needs a valid e-mail (unless another format such as ``no-validate`` is declared) and
  by SMS a valid phone number.

An array value under an extension contributes each of its string elements. Values that are
not strings are ignored. Problems are returned as :class:`~phalanx.schema.traits.TraitError`
alongside the result.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jsonschema

from phalanx.schema.formats import FORMATS, format_checker, is_email
from phalanx.schema.meta import EXTENSION_KEYWORD
from phalanx.schema.normalize import (
    InvalidPhoneNumberError,
    normalize_email,
    normalize_identifier,
    normalize_phone,
    parse_phone_number,
)
from phalanx.schema.paths import resolve_local_ref
from phalanx.schema.traits import TraitError, dot_pointer
from phalanx.text import validation_generic
from phalanx.text.gofmt import go_quote

__all__ = ["ExtensionResult", "derive"]


@dataclass(slots=True)
class ExtensionResult:
    """What the extension derived from one identity's traits."""

    identifiers: dict[str, list[str]] = field(default_factory=dict)
    verifiable: list[tuple[str, str]] = field(default_factory=list)
    recovery: list[tuple[str, str]] = field(default_factory=list)
    code_addresses: list[tuple[str, str]] = field(default_factory=list)
    errors: list[TraitError] = field(default_factory=list)

    def _identifier(self, kind: str, value: str) -> None:
        values = self.identifiers.setdefault(kind, [])
        if value not in values:
            values.append(value)


def _section(config: Mapping[str, Any], *keys: str) -> Mapping[str, Any]:
    node: Any = config
    for key in keys:
        node = node.get(key) if isinstance(node, Mapping) else None
    return node if isinstance(node, Mapping) else {}


class _Deriver:
    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root
        self.result = ExtensionResult()
        cls = jsonschema.validators.validator_for(root, default=jsonschema.Draft7Validator)
        self.validator = cls(root, format_checker=format_checker())

    def fail(self, tokens: list[str | int], reason: str) -> None:
        self.result.errors.append(TraitError(dot_pointer(tokens), validation_generic(reason)))

    def is_valid(self, schema: Any, value: Any) -> bool:
        return bool(self.validator.evolve(schema=schema).is_valid(value))

    def walk(self, schema: Any, value: Any, tokens: list[str | int]) -> None:
        if not isinstance(schema, Mapping):
            return
        if isinstance(schema.get("$ref"), str):
            self.walk(resolve_local_ref(self.root, schema["$ref"]), value, tokens)
            return
        config = schema.get(EXTENSION_KEYWORD)
        if isinstance(config, Mapping):
            items = value if isinstance(value, list) else [value]
            for index, item in enumerate(items):
                where = [*tokens, index] if isinstance(value, list) else tokens
                if isinstance(item, str):
                    self.apply(config, schema, item, where)
        for sub in schema.get("allOf") or []:
            self.walk(sub, value, tokens)
        for key in ("anyOf", "oneOf"):
            for sub in schema.get(key) or []:
                if self.is_valid(sub, value):
                    self.walk(sub, value, tokens)
                    break
        if "if" in schema:
            branch = "then" if self.is_valid(schema["if"], value) else "else"
            self.walk(schema.get(branch), value, tokens)
        if isinstance(value, Mapping):
            self.walk_object(schema, value, tokens)
        elif isinstance(value, list):
            self.walk_array(schema, value, tokens)

    def walk_object(
        self, schema: Mapping[str, Any], value: Mapping[str, Any], tokens: list[str | int]
    ) -> None:
        properties = schema.get("properties") or {}
        patterns = schema.get("patternProperties") or {}
        additional = schema.get("additionalProperties")
        for name, item in value.items():
            matched = False
            if name in properties:
                matched = True
                self.walk(properties[name], item, [*tokens, name])
            for pattern, sub in patterns.items():
                if re.search(pattern, name):
                    matched = True
                    self.walk(sub, item, [*tokens, name])
            if not matched and isinstance(additional, Mapping):
                self.walk(additional, item, [*tokens, name])

    def walk_array(
        self, schema: Mapping[str, Any], value: list[Any], tokens: list[str | int]
    ) -> None:
        items = schema.get("items")
        for index, item in enumerate(value):
            if isinstance(items, list):
                sub = items[index] if index < len(items) else schema.get("additionalItems")
            else:
                sub = items
            if sub is not None:
                self.walk(sub, item, [*tokens, index])

    def apply(
        self,
        config: Mapping[str, Any],
        schema: Mapping[str, Any],
        value: str,
        tokens: list[str | int],
    ) -> None:
        credentials = _section(config, "credentials")
        for kind in ("password", "webauthn"):
            if _section(credentials, kind).get("identifier") is True:
                self.result._identifier(kind, normalize_identifier(value))
        if _section(credentials, "totp").get("account_name") is True:
            self.result._identifier("totp", value)
        if _section(credentials, "passkey").get("display_name") is True:
            self.result._identifier("passkey", value)
        code = _section(credentials, "code")
        if code.get("identifier") is True:
            self.code(code.get("via"), schema, value, tokens)
        via = _section(config, "verification").get("via")
        if isinstance(via, str) and via:
            self.verification(via, schema, value, tokens)
        via = _section(config, "recovery").get("via")
        if isinstance(via, str) and via:
            self.recovery(via, schema, value, tokens)

    def code(
        self, via: Any, schema: Mapping[str, Any], value: str, tokens: list[str | int]
    ) -> None:
        if via not in ("email", "sms"):
            self.fail(tokens, f"channel type {go_quote(str(via or ''))} must be one of email, sms")
            return
        if via == "sms":
            try:
                address = normalize_phone(value)
            except InvalidPhoneNumberError as exc:
                self.fail(tokens, str(exc))
                return
        else:
            address = normalize_email(value)
        self.result._identifier("code", address)
        if (via, address) not in self.result.code_addresses:
            self.result.code_addresses.append((via, address))
            self.result.code_addresses.sort(key=lambda a: (a[1], a[0]))

    def verification(
        self, via: str, schema: Mapping[str, Any], value: str, tokens: list[str | int]
    ) -> None:
        fmt = schema.get("format", "")
        if not isinstance(fmt, str):
            return
        if not fmt:
            if via != "email":
                self.fail(
                    tokens,
                    "no format specified. A format is required if verification is enabled. "
                    'If this was intentional, please set "format" to "no-validate"',
                )
                return
            fmt = "email"
            if not is_email(value):
                self.fail(tokens, f'{go_quote(value)} is not valid "email"')
                return
        if fmt in ("email", "tel"):
            if via == "sms":
                normalized = parse_phone_number(value)
                if normalized is None:
                    self.fail(
                        tokens,
                        f"{go_quote(value)} can not be normalized for format {go_quote(fmt)}",
                    )
                    return
            else:
                normalized = normalize_email(value)
        else:
            normalized = value.strip()
        if (via, normalized) not in self.result.verifiable:
            self.result.verifiable.append((via, normalized))

    def recovery(
        self, via: str, schema: Mapping[str, Any], value: str, tokens: list[str | int]
    ) -> None:
        if via == "email":
            fmt = schema.get("format", "")
            if fmt in ("", "email") and not FORMATS["email"](value):
                self.fail(tokens, f'{go_quote(value)} is not valid "email"')
                return
            address = normalize_email(value)
        elif via == "sms":
            parsed = parse_phone_number(value)
            if parsed is None:
                self.fail(tokens, f'{go_quote(value)} is not valid "tel"')
                return
            address = parsed
        else:
            self.fail(tokens, f"recovery.via has unknown value {go_quote(via)}")
            return
        if (via, address) not in self.result.recovery:
            self.result.recovery.append((via, address))


def derive(schema: Mapping[str, Any], traits: Any) -> ExtensionResult:
    """Identifiers and addresses the ``ory.sh/kratos`` extension derives from ``traits``.

    ``schema`` is the whole identity schema; ``traits`` the identity's traits object.
    """
    deriver = _Deriver(schema)
    deriver.walk(schema, {"traits": traits}, [])
    return deriver.result
