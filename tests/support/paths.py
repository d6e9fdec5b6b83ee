"""Where things are: the repository, the read-only ``../shared`` contract files, test data."""

from __future__ import annotations

from pathlib import Path

__all__ = ["DATA", "OPENAPI_SPEC", "REFERENCE", "REPO", "SHARED", "TESTS"]

#: The repository root (holds ``pyproject.toml``).
REPO: Path = Path(__file__).resolve().parents[2]
#: The tests directory.
TESTS: Path = REPO / "tests"
#: Read-only contract material next to the repository; never copied into it.
SHARED: Path = REPO.parent / "shared"
#: ``../shared/reference``: the Kratos OpenAPI spec, config schema, messages.
REFERENCE: Path = SHARED / "reference"
#: The Kratos v25.4 OpenAPI document every response body is validated against.
OPENAPI_SPEC: Path = REFERENCE / "kratos-openapi-v25.4.json"
#: Test data owned by the repository (identity schemas, configs).
DATA: Path = Path(__file__).resolve().parent / "data"
