"""Translate the common subset of Go ``text/template`` into Jinja2.

Kratos templates (``*.gotmpl``, template URIs in ``courier.templates``) are Go templates
with Sprig functions. Phalanx renders with Jinja2, so operator-supplied Go templates are
translated once when loaded. Supported:

* fields: ``{{ .RecoveryCode }}``, ``{{ .Identity.traits.email }}`` (map keys are looked
  up as items, so ``.Identity.traits.items`` works too);
* whitespace trimming ``{{- ... -}}`` and comments ``{{/* ... */}}``;
* ``{{ if X }} / {{ else if X }} / {{ else }} / {{ end }}``;
* string and number literals, pipelines ``{{ .X | upper }}`` and the functions
  ``not eq ne lt le gt ge and or len print html urlquery upper lower title trim default``;
* ``{{ template "email.body.en_US.gotmpl" . }}`` (another file of the same directory).

Anything else (``range``, ``with``, ``define``, variables ``$x``, parentheses, other Sprig
functions) raises :class:`UnsupportedTemplateError` naming the action, at load time. Go
prints a missing map key as ``<no value>``; the translated template prints nothing.
"""

from __future__ import annotations

import json
import re

__all__ = ["UnsupportedTemplateError", "translate"]

_ACTION = re.compile(r"\{\{(-\s)?(.*?)(\s-)?\}\}", re.DOTALL)
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*"|`[^`]*`)
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<field>(?:\.[A-Za-z_][A-Za-z0-9_]*)+|\.)
      | (?P<pipe>\|)
      | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<other>\S)
    )""",
    re.VERBOSE,
)
_COMPARE = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
_FILTERS = {
    "upper": "upper",
    "lower": "lower",
    "title": "title",
    "trim": "trim",
    "html": "e",
    "urlquery": "urlencode",
    "len": "length",
}
_WS = " \t\r\n"


class UnsupportedTemplateError(ValueError):
    """The Go template uses a construct outside the supported subset."""


def _operand(kind: str, text: str, source: str) -> str:
    if kind == "string":
        if text.startswith("`"):
            return json.dumps(text[1:-1])
        return json.dumps(json.loads(text))
    if kind == "number":
        return text
    if kind == "field":
        if text == ".":
            raise UnsupportedTemplateError(f"{source}: '.' as a value is not supported")
        head, *keys = text[1:].split(".")
        return head + "".join(f"[{json.dumps(k)}]" for k in keys)
    raise UnsupportedTemplateError(f"{source}: unexpected {text!r}")


def _command(tokens: list[tuple[str, str]], piped: str | None, source: str) -> str:
    if not tokens:
        raise UnsupportedTemplateError(f"{source}: empty command")
    kind, text = tokens[0]
    if kind != "ident":
        if len(tokens) > 1 or piped is not None:
            raise UnsupportedTemplateError(f"{source}: {text!r} is not a function")
        return _operand(kind, text, source)
    args = [_operand(k, t, source) for k, t in tokens[1:]]
    if piped is not None:
        args.append(piped)
    if text in _COMPARE and len(args) == 2:
        return f"({args[0]} {_COMPARE[text]} {args[1]})"
    if text == "not" and len(args) == 1:
        return f"(not {args[0]})"
    if text in ("and", "or") and args:
        return "(" + f" {text} ".join(args) + ")"
    if text in _FILTERS and len(args) == 1:
        return f"({args[0]}|{_FILTERS[text]})"
    if text == "print" and len(args) == 1:
        return args[0]
    if text == "default" and len(args) == 2:
        return f"({args[1]} if {args[1]} else {args[0]})"
    if text in ("true", "false") and not args:
        return text.capitalize()
    raise UnsupportedTemplateError(f"{source}: function {text!r} is not supported")


def _pipeline(body: str, source: str) -> str:
    tokens: list[tuple[str, str]] = []
    for match in _TOKEN.finditer(body):
        kind = match.lastgroup or "other"
        text = match.group(kind)
        if kind == "other" or (kind == "ident" and text in ("nil",)):
            raise UnsupportedTemplateError(f"{source}: {text!r} is not supported")
        tokens.append((kind, text))
    commands: list[list[tuple[str, str]]] = [[]]
    for token in tokens:
        if token[0] == "pipe":
            commands.append([])
        else:
            commands[-1].append(token)
    expr: str | None = None
    for command in commands:
        expr = _command(command, expr, source)
    assert expr is not None
    return expr


def translate(source: str, *, name: str = "template", include_dir: str = "") -> str:
    """Jinja2 source equivalent to the Go template ``source``.

    ``include_dir`` prefixes the names of ``{{ template "x" . }}`` includes so the
    loader finds them next to the including file.
    """
    out: list[str] = []
    stack: list[str] = []
    pos = 0
    text_parts: list[str] = []
    actions: list[tuple[bool, str, bool]] = []
    for match in _ACTION.finditer(source):
        text_parts.append(source[pos : match.start()])
        actions.append((bool(match.group(1)), match.group(2).strip(), bool(match.group(3))))
        pos = match.end()
    text_parts.append(source[pos:])
    for i, (_, _, trim_right) in enumerate(actions):
        if actions[i][0]:
            text_parts[i] = text_parts[i].rstrip(_WS)
        if trim_right:
            text_parts[i + 1] = text_parts[i + 1].lstrip(_WS)
    for i, text in enumerate(text_parts):
        if text:
            if "{%" in text or "{#" in text or "{{" in text:
                # Literal text that Jinja would parse: emit it as a (trusted) string.
                text = "{{ " + json.dumps(text) + "|safe }}"
            out.append(text)
        if i == len(actions):
            break
        body = actions[i][1]
        where = f"{name}: {{{{{body}}}}}"
        if body.startswith("/*") and body.endswith("*/"):
            continue
        word, _, rest = body.partition(" ")
        rest = rest.strip()
        if word == "if":
            stack.append("if")
            out.append("{% if " + _pipeline(rest, where) + " %}")
        elif word == "else" and stack:
            if rest.startswith("if "):
                out.append("{% elif " + _pipeline(rest[3:], where) + " %}")
            elif not rest:
                out.append("{% else %}")
            else:
                raise UnsupportedTemplateError(f"{where}: unsupported else clause")
        elif word == "end" and stack:
            stack.pop()
            out.append("{% endif %}")
        elif word == "template":
            found = re.fullmatch(r'"([^"]+)"(?:\s+\.)?', rest)
            if not found:
                raise UnsupportedTemplateError(f'{where}: expected {{{{ template "name" . }}}}')
            target = f"{include_dir}/{found.group(1)}" if include_dir else found.group(1)
            out.append("{% include " + json.dumps(target) + " %}")
        elif word in ("range", "with", "define", "block", "break", "continue", "else", "end"):
            raise UnsupportedTemplateError(f"{where}: {word!r} is not supported")
        else:
            out.append("{{ " + _pipeline(body, where) + " }}")
    if stack:
        raise UnsupportedTemplateError(f"{name}: unexpected EOF (missing {{{{ end }}}})")
    return "".join(out)
