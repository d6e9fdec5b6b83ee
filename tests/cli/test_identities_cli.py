"""The real ``phalanx identities ...`` commands against a running server."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.support.identities import create_body, unique_email
from tests.support.server import PhalanxServer, free_port, phalanx_command

pytestmark = pytest.mark.e2e


def run(
    server: PhalanxServer | None,
    *args: str,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``phalanx <args>`` with ``KRATOS_ADMIN_URL`` pointing at ``server``."""
    environment = server.cli_env() if server is not None else {}
    environment.update(env or {})
    if server is None:
        from tests.support.env import clean_environ

        environment = clean_environ(env)
    return subprocess.run(
        [*phalanx_command(), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def _write(path: Path, data: object) -> str:
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def _import_one(server: PhalanxServer, email: str | None = None) -> dict[str, object]:
    result = run(
        server,
        "identities",
        "import",
        "--format",
        "json",
        "-",
        stdin=json.dumps(create_body(email)),
    )
    assert result.returncode == 0, result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_import_files_prints_a_table(sqlite_server: PhalanxServer, tmp_path: Path) -> None:
    first, second = unique_email("cli"), unique_email("cli")
    many = _write(tmp_path / "many.json", [create_body(first), create_body(second)])
    result = run(sqlite_server, "identities", "import", many)
    assert result.returncode == 0, result.stderr
    lines = _lines(result.stdout)
    assert lines[0].split() == [
        "ID",
        "VERIFIED",
        "ADDRESSES",
        "RECOVERY",
        "ADDRESSES",
        "SCHEMA",
        "ID",
        "SCHEMA",
        "URL",
    ]
    assert any(first in line for line in lines[1:])
    assert any(second in line for line in lines[1:])
    assert result.stderr == ""


def test_import_single_from_stdin_prints_rows(sqlite_server: PhalanxServer) -> None:
    email = unique_email("stdin")
    result = run(sqlite_server, "import", "identities", stdin=json.dumps(create_body(email)))
    assert result.returncode == 0, result.stderr
    rows = {line.split("\t", 1)[0]: line.split("\t")[-1] for line in _lines(result.stdout)}
    assert rows["VERIFIED ADDRESSES"] == email
    assert rows["SCHEMA ID"] == "default"
    uuid.UUID(rows["ID"])


def test_import_errors_are_one_line_each(sqlite_server: PhalanxServer, tmp_path: Path) -> None:
    email = unique_email("clidup")
    _import_one(sqlite_server, email)
    path = _write(tmp_path / "dup.json", [create_body(email), create_body(unique_email())])
    result = run(sqlite_server, "identities", "import", path)
    assert result.returncode == 1
    [line] = _lines(result.stderr)
    assert line == (
        "error: 409 Conflict: This identity conflicts with another identity that already "
        f"exists. ({path}[0])"
    )
    bad = _write(tmp_path / "bad.json", {"schema_id": "default", "traits": {"email": "x"}})
    result = run(sqlite_server, "identities", "import", bad)
    assert result.returncode == 1
    [line] = _lines(result.stderr)
    assert line.startswith('error: 400 Bad Request: I[#/traits/email] "x" is not valid "email"')
    result = run(sqlite_server, "identities", "import", str(tmp_path / "missing.json"))
    assert result.returncode == 1 and len(_lines(result.stderr)) == 1


def test_list_formats(sqlite_server: PhalanxServer) -> None:
    for _ in range(2):
        _import_one(sqlite_server)
    result = run(sqlite_server, "identities", "list", "--format", "json", "--page-size", "1")
    assert result.returncode == 0, result.stderr
    page = json.loads(result.stdout)
    assert len(page["identities"]) == 1 and page["next_page_token"]
    result = run(
        sqlite_server,
        "list",
        "identities",
        "--format",
        "json",
        "--page-size",
        "1",
        "--page-token",
        page["next_page_token"],
    )
    second = json.loads(result.stdout)
    assert second["identities"][0]["id"] != page["identities"][0]["id"]
    result = run(sqlite_server, "ls", "identities")
    assert result.returncode == 0
    lines = _lines(result.stdout)
    assert lines[0].startswith("ID") and "SCHEMA URL" in lines[0]
    assert lines[-1].startswith("NEXT PAGE TOKEN")


def test_get_and_delete(sqlite_server: PhalanxServer) -> None:
    identity = _import_one(sqlite_server)
    identity_id = str(identity["id"])
    result = run(sqlite_server, "identities", "get", identity_id, "--format", "json-pretty")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["id"] == identity_id
    assert "\n  " in result.stdout
    result = run(
        sqlite_server, "get", "identity", identity_id, "--format", "json", "-i", "password"
    )
    assert "credentials" in json.loads(result.stdout)
    result = run(sqlite_server, "delete", "identity", identity_id)
    assert result.returncode == 0, result.stderr
    assert _lines(result.stdout) == [f"ID\t{identity_id}"]
    result = run(sqlite_server, "identities", "get", identity_id)
    assert result.returncode == 1
    assert _lines(result.stderr) == [
        f"error: 404 Not Found: Unable to locate the resource ({identity_id})"
    ]
    assert result.stdout == ""
    result = run(sqlite_server, "identities", "delete", identity_id)
    assert result.returncode == 1 and len(_lines(result.stderr)) == 1


def test_get_many_prints_a_table(sqlite_server: PhalanxServer) -> None:
    ids = [str(_import_one(sqlite_server)["id"]) for _ in range(2)]
    result = run(sqlite_server, "identities", "get", *ids)
    assert result.returncode == 0
    lines = _lines(result.stdout)
    assert lines[0].startswith("ID") and len(lines) == 3


def test_endpoint_flag_and_connection_errors(sqlite_server: PhalanxServer) -> None:
    result = run(None, "identities", "list", "-e", sqlite_server.admin_url, "--format", "json")
    assert result.returncode == 0, result.stderr
    port = free_port()
    result = run(None, "identities", "list", "--endpoint", f"http://127.0.0.1:{port}")
    assert result.returncode == 1
    [line] = _lines(result.stderr)
    assert line.startswith(f"error: could not connect to http://127.0.0.1:{port}")
    result = run(None, "identities", "list")
    assert result.returncode == 1
    assert _lines(result.stderr) == [
        "error: no admin endpoint: pass -e/--endpoint or set KRATOS_ADMIN_URL"
    ]


def test_help_lists_the_kratos_spellings() -> None:
    result = run(None, "--help")
    for command in ("identities", "import", "list", "get", "delete"):
        assert command in result.stdout
    result = run(None, "identities", "--help")
    assert result.returncode == 0
    for sub in ("import", "list", "get", "delete"):
        assert sub in result.stdout
