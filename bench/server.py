"""Start real ``phalanx serve`` processes for the benchmarks.

:class:`ServerPool` owns everything it starts: a work directory per server, throw-away
PostgreSQL/MariaDB databases (created, migrated with ``phalanx migrate sql <dsn> --yes``,
dropped at the end), and the server processes (each in its own process group, so a
``--workers N`` supervisor and its children stop together).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
import yaml

__all__ = [
    "BACKENDS",
    "Backend",
    "Server",
    "ServerPool",
    "ServerStartError",
    "phalanx_command",
    "process_tree_cpu",
    "supports_workers",
]

Backend = Literal["sqlite", "postgres", "mysql"]
BACKENDS: tuple[Backend, ...] = ("sqlite", "postgres", "mysql")

DATA = Path(__file__).with_name("data")
PG_HOST, PG_PORT = "127.0.0.1", 5432
MYSQL_HOST, MYSQL_PORT = "127.0.0.1", 3306
READY_TIMEOUT = 60.0
_CONFIG_ENV_PREFIXES = (
    "DSN",
    "SERVE_",
    "SELFSERVICE_",
    "KRATOS_",
    "PHALANX_",
    "IDENTITY_",
    "SECRETS_",
    "COURIER_",
    "HASHERS_",
    "SESSION_",
    "COOKIES_",
    "LOG_",
)


class ServerStartError(RuntimeError):
    """``phalanx serve`` (or ``migrate sql``) failed; the message carries its output."""


def phalanx_command() -> list[str]:
    """The ``phalanx`` console script next to this interpreter, else ``python -m``."""
    script = Path(sys.executable).with_name("phalanx")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "phalanx.cli.main"]


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """``os.environ`` without Kratos/Phalanx configuration variables (they would leak in)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_CONFIG_ENV_PREFIXES)}
    env.update(extra or {})
    return env


def supports_workers() -> bool:
    """Whether this checkout's ``phalanx serve`` has a ``--workers`` option."""
    result = subprocess.run(
        [*phalanx_command(), "serve", "--help"],
        capture_output=True,
        text=True,
        env=clean_env(),
        check=False,
        timeout=60,
    )
    return "--workers" in result.stdout


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        current = out.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            out[key] = deep_merge(current, value)
        else:
            out[key] = value
    return out


#: ``log.level`` of benchmark servers (``--log-level``; ``info`` writes the access log).
LOG_LEVEL = "error"


def base_config(*, dsn: str, public_port: int, admin_port: int, bcrypt_cost: int) -> dict[str, Any]:
    """A Kratos config for benchmarks: loopback ports, one e-mail schema, the password
    method without the HIBP lookup, a session on API registration, verification off (no
    courier work per registration), quiet logs."""
    public = f"http://127.0.0.1:{public_port}/"
    return {
        "dsn": dsn,
        "serve": {
            "public": {"host": "127.0.0.1", "port": public_port, "base_url": public},
            "admin": {
                "host": "127.0.0.1",
                "port": admin_port,
                "base_url": f"http://127.0.0.1:{admin_port}/",
            },
        },
        "identity": {
            "default_schema_id": "default",
            "schemas": [
                {"id": "default", "url": (DATA / "identity.email.schema.json").as_uri()},
            ],
        },
        "selfservice": {
            "default_browser_return_url": f"{public}welcome",
            "methods": {
                "password": {"enabled": True, "config": {"haveibeenpwned_enabled": False}},
            },
            "flows": {
                "registration": {"after": {"password": {"hooks": [{"hook": "session"}]}}},
                "verification": {"enabled": False},
            },
        },
        "secrets": {
            "cookie": ["BENCH-COOKIE-SECRET-NOT-SECURE-AT-ALL"],
            "cipher": ["32-LONG-SECRET-NOT-SECURE-AT-ALL"],
        },
        "hashers": {"algorithm": "bcrypt", "bcrypt": {"cost": bcrypt_cost}},
        "log": {"level": LOG_LEVEL},
        # Rate limits would refuse the benchmarks' repeated logins of the same users; the
        # ``limits`` benchmark measures their cost against this baseline.
        "phalanx": {"rate_limits": {"enabled": False}},
    }


@dataclass
class Database:
    """A database on a backend; PostgreSQL and MariaDB ones are created for the run."""

    backend: Backend
    dsn: str
    name: str = ""

    def drop(self) -> None:
        if self.backend == "postgres":
            asyncio.run(_pg_execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        elif self.backend == "mysql":
            _mysql_execute(f"DROP DATABASE IF EXISTS `{self.name}`")


async def _pg_execute(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(
        host=PG_HOST, port=PG_PORT, user="postgres", database="postgres", timeout=10
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _mysql_execute(sql: str) -> None:
    import pymysql

    conn = pymysql.connect(host=MYSQL_HOST, port=MYSQL_PORT, user="root", password="")
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
        conn.commit()
    finally:
        conn.close()


def backend_available(backend: Backend) -> str | None:
    """None when ``backend`` is reachable, else why not (SQLite always is)."""
    try:
        if backend == "postgres":
            asyncio.run(_pg_execute("SELECT 1"))
        elif backend == "mysql":
            _mysql_execute("SELECT 1")
    except Exception as exc:  # any driver/socket error: report and skip the backend
        return f"{type(exc).__name__}: {exc}".splitlines()[0]
    return None


@dataclass
class Server:
    """A running ``phalanx serve``; URLs have no trailing slash."""

    public_url: str
    admin_url: str
    workers: int
    process: subprocess.Popen[bytes]
    log_path: Path
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def public_addr(self) -> tuple[str, int]:
        return _addr(self.public_url)

    @property
    def admin_addr(self) -> tuple[str, int]:
        return _addr(self.admin_url)

    def cpu_seconds(self) -> float:
        """User + system CPU time used so far by the server and its worker processes."""
        return process_tree_cpu(self.process.pid)

    def logs(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self) -> None:
        """SIGTERM the process group, SIGKILL it after 10 s; idempotent."""
        if self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces; everything after its ")" is positional.
    return raw[raw.rindex(")") + 2 :].split()


def process_tree_cpu(pid: int) -> float:
    """CPU seconds (utime + stime) of ``pid`` and its direct children, from ``/proc``.

    Returns NaN where ``/proc`` is missing (not Linux).
    """
    if not Path("/proc/self/stat").exists():
        return float("nan")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat(int(entry.name))
        # After the name: state(0) ppid(1) ... utime(11) stime(12)
        if fields is None or (int(entry.name) != pid and fields[1] != str(pid)):
            continue
        total += int(fields[11]) + int(fields[12])
    return total / _TICKS


def _addr(url: str) -> tuple[str, int]:
    host, _, port = url.removeprefix("http://").partition(":")
    return host, int(port)


class ServerPool:
    """Creates databases and servers under ``workdir``; :meth:`close` undoes everything."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.servers: list[Server] = []
        self.databases: list[Database] = []

    def database(self, backend: Backend) -> Database:
        """A fresh, migrated database on ``backend``."""
        name = f"phalanx_bench_{secrets.token_hex(4)}"
        if backend == "sqlite":
            path = self.workdir / f"{name}.sqlite"
            db = Database(backend, f"sqlite://{path}?_fk=true", name)
        elif backend == "postgres":
            asyncio.run(_pg_execute(f'CREATE DATABASE "{name}"'))
            db = Database(
                backend, f"postgres://postgres@{PG_HOST}:{PG_PORT}/{name}?sslmode=disable", name
            )
        else:
            _mysql_execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
            db = Database(
                backend,
                f"mysql://root@tcp({MYSQL_HOST}:{MYSQL_PORT})/{name}?parseTime=true",
                name,
            )
        self.databases.append(db)
        result = subprocess.run(
            [*phalanx_command(), "migrate", "sql", db.dsn, "--yes"],
            capture_output=True,
            env=clean_env(),
            cwd=self.workdir,
            timeout=300,
            check=False,
        )
        if result.returncode != 0:
            raise ServerStartError(
                f"phalanx migrate sql {db.dsn} --yes failed:\n"
                + result.stdout.decode(errors="replace")
                + result.stderr.decode(errors="replace")
            )
        return db

    def start(
        self,
        db: Database,
        *,
        bcrypt_cost: int,
        workers: int | None = None,
        config: Mapping[str, Any] | None = None,
    ) -> Server:
        """``phalanx serve -c <generated config> --dev [--workers N]``, waited until ready.

        ``workers=None`` passes no ``--workers`` (the server's default: one process).
        """
        index = len(self.servers)
        public_port, admin_port = free_port(), free_port()
        while admin_port == public_port:
            admin_port = free_port()
        merged = deep_merge(
            base_config(
                dsn=db.dsn,
                public_port=public_port,
                admin_port=admin_port,
                bcrypt_cost=bcrypt_cost,
            ),
            config or {},
        )
        config_path = self.workdir / f"server-{index}.yml"
        config_path.write_text(yaml.safe_dump(merged, sort_keys=False), encoding="utf-8")
        log_path = self.workdir / f"server-{index}.log"
        command = [*phalanx_command(), "serve", "-c", str(config_path), "--dev"]
        if workers is not None:
            command += ["--workers", str(workers)]
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                env=clean_env(),
                cwd=self.workdir,
                start_new_session=True,
            )
        server = Server(
            public_url=f"http://127.0.0.1:{public_port}",
            admin_url=f"http://127.0.0.1:{admin_port}",
            workers=workers or 1,
            process=process,
            log_path=log_path,
            config=merged,
        )
        self.servers.append(server)
        _wait_ready(server)
        return server

    def close(self) -> None:
        for server in self.servers:
            server.stop()
        self.servers.clear()
        for db in self.databases:
            with contextlib.suppress(Exception):
                db.drop()
        self.databases.clear()


def _wait_ready(server: Server) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    pending = [f"{server.public_url}/health/ready", f"{server.admin_url}/admin/health/ready"]
    with httpx.Client(timeout=2.0) as client:
        while pending:
            if server.process.poll() is not None:
                raise ServerStartError(
                    f"phalanx serve exited with {server.process.returncode}:\n{server.logs()}"
                )
            if time.monotonic() > deadline:
                server.stop()
                raise ServerStartError(f"phalanx serve was not ready in time:\n{server.logs()}")
            try:
                if client.get(pending[0]).status_code == 200:
                    pending.pop(0)
                    continue
            except httpx.TransportError:
                pass
            time.sleep(0.05)
