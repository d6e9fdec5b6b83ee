"""``phalanx serve`` as a real subprocess: config errors, env overrides, file formats,
not-yet-supported keys, schema checks, ``--workers`` and the built-in default config.

Independent processes are started together and awaited afterwards, so the module costs
about as much as its slowest start-up, not the sum of them.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from phalanx.config import load_config
from phalanx.http.routes import metadata
from tests.support.api import SpecClient
from tests.support.databases import create_database
from tests.support.env import clean_environ
from tests.support.identities import unique_email
from tests.support.server import (
    COOKIE_SECRET,
    deep_merge,
    default_config,
    free_port,
    phalanx_command,
)

pytestmark = pytest.mark.e2e

PASSWORD = "Tr0ub4dor&3-horse-battery"
NO_HIBP = {"selfservice": {"methods": {"password": {"config": {"haveibeenpwned_enabled": False}}}}}


def ports() -> tuple[int, int]:
    public = free_port()
    admin = free_port()
    while admin == public:
        admin = free_port()
    return public, admin


def base_config(public: int, admin: int, dsn: str = "memory", **extra: Any) -> dict[str, Any]:
    """The e2e default config (loopback ports, test schemas, bcrypt 4) + ``extra``."""
    config = deep_merge(default_config(public_port=public, admin_port=admin, dsn=dsn), NO_HIBP)
    return deep_merge(config, extra)


@dataclass
class Serve:
    """One ``phalanx serve`` process started by :class:`Launcher`."""

    process: subprocess.Popen[bytes]
    stderr_path: Path
    public_port: int | None = None
    admin_port: int | None = None
    env: dict[str, str] = field(default_factory=dict)

    @property
    def public_url(self) -> str:
        return f"http://127.0.0.1:{self.public_port}"

    @property
    def admin_url(self) -> str:
        return f"http://127.0.0.1:{self.admin_port}"

    def logs(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def exited(self, timeout: float = 90.0) -> tuple[int, str]:
        """Wait for the process to end by itself: ``(returncode, stderr)``."""
        code = self.process.wait(timeout=timeout)
        return code, self.logs()

    def ready(self, timeout: float = 90.0) -> Serve:
        """Wait until both ``/health/ready`` answer 200 (fails with the stderr otherwise)."""
        pending = [f"{self.public_url}/health/ready", f"{self.admin_url}/admin/health/ready"]
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2.0) as client:
            while pending:
                if self.process.poll() is not None:
                    pytest.fail(f"serve exited with {self.process.returncode}:\n{self.logs()}")
                if time.monotonic() > deadline:
                    pytest.fail(f"serve not ready after {timeout}s:\n{self.logs()}")
                try:
                    if client.get(pending[0]).status_code == 200:
                        pending.pop(0)
                        continue
                except httpx.TransportError:
                    pass
                time.sleep(0.05)
        return self

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return self.process.returncode


class Launcher:
    """Starts ``phalanx serve`` processes in a temp directory; stops them at teardown."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.runs: list[Serve] = []

    def write(self, name: str, content: Mapping[str, Any] | str) -> Path:
        path = self.tmp / name
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        elif path.suffix == ".json":
            path.write_text(json.dumps(content), encoding="utf-8")
        else:
            path.write_text(yaml.safe_dump(dict(content), sort_keys=False), encoding="utf-8")
        return path

    def spawn(
        self,
        args: Sequence[str | Path],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        public_port: int | None = None,
        admin_port: int | None = None,
    ) -> Serve:
        index = len(self.runs)
        stderr_path = self.tmp / f"serve-{index}.log"
        process_env = clean_environ(env)
        with stderr_path.open("wb") as stderr:
            process = subprocess.Popen(
                [*phalanx_command(), "serve", *map(str, args)],
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
                env=process_env,
                cwd=cwd or self.tmp,
            )
        run = Serve(process, stderr_path, public_port, admin_port, process_env)
        self.runs.append(run)
        return run

    def serve(
        self, config: Mapping[str, Any], *extra: str, name: str | None = None, **kwargs: Any
    ) -> Serve:
        """Write ``config`` to a YAML file and start ``serve -c <file> *extra``."""
        path = self.write(name or f"config-{len(self.runs)}.yml", config)
        serve = config.get("serve", {})
        return self.spawn(
            ["-c", path, *extra],
            public_port=serve.get("public", {}).get("port"),
            admin_port=serve.get("admin", {}).get("port"),
            **kwargs,
        )

    def close(self) -> None:
        for run in self.runs:
            run.stop()


@pytest.fixture
def launcher(tmp_path: Path) -> Iterator[Launcher]:
    launch = Launcher(tmp_path)
    try:
        yield launch
    finally:
        launch.close()


def register(public_url: str, traits: Mapping[str, Any]) -> dict[str, Any]:
    """Native registration with a password; returns the success body."""
    with SpecClient(public_url) as api:
        flow = api.get("/self-service/registration/api").json()
        r = api.post(
            f"/self-service/registration?flow={flow['id']}",
            json={"method": "password", "password": PASSWORD, "traits": dict(traits)},
        )
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body


def schema_ids(public_url: str) -> list[str]:
    with SpecClient(public_url) as api:
        return [item["id"] for item in api.get("/schemas").json()]


def config_hash(admin_url: str) -> str:
    r = httpx.get(f"{admin_url}/admin/health/config", timeout=10)
    assert r.status_code == 200
    return r.text


def effective_hash(path: Path, env: Mapping[str, str]) -> str:
    """What ``/admin/health/config`` must answer for ``serve -c path --dev`` under ``env``."""
    return metadata.config_hash(load_config([path], env=env, dev=True))


def one_line(stderr: str) -> str:
    """The single line ``serve`` wrote before exiting (asserts it is exactly one)."""
    assert "Traceback" not in stderr, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


# -- invalid configuration ------------------------------------------------------------------

#: name -> (file content (``None``: no such file), file suffix, env, the expected line's
#: start; ``{file}`` stands for the config file's path)
INVALID: dict[str, tuple[Any, str, dict[str, str], str]] = {
    "unknown-key": ({"unknown_key": 1}, ".yml", {}, "config: unknown_key: unknown key"),
    "wrong-type": (
        {"serve": {"public": {"port": "abc"}}},
        ".yml",
        {},
        'config: serve.public.port: expected an integer, got "abc"',
    ),
    "bad-duration": (
        {"selfservice": {"flows": {"settings": {"privileged_session_max_age": "5 minutes"}}}},
        ".json",
        {},
        'config: selfservice.flows.settings.privileged_session_max_age: invalid duration "5 min',
    ),
    "bad-dsn": ({"dsn": "postgres://[::1"}, ".yml", {}, "config: dsn: invalid postgres URL"),
    "bad-env-value": (
        {},
        ".yml",
        {"SERVE_ADMIN_PORT": "many"},
        'config: serve.admin.port: expected an integer, got "many" [env SERVE_ADMIN_PORT]',
    ),
    "missing-file": (None, ".yml", {}, "config: {file}: file not found"),
    "bad-yaml": ("dsn: memory\nserve: [\n", ".yml", {}, "config: {file}: invalid YAML at line 3"),
    "unreachable-database": (
        {"dsn": "postgres://postgres@127.0.0.1:1/nowhere?sslmode=disable"},
        ".yml",
        {},
        "serve: cannot use the database: ",
    ),
}


@pytest.fixture(scope="module")
def invalid_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[int, str]]]:
    """Every INVALID case started at once; name -> (exit code, stderr with ``{file}``)."""
    launch = Launcher(tmp_path_factory.mktemp("invalid"))
    public, admin = ports()
    valid = base_config(public, admin)
    # As many at once as there are cores: each start costs ~2 s of CPU, and eight at once on
    # a loaded 2-core machine outran the per-process deadline.
    batch = max(1, os.cpu_count() or 1)
    results: dict[str, tuple[int, str]] = {}
    try:
        cases = list(INVALID.items())
        for first in range(0, len(cases), batch):
            started: dict[str, tuple[Serve, Path]] = {}
            for name, (content, suffix, env, _) in cases[first : first + batch]:
                path = launch.tmp / f"{name}{suffix}"
                if isinstance(content, dict):
                    launch.write(path.name, deep_merge(valid, content))
                elif isinstance(content, str):
                    launch.write(path.name, content)
                started[name] = (launch.spawn(["-c", path], env=env), path)
            for name, (run, path) in started.items():
                code, stderr = run.exited(timeout=90)
                results[name] = (code, stderr.replace(str(path), "{file}"))
        yield results
    finally:
        launch.close()


@pytest.mark.parametrize("case", list(INVALID))
def test_invalid_config_stops_start_up_with_one_line(
    case: str, invalid_runs: dict[str, tuple[int, str]]
) -> None:
    code, stderr = invalid_runs[case]
    assert code != 0, stderr
    line = one_line(stderr)
    assert line.startswith(INVALID[case][3]), line


# -- environment overrides ------------------------------------------------------------------


def test_env_overrides_ports_dsn_and_nested_keys(launcher: Launcher, tmp_path: Path) -> None:
    file_public, file_admin = ports()
    env_public, env_admin = ports()
    file_db, env_db = tmp_path / "file.sqlite", tmp_path / "env.sqlite"
    config = base_config(file_public, file_admin, f"sqlite://{file_db}?_fk=true")
    config["secrets"]["default"] = [COOKIE_SECRET]  # else generated per process (as Kratos)
    env = {
        "SERVE_PUBLIC_PORT": str(env_public),
        "SERVE_ADMIN_PORT": str(env_admin),
        "DSN": f"sqlite://{env_db}?_fk=true",
    }
    path = launcher.write("env.yml", config)
    baseline = launcher.spawn(
        ["-c", path, "--dev"], env=env, public_port=env_public, admin_port=env_admin
    ).ready()
    # the env ports and the env DSN won over the file
    for port in (file_public, file_admin):
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{port}/health/alive", timeout=2)
    email = unique_email("env")
    register(baseline.public_url, {"email": email})
    assert env_db.exists() and not file_db.exists()
    before = config_hash(baseline.admin_url)
    assert before == effective_hash(path, env)
    assert baseline.stop() in (0, -signal.SIGTERM)

    # same file, same env + one nested key: the effective config changes accordingly
    nested = {**env, "SELFSERVICE_FLOWS_SETTINGS_PRIVILEGED_SESSION_MAX_AGE": "1m"}
    tuned = launcher.spawn(
        ["-c", path, "--dev"], env=nested, public_port=env_public, admin_port=env_admin
    ).ready()
    after = config_hash(tuned.admin_url)
    assert after != before
    assert after == effective_hash(path, nested)
    settings = load_config([path], env=nested, dev=True).selfservice.flows.settings
    assert settings.privileged_session_max_age == timedelta(minutes=1)
    # the data written by the first run is there: same database
    r = httpx.get(f"{tuned.admin_url}/admin/identities?credentials_identifier={email}", timeout=10)
    assert [i["traits"]["email"] for i in r.json()] == [email]


# -- file formats ---------------------------------------------------------------------------


def _toml(public: int, admin: int) -> str:
    schema = Path(__file__).parents[1] / "support" / "data" / "identity.email.schema.json"
    return f"""\
dsn = "memory"

[serve.public]
host = "127.0.0.1"
port = {public}
base_url = "http://127.0.0.1:{public}/"

[serve.admin]
host = "127.0.0.1"
port = {admin}

[[identity.schemas]]
id = "toml-only"
url = "{schema.as_uri()}"

[identity]
default_schema_id = "toml-only"

[selfservice]
default_browser_return_url = "http://127.0.0.1:{public}/welcome"

[selfservice.methods.password]
enabled = true

[selfservice.methods.password.config]
haveibeenpwned_enabled = false

[hashers]
algorithm = "bcrypt"

[hashers.bcrypt]
cost = 4
"""


def test_yaml_json_toml_and_merged_files(launcher: Launcher) -> None:
    # JSON
    json_ports = ports()
    json_config = base_config(*json_ports)
    json_config["identity"]["schemas"] = json_config["identity"]["schemas"][:1]
    json_file = launcher.write("only.json", json_config)
    json_run = launcher.spawn(
        ["-c", json_file], public_port=json_ports[0], admin_port=json_ports[1]
    )
    # TOML
    toml_ports = ports()
    toml_file = launcher.write("only.toml", _toml(*toml_ports))
    toml_run = launcher.spawn(
        ["-c", toml_file], public_port=toml_ports[0], admin_port=toml_ports[1]
    )
    # YAML + JSON merged: the later file wins, mappings merge, lists are replaced
    first_ports, later_ports = ports(), ports()
    first = launcher.write("first.yml", base_config(*first_ports))
    later = launcher.write(
        "later.json",
        {
            "serve": {
                "public": {
                    "port": later_ports[0],
                    "base_url": f"http://127.0.0.1:{later_ports[0]}/",
                },
                "admin": {"port": later_ports[1]},
            },
            "identity": {
                "default_schema_id": "customer",
                "schemas": [json_config["identity"]["schemas"][0] | {"id": "customer"}],
            },
        },
    )
    merged_run = launcher.spawn(
        ["-c", first, "-c", later], public_port=later_ports[0], admin_port=later_ports[1]
    )

    json_run.ready()
    assert schema_ids(json_run.public_url) == ["default"]
    toml_run.ready()
    assert schema_ids(toml_run.public_url) == ["toml-only"]
    register(toml_run.public_url, {"email": unique_email("toml")})
    merged_run.ready()
    assert schema_ids(merged_run.public_url) == ["customer"]
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{first_ports[0]}/health/alive", timeout=2)
    # keys only the first file sets still apply (password method, bcrypt, secrets, dsn)
    body = register(merged_run.public_url, {"email": unique_email("merged")})
    assert body["identity"]["schema_id"] == "customer"


# -- database schema checks -----------------------------------------------------------------


@pytest.mark.db
def test_unmigrated_server_databases_refuse_to_start(launcher: Launcher) -> None:
    databases = [create_database("postgres"), create_database("mysql")]
    try:
        runs = [launcher.serve(base_config(*ports(), db.dsn), "--dev") for db in databases]
        for db, run in zip(databases, runs, strict=True):
            code, stderr = run.exited()
            assert code != 0, stderr
            line = one_line(stderr)
            assert "not up to date" in line and "phalanx migrate sql" in line, (db.kind, line)
    finally:
        for db in databases:
            db.drop()


def test_sqlite_migrates_itself_only_in_dev_mode(launcher: Launcher, tmp_path: Path) -> None:
    strict_db, dev_db = tmp_path / "strict.sqlite", tmp_path / "dev.sqlite"
    strict = launcher.serve(base_config(*ports(), f"sqlite://{strict_db}?_fk=true"))
    dev = launcher.serve(base_config(*ports(), f"sqlite://{dev_db}?_fk=true"), "--dev")
    code, stderr = strict.exited()
    assert code != 0
    assert "phalanx migrate sql" in one_line(stderr)
    assert register(dev.ready().public_url, {"email": unique_email("auto")})["identity"]["id"]
    assert dev_db.stat().st_size > 0
    # (``memory`` needs no migration either: the format tests below serve on it, no --dev)


# -- several workers ------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_workers_serve_both_apis_and_stop_on_sigterm(launcher: Launcher, tmp_path: Path) -> None:
    """Also: keys Phalanx does not implement yet are accepted and logged once (by the
    supervisor, not by every worker)."""
    config = base_config(
        *ports(),
        f"sqlite://{tmp_path / 'workers.sqlite'}?_fk=true",
        database={"cleanup": {"batch_size": 50}},
        feature_flags={"use_continue_with_transitions": True},
        log={"level": "info"},
    )
    run = launcher.serve(config, "--dev", "--workers", "2").ready()
    workers = _children(run.process.pid)
    assert len(workers) == 2, workers
    logs = run.logs()
    for key in ("database.cleanup.batch_size", "feature_flags.use_continue_with_transitions"):
        lines = [line for line in logs.splitlines() if key in line]
        assert len(lines) == 1, logs
        assert "not yet supported" in lines[0]
    assert "selfservice.methods.password" not in logs
    emails = [unique_email("worker") for _ in range(4)]
    for email in emails:  # each request on a fresh connection: the kernel spreads them
        register(run.public_url, {"email": email})
    for email in emails:
        r = httpx.get(
            f"{run.admin_url}/admin/identities?credentials_identifier={email}", timeout=10
        )
        assert r.status_code == 200 and len(r.json()) == 1
    for _ in range(10):
        assert httpx.get(f"{run.public_url}/health/alive", timeout=5).status_code == 200
        assert httpx.get(f"{run.admin_url}/admin/health/alive", timeout=5).status_code == 200
    run.process.send_signal(signal.SIGTERM)
    assert run.process.wait(timeout=15) == 0, run.logs()
    assert not any(_alive(pid) for pid in workers)
    assert "Traceback" not in run.logs()


# -- built-in default -----------------------------------------------------------------------


def test_builtin_default_config_in_an_empty_directory(launcher: Launcher, tmp_path: Path) -> None:
    cwd = tmp_path / "empty"
    cwd.mkdir()
    public, admin = ports()
    env = {
        "SERVE_PUBLIC_PORT": str(public),
        "SERVE_ADMIN_PORT": str(admin),
        "SELFSERVICE_METHODS_PASSWORD_CONFIG_HAVEIBEENPWNED_ENABLED": "false",
    }
    run = launcher.spawn(["--dev"], env=env, cwd=cwd, public_port=public, admin_port=admin)
    run.ready()
    with SpecClient(run.public_url) as api:
        schema = api.get("/schemas/default").json()
    traits = schema["properties"]["traits"]["properties"]
    assert traits["email"]["format"] == "email"
    assert set(traits["name"]["properties"]) == {"first", "last"}
    email = unique_email("default")
    body = register(run.public_url, {"email": email, "name": {"first": "Ada", "last": "L"}})
    assert body["identity"]["traits"] == {"email": email, "name": {"first": "Ada", "last": "L"}}
    assert body["identity"]["schema_id"] == "default"
    assert {p.name for p in cwd.iterdir()} >= {"phalanx.sqlite", "phalanx.secrets"}
