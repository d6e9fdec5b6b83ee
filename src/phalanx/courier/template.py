"""Render courier subjects and bodies (Kratos ``courier/template/load_template.go``).

Each part of a message — ``email.subject``, ``email.body`` (HTML),
``email.body.plaintext``, ``sms.body`` — is looked up in Kratos's order:

1. the URI configured in ``courier.templates.<name>.<valid|invalid>.email.subject``,
   ``...email.body.html``, ``...email.body.plaintext`` or ``...valid.sms.body.plaintext``
   (``file://``, ``base64://``, ``http(s)://``);
2. ``<courier.template_override_path>/<name>/<valid|invalid>/<part>.gotmpl``;
3. the built-in template (same wording as Kratos's built-ins).

Operator templates are Go templates: they are translated to Jinja2 by
:mod:`phalanx.courier.gotemplate` (a documented subset of Go's syntax). As a Phalanx
extension an override file named ``<part>.j2`` (or a URI ending in ``.j2``) is taken as
native Jinja2. Everything renders in Jinja's sandbox; HTML bodies are autoescaped like Go's
``html/template``. Variables carry the Go field names (``RecoveryCode``), the JSON names
(``recovery_code``) and snake_case names — see :mod:`phalanx.courier.models`. Subjects
are stripped of surrounding whitespace, as Kratos does. Compiled templates are cached
for the renderer's lifetime (Kratos keeps an LRU cache with the same effect).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import jinja2
from jinja2.sandbox import SandboxedEnvironment

from phalanx.config.model_courier import CourierConfig, CourierTemplates
from phalanx.courier.gotemplate import UnsupportedTemplateError, translate
from phalanx.courier.message import MessageType, TemplateType
from phalanx.courier.models import render_context
from phalanx.outbound.sources import SourceError, load_url

__all__ = ["RenderedEmail", "TemplateError", "TemplateRenderer"]

_PARTS_HTML = frozenset({"email.body"})


class TemplateError(Exception):
    """A template could not be loaded, translated or rendered."""


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    subject: str
    body_plaintext: str
    body_html: str


class _OverrideLoader(jinja2.BaseLoader):
    """Serves ``{% include %}`` targets from the override directory (Go files translated)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        path = (self.root / template).resolve()
        if self.root.resolve() not in path.parents or not path.is_file():
            raise jinja2.TemplateNotFound(template)
        text = path.read_text(encoding="utf-8")
        if path.suffix != ".j2":
            parent = str(Path(template).parent)
            text = translate(text, name=template, include_dir="" if parent == "." else parent)
        return text, str(path), lambda: True


def _configured_uri(
    templates: CourierTemplates, template_type: TemplateType, part: str
) -> str | None:
    if template_type is TemplateType.STUB:
        return None
    name, _, validity = template_type.value.rpartition("_")
    pair = getattr(templates, name, None)
    variant = getattr(pair, validity, None) if pair is not None else None
    if variant is None:
        return None
    uri: str | None = None
    if part == "sms.body":
        sms = getattr(variant, "sms", None)
        if sms is not None and sms.body is not None:
            uri = sms.body.plaintext
    elif part == "email.subject":
        uri = variant.email.subject
    elif variant.email.body is not None:
        body = variant.email.body
        uri = body.html if part == "email.body" else body.plaintext
    return uri


class TemplateRenderer:
    """Renders the four message parts for every Kratos template type."""

    def __init__(
        self,
        config: CourierConfig | None = None,
        *,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        config = config or CourierConfig()
        self.templates = config.templates
        self.override_path = (
            Path(config.template_override_path) if config.template_override_path else None
        )
        self._http = http_client
        self._cache: dict[tuple[str, bool], jinja2.Template] = {}
        loader = _OverrideLoader(self.override_path) if self.override_path else None
        self._envs = {
            html: SandboxedEnvironment(
                autoescape=html,
                keep_trailing_newline=True,
                undefined=jinja2.ChainableUndefined,
                loader=loader,
            )
            for html in (False, True)
        }

    async def render_email(
        self, template_type: TemplateType, template_data: Mapping[str, Any]
    ) -> RenderedEmail:
        """Subject, plaintext and HTML body of an e-mail (``QueueEmail`` renders at queue time)."""
        context = render_context(MessageType.EMAIL, template_type, template_data)
        subject = await self._render(template_type, "email.subject", context)
        return RenderedEmail(
            subject=subject.strip(),
            body_plaintext=await self._render(template_type, "email.body.plaintext", context),
            body_html=await self._render(template_type, "email.body", context),
        )

    async def render_email_html(
        self, template_type: TemplateType, template_data: Mapping[str, Any]
    ) -> str:
        """The HTML body alone: what the SMTP channel re-renders at dispatch time."""
        context = render_context(MessageType.EMAIL, template_type, template_data)
        return await self._render(template_type, "email.body", context)

    async def render_sms(
        self, template_type: TemplateType, template_data: Mapping[str, Any]
    ) -> str:
        """The SMS text (``QueueSMS``)."""
        context = render_context(MessageType.SMS, template_type, template_data)
        return await self._render(template_type, "sms.body", context)

    async def _render(self, template_type: TemplateType, part: str, context: dict[str, Any]) -> str:
        template = await self._load(template_type, part, html=part in _PARTS_HTML)
        try:
            return template.render(context)
        except jinja2.TemplateError as exc:
            raise TemplateError(f"{template_type.directory}/{part}: {exc}") from exc

    async def _load(self, template_type: TemplateType, part: str, *, html: bool) -> jinja2.Template:
        uri = _configured_uri(self.templates, template_type, part)
        directory = template_type.directory
        if uri:
            key = f"uri:{uri}"
        elif self.override_path is not None and (
            (self.override_path / directory / f"{part}.gotmpl").is_file()
            or (self.override_path / directory / f"{part}.j2").is_file()
        ):
            key = f"file:{directory}/{part}"
        else:
            key = f"builtin:{directory}/{part}"
        cached = self._cache.get((key, html))
        if cached is not None:
            return cached
        template = self._compile(await self._source(key, uri, directory, part), html, key)
        self._cache[(key, html)] = template
        return template

    async def _source(self, key: str, uri: str | None, directory: str, part: str) -> str:
        try:
            if uri:
                text = (await load_url(uri, client=self._http)).decode("utf-8")
                return text if uri.endswith(".j2") else translate(text, name=uri)
            if key.startswith("file:") and self.override_path is not None:
                native = self.override_path / directory / f"{part}.j2"
                if native.is_file():
                    return native.read_text(encoding="utf-8")
                path = self.override_path / directory / f"{part}.gotmpl"
                return translate(
                    path.read_text(encoding="utf-8"), name=str(path), include_dir=directory
                )
            builtin = resources.files("phalanx.courier").joinpath(
                "templates", directory, f"{part}.j2"
            )
            if not builtin.is_file():
                raise TemplateError(f"no template {directory}/{part} (Kratos has no such template)")
            return builtin.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError, SourceError, UnsupportedTemplateError) as exc:
            raise TemplateError(f"{directory}/{part}: {exc}") from exc

    def _compile(self, source: str, html: bool, key: str) -> jinja2.Template:
        try:
            return self._envs[html].from_string(source)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(f"{key}: {exc}") from exc
