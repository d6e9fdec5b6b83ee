"""Run the REAL ``phalanx serve`` process for end-to-end tests.

The fixtures below are registered as a pytest plugin by ``tests/conftest.py``; use them from
any test module::

    @pytest.fixture(scope="module")
    def server(module_server_factory: ServerFactory) -> PhalanxServer:
        return module_server_factory.start()            # SQLite file, dev mode

    def test_something(server: PhalanxServer) -> None:
        r = httpx.get(f"{server.admin_url}/admin/identities")

    def test_other(server_factory: ServerFactory) -> None:
        srv = server_factory.start(
            config={"selfservice": {"flows": {"settings": {"privileged_session_max_age": "1m"}}}},
            env={"LOG_LEVEL": "debug"},
            database="postgres",                         # or "mysql": a fresh database
        )

What ``start`` does: picks two free loopback ports, writes a YAML config (``default_config``
deep-merged with ``config``; lists are replaced, not merged), creates a fresh PostgreSQL/MariaDB
database and runs ``phalanx migrate sql <dsn> --yes`` when asked, starts
``phalanx serve -c <file> --dev`` with configuration env vars stripped (plus ``env``), and
waits until both ``/health/ready`` answer 200. If the process dies or never gets ready the test
fails with the server's stderr. At teardown the process is terminated (then killed), its
databases dropped, and its stderr printed (pytest shows it for failing tests).
"""

from __future__ import annotations

import contextlib
import copy
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest
import yaml

from tests.support.databases import TempDatabase, create_database
from tests.support.env import clean_environ
from tests.support.paths import DATA

__all__ = [
    "BACKENDS",
    "COOKIE_SECRET",
    "DatabaseChoice",
    "PhalanxServer",
    "ServerFactory",
    "ServerStartError",
    "deep_merge",
    "default_config",
    "free_port",
    "module_server_factory",
    "phalanx_command",
    "server_factory",
]

DatabaseChoice = Literal["sqlite", "memory", "postgres", "mysql"]

#: Parametrize a (module-scoped) server fixture over the three databases; PostgreSQL and
#: MariaDB carry the ``db`` marker so ``-m "not db"`` runs SQLite only.
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.db),
    pytest.param("mysql", id="mariadb", marks=pytest.mark.db),
]

COOKIE_SECRET = "PLEASE-CHANGE-ME-I-AM-VERY-INSECURE"
CIPHER_SECRET = "32-LONG-SECRET-NOT-SECURE-AT-ALL"
#: generous: a start returns as soon as both ports answer; 30 s was outrun on a loaded
#: 2-core machine
READY_TIMEOUT = 90.0


class ServerStartError(RuntimeError):
    """``phalanx serve`` exited or did not become ready; the message holds its stderr."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def phalanx_command() -> list[str]:
    """How to run the ``phalanx`` CLI of this checkout (console script, else ``-m``)."""
    script = Path(sys.executable).with_name("phalanx")
    if script.exists():
        return [str(script)]
    found = shutil.which("phalanx")
    if found:
        return [found]
    return [sys.executable, "-m", "phalanx.cli.main"]


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` updated recursively with ``override`` (mappings merge, anything else replaces)."""
    out = copy.deepcopy(dict(base))
    for key, value in override.items():
        current = out.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            out[key] = deep_merge(current, value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def default_config(*, public_port: int, admin_port: int, dsn: str) -> dict[str, Any]:
    """A minimal valid Kratos config for tests: loopback ports, the test identity schemas
    (``default`` = email, ``customer`` = username; see ``tests/support/data``), fast bcrypt,
    fixed secrets and the password method enabled."""
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
                {"id": "customer", "url": (DATA / "identity.username.schema.json").as_uri()},
            ],
        },
        "selfservice": {
            "default_browser_return_url": f"{public}welcome",
            "methods": {"password": {"enabled": True}},
        },
        "secrets": {"cookie": [COOKIE_SECRET], "cipher": [CIPHER_SECRET]},
        "hashers": {"algorithm": "bcrypt", "bcrypt": {"cost": 4}},
        "log": {"level": "warning"},
        # Kratos-parity tests repeat sign-ins and sends far beyond the default budgets;
        # tests/e2e/test_limits*.py switch the limits on and test them.
        "phalanx": {"rate_limits": {"enabled": False}},
    }


@dataclass
class PhalanxServer:
    """A running ``phalanx serve``. URLs have no trailing slash: ``f"{admin_url}/admin/..."``."""

    public_url: str
    admin_url: str
    config_path: Path
    config: dict[str, Any]
    dsn: str
    process: subprocess.Popen[bytes]
    stderr_path: Path
    database: TempDatabase | None = None
    env: dict[str, str] = field(default_factory=dict)

    def logs(self) -> str:
        """Everything the process wrote to stderr so far."""
        try:
            return self.stderr_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """Terminate the process (SIGTERM, then SIGKILL after 10 s); idempotent."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def cli_env(self) -> dict[str, str]:
        """Environment for running CLI commands against this server (``KRATOS_ADMIN_URL``)."""
        return clean_environ({"KRATOS_ADMIN_URL": self.admin_url})


class ServerFactory:
    """Starts :class:`PhalanxServer` processes into a temp directory and stops them on close."""

    def __init__(self, tmp_dir: Path) -> None:
        self.tmp_dir = tmp_dir
        self.servers: list[PhalanxServer] = []
        self._databases: list[TempDatabase] = []

    def start(
        self,
        *,
        config: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
        database: DatabaseChoice = "sqlite",
        dev: bool = True,
        args: tuple[str, ...] = (),
        share_database_of: PhalanxServer | None = None,
    ) -> PhalanxServer:
        """Start a server and wait until it is ready (see the module docstring).
        ``share_database_of``: use that server's (migrated) database instead of a new one,
        as a second host of the same deployment."""
        index = len(self.servers)
        workdir = self.tmp_dir / f"server-{index}"
        workdir.mkdir(parents=True, exist_ok=True)
        db: TempDatabase | None = None
        if share_database_of is not None:
            dsn = share_database_of.dsn
            db = share_database_of.database
        elif database == "sqlite":
            dsn = f"sqlite://{workdir / 'db.sqlite'}?_fk=true"
        elif database == "memory":
            dsn = "memory"
        else:
            db = create_database(database)
            self._databases.append(db)
            dsn = db.dsn
            self._migrate(dsn, workdir)
        public_port, admin_port = free_port(), free_port()
        while admin_port == public_port:
            admin_port = free_port()
        merged = deep_merge(
            default_config(public_port=public_port, admin_port=admin_port, dsn=dsn), config or {}
        )
        config_path = workdir / "phalanx.yml"
        config_path.write_text(yaml.safe_dump(merged, sort_keys=False), encoding="utf-8")
        stderr_path = workdir / "stderr.log"
        process_env = clean_environ(env)
        command = [*phalanx_command(), "serve", "-c", str(config_path)]
        if dev:
            command.append("--dev")
        command.extend(args)
        with stderr_path.open("wb") as stderr:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
                env=process_env,
                cwd=workdir,
            )
        server = PhalanxServer(
            public_url=f"http://127.0.0.1:{merged['serve']['public']['port']}",
            admin_url=f"http://127.0.0.1:{merged['serve']['admin']['port']}",
            config_path=config_path,
            config=merged,
            dsn=dsn,
            process=process,
            stderr_path=stderr_path,
            database=db,
            env=process_env,
        )
        self.servers.append(server)
        self._wait_ready(server)
        return server

    def _migrate(self, dsn: str, workdir: Path) -> None:
        result = subprocess.run(
            [*phalanx_command(), "migrate", "sql", dsn, "--yes"],
            capture_output=True,
            env=clean_environ(),
            cwd=workdir,
            timeout=180,
            check=False,
        )
        if result.returncode != 0:
            raise ServerStartError(
                f"`phalanx migrate sql {dsn} --yes` failed ({result.returncode}):\n"
                + result.stdout.decode(errors="replace")
                + result.stderr.decode(errors="replace")
            )

    @staticmethod
    def _wait_ready(server: PhalanxServer) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        pending = [f"{server.public_url}/health/ready", f"{server.admin_url}/admin/health/ready"]
        last_error = ""
        with httpx.Client(timeout=2.0) as client:
            while pending:
                if server.process.poll() is not None:
                    raise ServerStartError(
                        f"phalanx serve exited with {server.process.returncode} before it was "
                        f"ready; config {server.config_path}\n--- stderr ---\n{server.logs()}"
                    )
                if time.monotonic() > deadline:
                    server.stop()
                    raise ServerStartError(
                        f"phalanx serve was not ready after {READY_TIMEOUT:.0f}s ({last_error}); "
                        f"config {server.config_path}\n--- stderr ---\n{server.logs()}"
                    )
                try:
                    response = client.get(pending[0])
                except httpx.TransportError as exc:
                    last_error = f"{pending[0]}: {type(exc).__name__}"
                else:
                    if response.status_code == 200:
                        pending.pop(0)
                        continue
                    last_error = f"{pending[0]}: {response.status_code} {response.text[:200]}"
                time.sleep(0.05)

    def close(self) -> None:
        """Stop every server, print their stderr, drop their databases."""
        for server in self.servers:
            server.stop()
            logs = server.logs().strip()
            if logs:
                print(f"--- phalanx serve stderr ({server.config_path}) ---\n{logs}")
        self.servers.clear()
        for db in self._databases:
            with contextlib.suppress(Exception):
                db.drop()
        self._databases.clear()


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[ServerFactory]:
    """Function-scoped factory: servers live for one test."""
    factory = ServerFactory(tmp_path)
    try:
        yield factory
    finally:
        factory.close()


@pytest.fixture(scope="module")
def module_server_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerFactory]:
    """Module-scoped factory: share one server across a test module (keeps e2e suites fast)."""
    factory = ServerFactory(tmp_path_factory.mktemp("phalanx"))
    try:
        yield factory
    finally:
        factory.close()
