"""``courier watch`` as a real process: delivers queued mail, stops cleanly on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import anyio
import pytest
import yaml
from click.testing import CliRunner

from phalanx.cli.courier import courier as courier_group
from phalanx.courier import Courier, TemplateRenderer
from phalanx.persistence.sql import Database, create_engine, migrate_up
from phalanx.persistence.sql.courier_store import SQLCourierStore
from tests.courier.conftest import SMTPSink
from tests.support.server import default_config

pytestmark = pytest.mark.anyio


def test_watch_help() -> None:
    result = CliRunner().invoke(courier_group, ["watch", "--help"])
    assert result.exit_code == 0
    assert "--expose-metrics-port" in result.output and "--config" in result.output


async def test_watch_delivers_and_stops_on_sigterm(tmp_path: Path, smtp_sink: SMTPSink) -> None:
    smtp_sink.start()
    db_path = tmp_path / "courier.db"
    database = Database(create_engine(f"sqlite+aiosqlite:///{db_path}"))
    await migrate_up(database.engine)
    store = SQLCourierStore(database)
    await Courier(store, TemplateRenderer()).queue_email(
        "cli@example.org", "login_code_valid", {"login_code": "424242"}
    )
    await database.dispose()
    config = default_config(public_port=1, admin_port=2, dsn=f"sqlite://{db_path}?_fk=true")
    config["courier"] = {
        "smtp": {"connection_uri": f"smtp://127.0.0.1:{smtp_sink.port}/?disable_starttls=true"},
        "worker": {"pull_wait": "50ms"},
    }
    config_file = tmp_path / "kratos.yml"
    config_file.write_text(yaml.safe_dump(config))
    code = "from phalanx.cli.courier import courier; courier(prog_name='phalanx courier')"
    process = subprocess.Popen(
        [sys.executable, "-c", code, "watch", "-c", str(config_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        while not smtp_sink.messages and time.monotonic() < deadline:
            await anyio.sleep(0.05)
        assert [m["Subject"] for m in smtp_sink.messages] == ["Use code 424242 to log in"]
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=10)[0].decode()
    assert process.returncode == 0, output
