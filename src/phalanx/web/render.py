"""Flow ``ui`` JSON → a view model the templates draw, with no knowledge of any method.

The input is the Kratos ``uiContainer`` (``{action, method, nodes, messages}``) exactly as
the JSON API sends it, so anything a strategy puts into a flow is drawn without touching a
template. The rules:

* **Forms.** When the ``default`` group carries visible fields (login's ``identifier``,
  registration's traits) they are shared by every method, so the page has one ``<form>``;
  a submit button gets ``formnovalidate`` when the form holds required fields of another
  method (social sign-in or "send me a code" must not demand the password; the server
  validates anyway). Otherwise (settings, recovery, verification) each group is its own
  ``<form>`` carrying the default group's hidden inputs (the CSRF token), so one method's
  required fields never block another. Either way, a submit that is not a ``method``
  button (``email`` "Resend code", ``resend``, ``totp_unlink``, ``lookup_secret_*``, ...)
  is an action that needs none of the form's inputs: it gets ``formnovalidate`` too, else
  an empty required code field would stop "Resend code".
* **Sections.** Inside a form, consecutive nodes of one group form a section; ``default``
  nodes join the section of the next method node. Pages draw an "or" between sections.
  A form's first submit outside social sign-in is its primary action.
* **Fields.** One per node, see :mod:`phalanx.web.nodes`.
* **Messages.** Node messages stay next to their field (``aria-describedby``, errors set
  ``aria-invalid`` and focus moves to the first invalid field); messages of hidden nodes
  are lifted to their form; ``ui.messages`` become the page's messages.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from phalanx.web.i18n import group_title
from phalanx.web.nodes import (
    DomIds,
    Field,
    FieldKind,
    Message,
    Option,
    field_from_node,
    messages_of,
    slug,
    value_text,
)

__all__ = [
    "Field",
    "FieldKind",
    "FlowView",
    "Form",
    "Message",
    "Option",
    "Section",
    "messages_of",
    "render_ui",
    "value_text",
]

_DEFAULT = "default"
#: Groups whose buttons leave for another site (drawn as secondary, never the main action).
_REDIRECT_GROUPS = frozenset({"oidc", "saml"})
#: Submit names that run the method itself (its inputs are needed); any other submit is a
#: side action. ``provider``/``upstream`` are social sign-in, exempted by the group rule.
_METHOD_BUTTONS = frozenset({"method"})


@dataclass(slots=True)
class Section:
    """Consecutive fields of one method group inside a form."""

    group: str
    fields: list[Field] = field(default_factory=list)


@dataclass(slots=True)
class Form:
    """One ``<form>`` posting to the flow's ``ui.action``."""

    dom_id: str
    action: str
    method: str
    hidden: list[Field] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    group: str | None = None
    title: str | None = None


@dataclass(slots=True)
class FlowView:
    """Everything a flow page draws from ``ui``."""

    messages: list[Message]
    forms: list[Form]
    #: ``script`` nodes (``webauthn.js``), loaded once each by the page
    scripts: list[Field] = field(default_factory=list)

    @property
    def needs_triggers(self) -> bool:
        """Whether the page has WebAuthn trigger buttons or onload inputs to bind."""
        return any(
            f.trigger
            for form in self.forms
            for f in [*form.hidden, *(x for s in form.sections for x in s.fields)]
        )


def _fields(
    nodes: Iterable[Any],
    ids: DomIds,
    locale: str,
    flow: str,
    refresh: bool,
    scripts: list[Field],
) -> tuple[list[tuple[Field, list[Message]]], list[Message]]:
    """Fields in node order, each with messages that cannot be shown next to it, and the
    messages of nodes that are not drawn at all; script nodes go to ``scripts``."""
    out: list[tuple[Field, list[Message]]] = []
    orphans: list[Message] = []
    for node in nodes:
        if not isinstance(node, Mapping):
            continue
        built = field_from_node(node, ids, locale, flow, refresh)
        if built is None or built.kind == "script":
            orphans.extend(messages_of(node.get("messages"), locale))
            if built is not None and all(s.src != built.src for s in scripts):
                scripts.append(built)
            continue
        lifted = list(built.messages) if built.kind == "hidden" else []
        out.append((built, lifted))
    return out, orphans


def _sections(fields: Sequence[Field]) -> list[Section]:
    """Group consecutive fields by method; ``default`` fields join the next method's run."""
    sections: list[Section] = []
    pending: list[Field] = []
    for item in fields:
        if item.group == _DEFAULT:
            pending.append(item)
            continue
        if not sections or sections[-1].group != item.group:
            sections.append(Section(group=item.group))
        sections[-1].fields.extend([*pending, item])
        pending = []
    if pending:
        if sections:
            sections[-1].fields.extend(pending)
        else:
            sections.append(Section(group=_DEFAULT, fields=pending))
    return sections


def _mark_primary(form: Form) -> None:
    """The form's main action: the first submit outside social sign-in (else the first link)."""
    candidates = [f for s in form.sections if s.group not in _REDIRECT_GROUPS for f in s.fields]
    submit = next((f for f in candidates if f.kind == "submit"), None)
    if submit is None:
        submit = next((f for f in candidates if f.kind == "a"), None)
    if submit is not None:
        submit.primary = True


def _blocks_other_methods(group: str, fields: Sequence[Field]) -> bool:
    """True when the form holds required fields of another method than ``group``."""
    return any(
        f.required
        and f.group not in (group, _DEFAULT)
        and f.kind in ("input", "checkbox", "select")
        for f in fields
    )


def _is_side_action(item: Field) -> bool:
    """A submit that is not the method's own button (resend, unlink, confirm, remove)."""
    return item.kind == "submit" and item.name not in _METHOD_BUTTONS


def render_ui(
    ui: Mapping[str, Any],
    *,
    locale: str = "en",
    flow: str = "login",
    refresh: bool = False,
) -> FlowView:
    """Build the view of a flow's ``ui`` container (see the module docstring for the rules).

    ``flow`` is the flow kind (``login``, ``registration``, ...) and only decides which
    ``autocomplete`` a password field gets when its node has none; ``refresh`` marks a
    login that re-authenticates (current password, too).
    """
    action = str(ui.get("action", ""))
    method = str(ui.get("method", "POST")).upper() or "POST"
    ids = DomIds()
    scripts: list[Field] = []
    entries, orphans = _fields(ui.get("nodes") or [], ids, locale, flow, refresh, scripts)
    view = FlowView(
        messages=[*messages_of(ui.get("messages"), locale), *orphans], forms=[], scripts=scripts
    )

    shared_visible = any(f.group == _DEFAULT and f.kind != "hidden" for f, _ in entries)
    groups = list(dict.fromkeys(f.group for f, _ in entries if f.group != _DEFAULT))

    if shared_visible or len(groups) <= 1:
        form = Form(dom_id="form", action=action, method=method, group=None)
        visible: list[Field] = []
        for item, lifted in entries:
            form.messages.extend(lifted)
            (form.hidden if item.kind == "hidden" else visible).append(item)
        for item in visible:
            if item.kind == "submit":
                item.novalidate = _is_side_action(item) or _blocks_other_methods(
                    item.group, visible
                )
        form.sections = _sections(visible)
        _mark_primary(form)
        view.forms.append(form)
    else:
        shared_hidden = [f for f, _ in entries if f.group == _DEFAULT and f.kind == "hidden"]
        for group in groups:
            form = Form(
                dom_id=f"form-{slug(group)}",
                action=action,
                method=method,
                group=group,
                title=group_title(group, locale),
            )
            # Each form repeats the shared hidden inputs (the CSRF token).
            form.hidden = list(shared_hidden)
            fields: list[Field] = []
            for item, lifted in entries:
                if item.group != group:
                    continue
                form.messages.extend(lifted)
                (form.hidden if item.kind == "hidden" else fields).append(item)
                item.novalidate = _is_side_action(item)
            form.sections = [Section(group=group, fields=fields)]
            _mark_primary(form)
            view.forms.append(form)
        for item, lifted in entries:
            if item.group == _DEFAULT:
                view.messages.extend(lifted)

    first_invalid = next(
        (
            f
            for form in view.forms
            for s in form.sections
            for f in s.fields
            if f.invalid and f.kind in ("input", "checkbox", "select")
        ),
        None,
    )
    if first_invalid is not None:
        first_invalid.autofocus = True
    return view
