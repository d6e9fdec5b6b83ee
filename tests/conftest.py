"""Root fixtures shared by every test.

* ``anyio_backend``: async tests run on asyncio (``@pytest.mark.anyio``).
* ``_isolated_environment`` (autouse): strips configuration env vars (``DSN``, ``SERVE_*``,
  ``SELFSERVICE_*``, ``KRATOS_*``, ... see :mod:`tests.support.env`) so a developer's shell
  never leaks into a test; tests that want one set it with ``monkeypatch.setenv``.
* the real-server fixtures of :mod:`tests.support.server` (``server_factory``,
  ``module_server_factory``) and the SMTP sink fixture of :mod:`phalanx.testing.plugin`
  (``mail``) are registered as plugins, so every test directory can use them.
* every answer the :mod:`phalanx.testing` drivers receive is validated against Kratos's
  OpenAPI document (:func:`tests.support.openapi.spec_check`).
* the Kratos contract files (:mod:`tests.support.reference`): the header says where they
  were found; when some are missing, the run ends with one line naming the checks that were
  skipped and how to enable them. A misconfigured ``PHALANX_KRATOS_REFERENCE`` stops the run.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from typing import Any

import pytest

from phalanx.testing import set_response_check
from tests.support import reference
from tests.support.env import is_config_var
from tests.support.openapi import spec_check

pytest_plugins = ["tests.support.server", "phalanx.testing.plugin", "tests.support.oidc"]

set_response_check(spec_check)


def pytest_configure(config: pytest.Config) -> None:
    problem = reference.configuration_problem()
    if problem:
        raise pytest.UsageError(problem)


def pytest_report_header(config: pytest.Config) -> str:
    gone = reference.missing()
    where = ", ".join(str(r) for r in reference.roots())
    if not gone:
        return f"Kratos contract files: all found ({where})"
    return (
        f"Kratos contract files: {len(gone)} of {len(reference.ALL)} not found ({where}); "
        "the checks needing them are skipped"
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    reference.fold_skip(report)
    return report


def pytest_sessionfinish(session: pytest.Session) -> None:
    # Under pytest-xdist the counts live in the workers: hand them to the controller.
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["phalanx_reference"] = reference.export_counts()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    counts = getattr(node, "workeroutput", {}).get("phalanx_reference")
    if counts:
        reference.merge_counts(counts)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    line = reference.summary_line()
    if line:
        terminalreporter.write_line(line, yellow=True)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if is_config_var(name):
            monkeypatch.delenv(name, raising=False)
    yield
