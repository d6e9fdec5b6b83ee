"""Kratos DSNs translated for SQLAlchemy's async drivers.

Kratos (ory/pop) accepts ``memory``, ``sqlite://…``, ``postgres://…``,
``mysql://user:pw@tcp(host:3306)/db?…`` (the Go MySQL driver's DSN) and
``cockroach://…``, plus pool parameters shared by all of them (``max_conns``,
``max_idle_conns``, ``max_conn_lifetime``, ``max_conn_idle_time``). ``parse_dsn`` maps
these onto ``sqlite+aiosqlite``, ``postgresql+asyncpg`` and ``mysql+aiomysql`` URLs and
driver connect arguments; Go-driver-only parameters (``parseTime``, ``multiStatements``,
``_txlock``, …) are dropped.

SQLite foreign keys are always switched on unless the DSN says ``_fk=false``: Kratos's
schema relies on them and its docs require ``_fk=true``. An in-memory SQLite database
exists once per connection, so ``DatabaseURL.single_connection`` tells the engine to use
one shared connection (``StaticPool``).
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from sqlalchemy.engine import URL, make_url

from phalanx.config.duration import parse_duration
from phalanx.config.errors import ConfigError

__all__ = ["DatabaseURL", "Dialect", "parse_dsn"]

Dialect = Literal["sqlite", "postgres", "mysql", "cockroach"]

_POOL_PARAMS = ("max_conns", "max_idle_conns", "max_conn_lifetime", "max_conn_idle_time")
_SQLITE_PRAGMAS = {
    "_fk": "foreign_keys",
    "_foreign_keys": "foreign_keys",
    "_journal_mode": "journal_mode",
    "_journal": "journal_mode",
    "_busy_timeout": "busy_timeout",
    "_timeout": "busy_timeout",
    "_synchronous": "synchronous",
    "_sync": "synchronous",
}
_SQLITE_DROPPED = {"cache", "_txlock", "_loc", "_mutex", "_cache_size", "_query_only", "vfs"}
_MYSQL_DROPPED = {
    "parseTime", "multiStatements", "loc", "readTimeout", "writeTimeout",
    "interpolateParams", "allowNativePasswords", "allowCleartextPasswords",
    "allowOldPasswords", "clientFoundRows", "columnsWithAlias", "collation", "maxAllowedPacket",
    "rejectReadOnly", "checkConnLiveness", "sql_mode", "time_zone", "transaction_isolation",
    "tx_isolation",
}  # fmt: skip
_PG_SERVER_SETTINGS = {"application_name", "search_path", "statement_timeout", "timezone"}
_PG_DROPPED = {"sslsni", "binary_parameters", "fallback_application_name"}
_TRUE = {"1", "t", "true", "on", "yes"}


@dataclass(frozen=True, slots=True)
class DatabaseURL:
    """A parsed ``dsn``: what the persistence layer needs to build its engine.

    ``sqlalchemy_url`` is for ``create_async_engine`` (together with ``connect_args()``
    and the pool parameters); ``sync_url`` is a synchronous URL where an installed
    driver exists (SQLite, MySQL via PyMySQL) and ``None`` for PostgreSQL/CockroachDB,
    where Alembic should run on the async engine through ``run_sync``.
    """

    dialect: Dialect
    sqlalchemy_url: str = field(repr=False)
    sync_url: str | None = field(repr=False)
    is_memory: bool = False
    database: str = ""
    host: str | None = None
    port: int | None = None
    username: str | None = None
    max_conns: int | None = None
    max_idle_conns: int | None = None
    max_conn_lifetime: timedelta | None = None
    max_conn_idle_time: timedelta | None = None
    sqlite_pragmas: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)
    ignored_params: tuple[str, ...] = ()

    @property
    def single_connection(self) -> bool:
        """True for in-memory SQLite: use one shared connection (``StaticPool``)."""
        return self.is_memory

    @property
    def redacted(self) -> str:
        """``sqlalchemy_url`` with the password masked, for logs."""
        return make_url(self.sqlalchemy_url).render_as_string(hide_password=True)

    def connect_args(self) -> dict[str, Any]:
        """Keyword arguments for the async driver's ``connect`` (asyncpg / aiomysql).

        TLS contexts are built here, so certificate files are read at engine creation.
        """
        p = self.params
        args: dict[str, Any] = {}
        if self.dialect in ("postgres", "cockroach"):
            mode = p.get("sslmode")
            if any(k in p for k in ("sslrootcert", "sslcert", "sslkey")) and mode not in (
                None,
                "disable",
            ):
                args["ssl"] = _pg_ssl_context(mode or "prefer", p)
            elif mode:
                args["ssl"] = mode
            settings = {k: v for k, v in p.items() if k in _PG_SERVER_SETTINGS}
            if settings:
                args["server_settings"] = settings
            if "connect_timeout" in p:
                args["timeout"] = float(p["connect_timeout"])
            if "host" in p:
                args["host"] = p["host"]
        elif self.dialect == "mysql":
            if "charset" in p:
                args["charset"] = p["charset"]
            if "unix_socket" in p:
                args["unix_socket"] = p["unix_socket"]
            if "connect_timeout" in p:
                args["connect_timeout"] = float(p["connect_timeout"])
            tls = p.get("tls", "false").lower()
            if tls in ("true", "skip-verify", "preferred"):
                ctx = ssl.create_default_context()
                if tls != "true":
                    ctx.check_hostname = False
                    ctx.verify_mode = ssl.CERT_NONE
                args["ssl"] = ctx
        return args


def _pg_ssl_context(mode: str, p: Mapping[str, str]) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=p.get("sslrootcert"))
    if "sslcert" in p:
        ctx.load_cert_chain(p["sslcert"], p.get("sslkey"))
    if mode in ("prefer", "allow", "require"):
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE if "sslrootcert" not in p else ssl.CERT_REQUIRED
    elif mode == "verify-ca":
        ctx.check_hostname = False
    return ctx


def _fail(problem: str) -> ConfigError:
    return ConfigError("dsn", problem)


def _scheme_of(dsn: str) -> str:
    return dsn.split("://", 1)[0] if "://" in dsn else dsn


def _pool(query: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in _POOL_PARAMS:
        if key not in query:
            continue
        value = query.pop(key)
        if key.startswith("max_conn_"):
            try:
                out[key] = parse_duration(value)
            except ValueError as exc:
                raise _fail(f"{key}: {exc}") from None
        else:
            try:
                out[key] = int(value)
            except ValueError:
                raise _fail(f'{key}: expected an integer, got "{value}"') from None
            if out[key] < 0:
                raise _fail(f"{key}: must not be negative")
    return out


def parse_dsn(dsn: str) -> DatabaseURL:
    """Translate a Kratos ``dsn`` into a :class:`DatabaseURL`.

    Raises ``ConfigError("dsn", …)`` for anything Kratos would not accept; the message
    never contains the password.
    """
    text = dsn.strip()
    if not text:
        raise _fail("must not be empty")
    if text == "memory":
        return _sqlite("file::memory:", {})
    scheme = _scheme_of(text).lower()
    if "://" not in text:
        raise _fail(
            f'expected memory, sqlite://, postgres://, mysql:// or cockroach:// (got "{text[:20]}")'
        )
    rest = text.split("://", 1)[1]
    if scheme in ("sqlite", "sqlite3"):
        path, _, query = rest.partition("?")
        return _sqlite(path, dict(parse_qsl(query, keep_blank_values=True)))
    if scheme in ("postgres", "postgresql", "cockroach", "cockroachdb"):
        return _postgres(text, "cockroach" if scheme.startswith("cockroach") else "postgres")
    if scheme == "mysql":
        return _mysql(rest)
    raise _fail(
        f'unsupported database scheme "{scheme}" '
        "(expected memory, sqlite://, postgres://, mysql:// or cockroach://)"
    )


def _sqlite(path: str, query: dict[str, str]) -> DatabaseURL:
    pool = _pool(query)
    mode = query.pop("mode", "")
    pragmas: dict[str, str] = {"foreign_keys": "ON"}
    ignored: list[str] = []
    for key, value in list(query.items()):
        if key in _SQLITE_PRAGMAS:
            name = _SQLITE_PRAGMAS[key]
            if name == "foreign_keys":
                value = "ON" if value.lower() in _TRUE else "OFF"
            pragmas[name] = value
        elif key not in _SQLITE_DROPPED:
            ignored.append(key)
    if path.startswith("file://"):
        path = path[len("file://") :]
    elif path.startswith("file:"):
        path = path[len("file:") :]
    path = unquote(path)
    is_memory = mode == "memory" or path in ("", ":memory:") or path.startswith(":memory:")
    if not path and mode != "memory":
        raise _fail("missing SQLite file path (e.g. sqlite:///var/lib/phalanx/db.sqlite?_fk=true)")
    if is_memory:
        return DatabaseURL(
            dialect="sqlite",
            sqlalchemy_url="sqlite+aiosqlite://",
            sync_url="sqlite://",
            is_memory=True,
            database=":memory:",
            sqlite_pragmas=pragmas,
            ignored_params=tuple(ignored),
            **pool,
        )
    abs_path = os.path.abspath(path)
    if mode in ("ro", "rw"):
        url = f"sqlite+aiosqlite:///file:{abs_path}?mode={mode}&uri=true"
        sync = f"sqlite:///file:{abs_path}?mode={mode}&uri=true"
    elif mode in ("", "rwc"):
        url, sync = f"sqlite+aiosqlite:///{abs_path}", f"sqlite:///{abs_path}"
    else:
        raise _fail(f'unsupported SQLite mode "{mode}" (expected ro, rw, rwc or memory)')
    return DatabaseURL(
        dialect="sqlite",
        sqlalchemy_url=url,
        sync_url=sync,
        database=abs_path,
        sqlite_pragmas=pragmas,
        ignored_params=tuple(ignored),
        **pool,
    )


def _postgres(text: str, dialect: Dialect) -> DatabaseURL:
    try:
        parts = urlsplit(text)
        port = parts.port
        host = parts.hostname
    except ValueError as exc:
        raise _fail(f"invalid {dialect} URL: {exc}") from None
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    pool = _pool(query)
    database = unquote(parts.path.lstrip("/"))
    if not database:
        raise _fail(f"missing database name (e.g. {dialect}://user:pw@host:5432/db)")
    if not host and "host" not in query:
        raise _fail(f"missing host (e.g. {dialect}://user:pw@host:5432/db)")
    if dialect == "cockroach" and port is None:
        port = 26257
    params: dict[str, str] = {}
    ignored: list[str] = []
    for key, value in query.items():
        if (
            key in ("sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout", "host")
            or key in _PG_SERVER_SETTINGS
        ):
            params[key] = value
        elif key not in _PG_DROPPED:
            ignored.append(key)
    if params.get("sslmode") not in (
        None, "disable", "allow", "prefer", "require", "verify-ca", "verify-full",
    ):  # fmt: skip
        raise _fail(
            f'unsupported sslmode "{params["sslmode"]}" '
            "(expected disable, allow, prefer, require, verify-ca or verify-full)"
        )
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    url = URL.create(
        "postgresql+asyncpg",
        username=username,
        password=password,
        host=host,
        port=port,
        database=database,
    )
    return DatabaseURL(
        dialect=dialect,
        sqlalchemy_url=url.render_as_string(hide_password=False),
        sync_url=None,
        database=database,
        host=host,
        port=port,
        username=username,
        params=params,
        ignored_params=tuple(ignored),
        **pool,
    )


def _mysql(rest: str) -> DatabaseURL:
    # Go driver DSN: [user[:password]@][net[(addr)]]/dbname[?param=value&...]
    slash = rest.rfind("/")
    if slash < 0:
        raise _fail("missing database name (e.g. mysql://user:pw@tcp(host:3306)/db)")
    left, right = rest[:slash], rest[slash + 1 :]
    database, _, qs = right.partition("?")
    if not database:
        raise _fail("missing database name (e.g. mysql://user:pw@tcp(host:3306)/db)")
    at = left.rfind("@")
    creds, addr = (left[:at], left[at + 1 :]) if at >= 0 else ("", left)
    username, _, password = creds.partition(":")
    query = dict(parse_qsl(qs, keep_blank_values=True))
    pool = _pool(query)
    host: str | None = None
    port: int | None = None
    params: dict[str, str] = {}
    if addr.startswith("unix(") and addr.endswith(")"):
        params["unix_socket"] = addr[5:-1]
    else:
        if "(" in addr:
            net, _, inner = addr.partition("(")
            if not inner.endswith(")") or net not in ("tcp", "tcp6"):
                raise _fail(f'invalid MySQL address "{addr}" (expected tcp(host:port))')
            addr = inner[:-1]
        host, port = _host_port(addr or "127.0.0.1:3306", 3306)
    ignored: list[str] = []
    for key, value in query.items():
        if key == "charset":
            params["charset"] = value.split(",")[0]
        elif key == "tls":
            params["tls"] = value
        elif key == "timeout":
            try:
                params["connect_timeout"] = str(parse_duration(value).total_seconds())
            except ValueError as exc:
                raise _fail(f"timeout: {exc}") from None
        elif key not in _MYSQL_DROPPED:
            ignored.append(key)
    # The Go driver takes user and password verbatim ("escaping is not necessary").
    url = URL.create(
        "mysql+aiomysql",
        username=username or None,
        password=password or None,
        host=host,
        port=port,
        database=unquote(database),
    )
    return DatabaseURL(
        dialect="mysql",
        sqlalchemy_url=url.render_as_string(hide_password=False),
        sync_url=url.set(drivername="mysql+pymysql").render_as_string(hide_password=False),
        database=unquote(database),
        host=host,
        port=port,
        username=username or None,
        params=params,
        ignored_params=tuple(ignored),
        **pool,
    )


def _host_port(addr: str, default_port: int) -> tuple[str, int]:
    if addr.startswith("["):
        host, _, tail = addr[1:].partition("]")
        port_text = tail[1:] if tail.startswith(":") else ""
    elif addr.count(":") == 1:
        host, _, port_text = addr.partition(":")
    else:
        host, port_text = addr, ""
    if not port_text:
        return host, default_port
    try:
        port = int(port_text)
    except ValueError:
        raise _fail(f'invalid port "{port_text}"') from None
    if not 0 < port < 65536:
        raise _fail(f"invalid port {port}")
    return host, port
