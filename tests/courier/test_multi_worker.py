"""Two workers on one queue deliver every message exactly once (SQLite, PostgreSQL, MariaDB)."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import anyio
import pytest

from phalanx.config.model_courier import CourierConfig
from phalanx.courier import Backoff, Courier, CourierWorker, MessageStatus, TemplateRenderer
from phalanx.persistence.sql import Database, create_engine
from phalanx.persistence.sql.courier_store import SQLCourierStore
from tests.courier.conftest import SMTPSink, fresh_store

pytestmark = pytest.mark.anyio

MESSAGES = 200


@pytest.mark.parametrize(
    "backend",
    [
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.db),
        pytest.param("mariadb", id="mariadb", marks=pytest.mark.db),
    ],
)
async def test_two_workers_deliver_each_message_once(
    backend: str, tmp_path: Path, smtp_sink: SMTPSink
) -> None:
    smtp_sink.start()
    uri = f"smtp://127.0.0.1:{smtp_sink.port}/?disable_starttls=true"
    config = CourierConfig.model_validate(
        {"smtp": {"connection_uri": uri}, "worker": {"pull_count": 10, "pull_wait": "10ms"}}
    )
    async with fresh_store(backend, tmp_path) as store:
        courier = Courier(store, TemplateRenderer(config))
        for i in range(MESSAGES):
            await courier.queue_email(
                f"user{i}@example.org", "login_code_valid", {"login_code": "1"}
            )
        # Each worker has its own engine and connection pool, like two processes.
        second_db = Database(create_engine(store.db.engine.url.render_as_string(False)))
        stores = [store, SQLCourierStore(second_db)]
        workers = [CourierWorker(s, config, backoff=Backoff()) for s in stores]
        stop = anyio.Event()
        try:
            async with anyio.create_task_group() as tg:
                for worker in workers:
                    tg.start_soon(worker.run, stop)
                deadline = time.monotonic() + 40
                while len(smtp_sink.messages) < MESSAGES and time.monotonic() < deadline:
                    await anyio.sleep(0.05)
                await anyio.sleep(0.2)  # a duplicate would arrive now
                stop.set()
        finally:
            await second_db.dispose()
        counts = Counter(str(m["To"]) for m in smtp_sink.messages)
        assert len(counts) == MESSAGES
        assert set(counts.values()) == {1}, [k for k, v in counts.items() if v > 1]
        sent = await store.list_messages(status=MessageStatus.SENT, page_size=1000)
        assert len(sent.messages) == MESSAGES
        assert all(m.send_count == 1 for m in sent.messages)
