"""``phalanx identities import|list|get|delete``: the Kratos identity CLI over the admin API.

Kratos's spellings work too: ``phalanx import identities``, ``phalanx list identities``
(``ls``), ``phalanx get identity``, ``phalanx delete identity``.

The admin endpoint comes from ``-e/--endpoint`` or ``KRATOS_ADMIN_URL``. Output is a table
by default (``--format table|json|json-pretty|yaml|quiet``), shaped like Kratos's
``cmd/identities``: one result prints as ``KEY<TAB>VALUE`` lines, several as a table with the
columns ID, VERIFIED ADDRESSES, RECOVERY ADDRESSES, SCHEMA ID, SCHEMA URL. Every failure is
one line on stderr (``error: 404 Not Found: Unable to locate the resource``) and a non-zero
exit status.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import click
import httpx

__all__ = [
    "ENDPOINT_ENV",
    "AdminClient",
    "ApiError",
    "delete_identity",
    "get_identity",
    "identities",
    "import_identities",
    "list_identities",
    "register",
]

ENDPOINT_ENV = "KRATOS_ADMIN_URL"
FORMATS = ("table", "json", "json-pretty", "yaml", "quiet")
_HEADER = ("ID", "VERIFIED ADDRESSES", "RECOVERY ADDRESSES", "SCHEMA ID", "SCHEMA URL")
_NONE = "<none>"


class ApiError(Exception):
    """One failed call, already phrased as the single line to print."""


class AdminClient:
    """A small synchronous client of the identity admin API."""

    def __init__(self, endpoint: str, *, timeout: float = 30.0) -> None:
        base = endpoint.rstrip("/")
        if base.endswith("/admin"):
            base = base[: -len("/admin")]
        self.base = base
        self._http = httpx.Client(base_url=base, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> AdminClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.ConnectError as exc:
            raise ApiError(f"could not connect to {self.base}: {_first_line(exc)}") from exc
        except httpx.TimeoutException as exc:
            raise ApiError(f"request to {self.base} timed out") from exc
        except httpx.HTTPError as exc:
            raise ApiError(f"request to {self.base} failed: {_first_line(exc)}") from exc
        if response.status_code >= 400:
            raise ApiError(_describe_error(response))
        return response

    def create(self, body: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", "/admin/identities", json=body).json()
        return result

    def get(self, identity_id: str, include_credential: Sequence[str] = ()) -> dict[str, Any]:
        params = [("include_credential", c) for c in include_credential]
        path = f"/admin/identities/{quote(identity_id, safe='')}"
        result: dict[str, Any] = self._call("GET", path, params=params).json()
        return result

    def delete(self, identity_id: str) -> None:
        self._call("DELETE", f"/admin/identities/{quote(identity_id, safe='')}")

    def list(self, *, page_size: int, page_token: str = "") -> tuple[list[dict[str, Any]], str]:
        params: dict[str, str | int] = {"page_size": page_size}
        if page_token:
            params["page_token"] = page_token
        response = self._call("GET", "/admin/identities", params=params)
        return response.json(), _next_token(response)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def _describe_error(response: httpx.Response) -> str:
    status = f"{response.status_code} {response.reason_phrase}".strip()
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        text = str(error.get("reason") or error.get("message") or "")
        return f"{status}: {text}".replace("\n", " ") if text else status
    snippet = response.text.strip().replace("\n", " ")[:200]
    return f"{status}: {snippet}" if snippet else status


def _next_token(response: httpx.Response) -> str:
    for part in response.headers.get("link", "").split(","):
        if 'rel="next"' not in part or "<" not in part:
            continue
        url = part[part.index("<") + 1 : part.index(">")]
        tokens: list[str] = parse_qs(urlsplit(url).query).get("page_token", [])
        if tokens:
            return tokens[0]
    return ""


# --- output ------------------------------------------------------------------------------


def _columns(identity: dict[str, Any]) -> list[str]:
    verified = [a.get("value", "") for a in identity.get("verifiable_addresses") or []]
    recovery = [a.get("value", "") for a in identity.get("recovery_addresses") or []]
    return [
        str(identity.get("id", "")),
        ", ".join(v for v in verified if v) or _NONE,
        ", ".join(v for v in recovery if v) or _NONE,
        str(identity.get("schema_id") or _NONE),
        str(identity.get("schema_url") or _NONE),
    ]


def _tabulate(rows: Sequence[Sequence[str]]) -> str:
    """Go ``tabwriter`` with tab padding (minwidth 0, tabwidth 8, padding 1), as cmdx uses."""
    widths: dict[int, int] = {}
    for row in rows:
        for index, cell in enumerate(row[:-1]):
            widths[index] = max(widths.get(index, 0), len(cell) + 1)
    lines = []
    for row in rows:
        out = ""
        for index, cell in enumerate(row):
            if index == len(row) - 1:
                out += cell
                break
            width = -(-widths[index] // 8) * 8
            out += cell + "\t" * max(1, -(-(width - len(cell)) // 8))
        lines.append(out.rstrip("\t"))
    return "\n".join(lines)


def _dump(value: Any, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(value, separators=(",", ":"))
    if fmt == "yaml":
        import yaml

        return yaml.safe_dump(value, sort_keys=False).rstrip("\n")
    return json.dumps(value, indent=2)


def _print_one(identity: dict[str, Any], fmt: str) -> None:
    if fmt == "table":
        click.echo(_tabulate([[h, c] for h, c in zip(_HEADER, _columns(identity), strict=True)]))
    elif fmt == "quiet":
        click.echo(identity.get("id", ""))
    else:
        click.echo(_dump(identity, fmt))


def _print_many(
    items: Sequence[dict[str, Any]], fmt: str, *, next_token: str | None = None
) -> None:
    if fmt == "table":
        rows: list[list[str]] = [list(_HEADER), *(_columns(i) for i in items)]
        if next_token is not None:
            rows.extend([[""], ["NEXT PAGE TOKEN", next_token]])
        click.echo(_tabulate(rows))
    elif fmt == "quiet":
        for item in items:
            click.echo(item.get("id", ""))
    elif next_token is not None:
        click.echo(_dump({"identities": list(items), "next_page_token": next_token}, fmt))
    else:
        click.echo(_dump(list(items), fmt))


def _print_errors(errors: Sequence[str]) -> None:
    for line in errors:
        click.echo(f"error: {line}", err=True)


# --- commands ----------------------------------------------------------------------------


def _client(endpoint: str | None) -> AdminClient:
    url = endpoint or os.environ.get(ENDPOINT_ENV, "")
    if not url:
        click.echo(f"error: no admin endpoint: pass -e/--endpoint or set {ENDPOINT_ENV}", err=True)
        sys.exit(1)
    if "://" not in url:
        click.echo(f'error: could not parse the endpoint URL "{url}"', err=True)
        sys.exit(1)
    return AdminClient(url)


_Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def _common(fn: Callable[..., Any]) -> Callable[..., Any]:
    decorators: list[_Decorator] = [
        click.option(
            "-e",
            "--endpoint",
            default=None,
            help=f"URL of the admin API. Alternatively set {ENDPOINT_ENV}.",
        ),
        click.option(
            "--format",
            "fmt",
            type=click.Choice(FORMATS),
            default="table",
            show_default=True,
            help="Output format.",
        ),
    ]
    for decorator in decorators:
        fn = decorator(fn)
    return fn


def _read_sources(files: Sequence[str]) -> list[tuple[str, Any]]:
    """``(source label, identity JSON)`` per identity in the files (``-`` or none: stdin)."""
    sources = list(files) or ["-"]
    out: list[tuple[str, Any]] = []
    for name in sources:
        label = "STD_IN" if name == "-" else name
        try:
            if name == "-":
                raw = sys.stdin.read()
            else:
                with open(name, encoding="utf-8") as fh:
                    raw = fh.read()
        except OSError as exc:
            raise ApiError(f"{label}: Could not open identity file: {exc.strerror or exc}") from exc
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise ApiError(f"{label}: Could not parse identity: {exc}") from exc
        items = data if isinstance(data, list) else [data]
        out.extend((f"{label}[{index}]", item) for index, item in enumerate(items))
    return out


@click.command("import")
@click.argument("files", nargs=-1, type=click.Path(allow_dash=True))
@_common
def import_identities(files: tuple[str, ...], endpoint: str | None, fmt: str) -> None:
    """Import identities from JSON files (one identity or a list each), or stdin (``-``)."""
    try:
        sources = _read_sources(files)
    except ApiError as exc:
        _print_errors([str(exc)])
        sys.exit(1)
    imported: list[dict[str, Any]] = []
    errors: list[str] = []
    with _client(endpoint) as client:
        for label, body in sources:
            try:
                imported.append(client.create(body))
            except ApiError as exc:
                errors.append(f"{exc} ({label})")
    if len(imported) == 1:
        _print_one(imported[0], fmt)
    elif imported:
        _print_many(imported, fmt)
    _print_errors(errors)
    if errors:
        sys.exit(1)


@click.command("list")
@click.option("--page-size", type=click.IntRange(1, 1000), default=250, show_default=True)
@click.option("--page-token", default="", help="Token of the page to fetch (from a previous list).")
@click.option("--consistency", default="eventual", hidden=True)
@_common
def list_identities(
    page_size: int, page_token: str, consistency: str, endpoint: str | None, fmt: str
) -> None:
    """List identities, one page at a time."""
    with _client(endpoint) as client:
        try:
            items, next_token = client.list(page_size=page_size, page_token=page_token)
        except ApiError as exc:
            _print_errors([str(exc)])
            sys.exit(1)
    _print_many(items, fmt, next_token=next_token)


@click.command("get")
@click.argument("ids", nargs=-1, required=True)
@click.option(
    "-i",
    "--include-credentials",
    "include",
    multiple=True,
    type=click.Choice(["oidc", "password", "saml", "totp", "lookup_secret", "webauthn", "passkey"]),
    help="Include the config of these credential types.",
)
@_common
def get_identity(
    ids: tuple[str, ...], include: tuple[str, ...], endpoint: str | None, fmt: str
) -> None:
    """Get one or more identities by their IDs."""
    found: list[dict[str, Any]] = []
    errors: list[str] = []
    with _client(endpoint) as client:
        for identity_id in ids:
            try:
                found.append(client.get(identity_id, include))
            except ApiError as exc:
                errors.append(f"{exc} ({identity_id})")
    if len(found) == 1:
        _print_one(found[0], fmt)
    elif found:
        _print_many(found, fmt)
    _print_errors(errors)
    if errors:
        sys.exit(1)


@click.command("delete")
@click.argument("ids", nargs=-1, required=True)
@_common
def delete_identity(ids: tuple[str, ...], endpoint: str | None, fmt: str) -> None:
    """Delete one or more identities by their IDs."""
    deleted: list[str] = []
    errors: list[str] = []
    with _client(endpoint) as client:
        for identity_id in ids:
            try:
                client.delete(identity_id)
            except ApiError as exc:
                errors.append(f"{exc} ({identity_id})")
            else:
                deleted.append(identity_id)
    if fmt == "table":
        if len(deleted) == 1:
            click.echo(_tabulate([["ID", deleted[0]]]))
        elif deleted:
            click.echo(_tabulate([["ID"], *([d] for d in deleted)]))
    elif fmt == "quiet":
        for d in deleted:
            click.echo(d)
    elif deleted:
        click.echo(_dump(deleted[0] if len(deleted) == 1 else deleted, fmt))
    _print_errors(errors)
    if errors:
        sys.exit(1)


@click.group("identities")
def identities() -> None:
    """Manage identities through the admin API (import, list, get, delete)."""


identities.add_command(import_identities, "import")
identities.add_command(list_identities, "list")
identities.add_command(list_identities, "ls")
identities.add_command(get_identity, "get")
identities.add_command(delete_identity, "delete")


def _group(cli: click.Group, name: str, help_text: str) -> click.Group:
    existing = cli.commands.get(name)
    if isinstance(existing, click.Group):
        return existing
    group = click.Group(name, help=help_text)
    cli.add_command(group)
    return group


def register(cli: click.Group) -> None:
    """Add ``identities`` and Kratos's ``import|list|get|delete identity(ies)`` spellings.

    The verb groups are shared: if another module registered ``get`` (say) already, the
    ``identity`` subcommand is added to it.
    """
    cli.add_command(identities)
    _group(cli, "import", "Import resources.").add_command(import_identities, "identities")
    listing = _group(cli, "list", "List resources.")
    listing.add_command(list_identities, "identities")
    if "ls" not in cli.commands:
        cli.add_command(listing, "ls")
    _group(cli, "get", "Get resources.").add_command(get_identity, "identity")
    _group(cli, "delete", "Delete resources.").add_command(delete_identity, "identity")
