"""Which package may import which (ARCHITECTURE.md, "Import direction"), read from the source.

* ``selfservice/``, ``identity/`` and ``session/`` are framework-free: no Starlette;
* ``web/`` (the built-in UI) builds on ``http/``; ``http/`` never imports ``web/``;
* ``console/`` (the admin console) builds on ``http/`` and ``web/``; ``http/`` never imports it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import phalanx

ROOT = Path(phalanx.__file__).parent


def _imports(package: str) -> Iterator[tuple[str, str]]:
    """``(file, imported module)`` for every import in ``package``, lazy ones included."""
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                yield str(path.relative_to(ROOT)), name


def _offending(package: str, forbidden: str) -> list[str]:
    return [
        f"{where}: {name}"
        for where, name in _imports(package)
        if name == forbidden or name.startswith(forbidden + ".")
    ]


def test_the_walker_sees_imports() -> None:
    """The checks below would pass vacuously if nothing were found."""
    assert ("web/routes.py", "starlette.routing") in set(_imports("web"))
    assert any(name.startswith("phalanx.http") for _, name in _imports("web"))


def test_domain_packages_import_no_starlette() -> None:
    for package in ("selfservice", "identity", "session"):
        assert (ROOT / package).is_dir()
        assert _offending(package, "starlette") == [], package


def test_http_does_not_import_web() -> None:
    assert _offending("http", "phalanx.web") == []


def test_http_does_not_import_the_console() -> None:
    assert any(name.startswith("phalanx.http") for _, name in _imports("console"))
    assert _offending("http", "phalanx.console") == []
