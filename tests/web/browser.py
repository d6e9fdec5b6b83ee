"""Browser harness for the built-in UI: Debian Chromium driven by Playwright, plus axe-core.

Fixtures (all skip cleanly when Chromium or axe-core is unavailable):

* ``chromium`` (module): a headless Chromium from the Debian package, never a download.
  ``UI_TEST_CHROMIUM`` overrides the executable path. Module-scoped on purpose: Playwright's
  sync API marks an asyncio loop as running while it is started, which breaks anyio tests
  that run after it; stopping it at the end of each module clears that. So keep browser
  tests in modules of their own (no ``anyio`` tests next to them).
* ``ui_page``: a fresh page in its own context (CSP enforced, 1280x900).
* ``audit_page``: the same with ``bypass_csp`` so axe-core can be injected.
* ``axe_source`` (session): the text of ``axe.min.js`` from ``tests/web/node_modules``,
  installed on first use by ``npm ci --prefix tests/web`` (versions pinned in
  ``tests/web/package.json`` / ``package-lock.json``); CI may run that command up front.
* ``static_ui`` (module): a tiny Starlette app serving the templates rendered from the
  fake flow JSON of :mod:`tests.web.flows` (no registry, no database) on a free port.

Helpers: :func:`axe_violations` runs axe on a page and returns violations of the given
impacts; :func:`preload_axe` makes every page of a context load axe-core *without*
``bypass_csp`` (an init script is exempt from the page's CSP, so the real policy stays
enforced while the pages are audited); :func:`horizontal_overflow` measures how far a page
scrolls sideways at a given width; :func:`artifact_path` names a file under
``test-artifacts/web/``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.paths import REPO

__all__ = [
    "ARTIFACTS",
    "CHROMIUM_ARGS",
    "WEB_TESTS",
    "artifact_path",
    "audit_page",
    "axe_source",
    "axe_violations",
    "chromium",
    "chromium_executable",
    "horizontal_overflow",
    "preload_axe",
    "static_ui",
    "ui_page",
]

WEB_TESTS = Path(__file__).resolve().parent
ARTIFACTS = REPO / "test-artifacts" / "web"
AXE_JS = WEB_TESTS / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
#: WCAG rule tags the audit checks (A and AA, 2.0-2.2, plus axe best practices).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def chromium_executable() -> str | None:
    """The Chromium binary: ``$UI_TEST_CHROMIUM``, else the Debian package's."""
    configured = os.environ.get("UI_TEST_CHROMIUM")
    if configured:
        return configured if Path(configured).exists() else None
    for candidate in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


def artifact_path(name: str) -> Path:
    """``test-artifacts/web/<name>`` (gitignored), its folder created."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / name


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    executable = chromium_executable()
    if executable is None:
        pytest.skip("Chromium not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    manager = sync_playwright().start()
    try:
        browser = manager.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    except Exception as exc:  # a broken browser install should skip, not error every test
        manager.stop()
        pytest.skip(f"Chromium did not start: {exc}")
    try:
        yield browser
    finally:
        browser.close()
        manager.stop()


def _page(browser: Any, **options: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def ui_page(chromium: Any) -> Iterator[Any]:
    yield from _page(chromium)


@pytest.fixture
def audit_page(chromium: Any) -> Iterator[Any]:
    yield from _page(chromium, bypass_csp=True)


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_JS.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("axe-core missing and npm not installed (npm ci --prefix tests/web)")
        result = subprocess.run(
            [npm, "ci", "--prefix", str(WEB_TESTS), "--no-audit", "--no-fund"],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if result.returncode != 0 or not AXE_JS.exists():
            pytest.skip(f"npm ci --prefix tests/web failed: {result.stderr[-500:]}")
    return AXE_JS.read_text(encoding="utf-8")


def preload_axe(context: Any, source: str) -> None:
    """Load axe-core into every page ``context`` opens, before the page's own scripts.

    Init scripts run outside the page's Content-Security-Policy, unlike
    ``add_script_tag``, so the context needs no ``bypass_csp``.
    """
    context.add_init_script(script=source)


def horizontal_overflow(page: Any, width: int = 320, height: int = 640) -> int:
    """CSS pixels ``page`` scrolls sideways at ``width`` (0 = fits); the viewport is restored."""
    before = page.viewport_size
    page.set_viewport_size({"width": width, "height": height})
    try:
        overflow: int = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
    finally:
        if before is not None:
            page.set_viewport_size(before)
    return overflow


def axe_violations(
    page: Any, source: str, impacts: tuple[str, ...] = ("serious", "critical")
) -> list[dict[str, Any]]:
    """Run axe-core on ``page``; violations of ``impacts``. The page's context needs
    ``bypass_csp`` or :func:`preload_axe` (else the page's CSP blocks the injected script).

    Each violation is axe's object trimmed to ``id``, ``impact``, ``help`` and the failing
    nodes' ``target`` selectors and ``failureSummary``.
    """
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=source)
    results: dict[str, Any] = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        AXE_TAGS,
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [
                {"target": n["target"], "summary": n.get("failureSummary", "")} for n in v["nodes"]
            ],
        }
        for v in results["violations"]
        if v.get("impact") in impacts
    ]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def static_ui() -> Iterator[str]:
    """Base URL (``http://127.0.0.1:<port>/``) of the static demo app (:mod:`.static_app`)."""
    import uvicorn

    from tests.web.static_app import create_app

    port = _free_port()
    base = f"http://127.0.0.1:{port}/"
    server = uvicorn.Server(
        uvicorn.Config(create_app(base), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("static UI server did not start")
        time.sleep(0.02)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)
