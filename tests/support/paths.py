"""Where things are: the repository, test data."""

from __future__ import annotations

from pathlib import Path

__all__ = ["DATA", "REPO", "SHARED", "TESTS"]

#: The repository root (holds ``pyproject.toml``).
REPO: Path = Path(__file__).resolve().parents[2]
#: The tests directory.
TESTS: Path = REPO / "tests"
#: Read-only contract material next to the repository, when present; never copied into it.
#: Tests find the Kratos contract files through :mod:`tests.support.reference`.
SHARED: Path = REPO.parent / "shared"
#: Test data owned by the repository (identity schemas, configs).
DATA: Path = Path(__file__).resolve().parent / "data"
