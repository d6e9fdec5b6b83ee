"""The Kratos contract files: where they are, and skipping cleanly when they are not.

Some checks compare Phalanx with files taken from Ory Kratos v25.4 (Apache-2.0) that the
repository does not ship: the OpenAPI document response bodies are validated against, the
config JSON Schema, the identity meta-schemas, the UI message catalogue and a seed document.
They are looked up, in order, under every directory named by ``$PHALANX_KRATOS_REFERENCE``
(``os.pathsep``-separated), else under ``../shared`` next to the repository. A directory may be
the reference set itself, its parent (holding ``reference/`` and ``seeds/``), or a checkout of
``ory/kratos`` at ``v25.4.0`` (``spec/api.json``, ``embedx/*.schema.json``).

When a file is missing, the checks that need it are skipped (:func:`require`) -- and only
those: :class:`tests.support.api.SpecClient` still sends every request and the tests still
assert status codes and fields; only the schema validation is left out (and counted, see
:func:`note_skipped`). The root ``conftest.py`` prints one line naming what was skipped and
how to enable it.

``PHALANX_KRATOS_REFERENCE`` set to a directory that does not exist is an error (a typo must
not silently skip checks); ``PHALANX_KRATOS_REFERENCE_REQUIRED=1`` (CI sets it) makes any
missing file an error.

Usage::

    from tests.support.reference import CONFIG_SCHEMA, require

    path = require(CONFIG_SCHEMA)   # pytest.skip(...) with the how-to when absent
"""

from __future__ import annotations

import functools
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.paths import SHARED

__all__ = [
    "ALL",
    "CONFIG_SCHEMA",
    "ENV_VAR",
    "IDENTITY_EXTENSION",
    "IDENTITY_META",
    "MESSAGES",
    "OPENAPI",
    "REQUIRED_ENV_VAR",
    "SETTINGS_SEED",
    "ContractFile",
    "configuration_problem",
    "enable_hint",
    "export_counts",
    "fold_skip",
    "locate",
    "merge_counts",
    "missing",
    "note_skipped",
    "require",
    "roots",
    "skipped_counts",
    "skipped_test_counts",
    "summary_line",
]

#: Directories holding the contract files (``os.pathsep``-separated).
ENV_VAR = "PHALANX_KRATOS_REFERENCE"
#: ``1`` turns a missing contract file into an error (CI).
REQUIRED_ENV_VAR = "PHALANX_KRATOS_REFERENCE_REQUIRED"


@dataclass(frozen=True, slots=True)
class ContractFile:
    """One contract file: its name in the reference set and where else it may be found."""

    name: str
    #: Paths relative to a root directory, tried in order.
    candidates: tuple[str, ...]
    #: Where it comes from (shown in the how-to line).
    origin: str
    #: What is skipped without it (shown in the summary line).
    checks: str


OPENAPI = ContractFile(
    "kratos-openapi-v25.4.json",
    ("kratos-openapi-v25.4.json", "reference/kratos-openapi-v25.4.json", "spec/api.json"),
    "spec/api.json",
    "OpenAPI validation of response bodies",
)
CONFIG_SCHEMA = ContractFile(
    "kratos-config-v25.4.schema.json",
    (
        "kratos-config-v25.4.schema.json",
        "reference/kratos-config-v25.4.schema.json",
        "embedx/config.schema.json",
    ),
    "embedx/config.schema.json",
    "config-schema parity",
)
IDENTITY_META = ContractFile(
    "kratos-identity-meta-v25.4.schema.json",
    (
        "kratos-identity-meta-v25.4.schema.json",
        "reference/kratos-identity-meta-v25.4.schema.json",
        "embedx/identity_meta.schema.json",
    ),
    "embedx/identity_meta.schema.json",
    "identity meta-schema parity",
)
IDENTITY_EXTENSION = ContractFile(
    "kratos-identity-extension-v25.4.schema.json",
    (
        "kratos-identity-extension-v25.4.schema.json",
        "reference/kratos-identity-extension-v25.4.schema.json",
        "embedx/identity_extension.schema.json",
    ),
    "embedx/identity_extension.schema.json",
    "identity meta-schema parity",
)
MESSAGES = ContractFile(
    "kratos-text-messages.json",
    ("kratos-text-messages.json", "reference/kratos-text-messages.json"),
    "the reference set only (extracted from text/*.go)",
    "message catalogue parity",
)
SETTINGS_SEED = ContractFile(
    "seeds/003_403601b6fec10232.txt",
    (
        "seeds/003_403601b6fec10232.txt",
        "../seeds/003_403601b6fec10232.txt",
        "003_403601b6fec10232.txt",
    ),
    "the reference set only (Ory's settings documentation page)",
    "settings seed comparison",
)
ALL: tuple[ContractFile, ...] = (
    OPENAPI,
    CONFIG_SCHEMA,
    IDENTITY_META,
    IDENTITY_EXTENSION,
    MESSAGES,
    SETTINGS_SEED,
)

_skipped: Counter[str] = Counter()
_skipped_tests: Counter[str] = Counter()
#: Read once at import: the root conftest strips ``PHALANX_*`` variables for every test.
_CONFIGURED = os.environ.get(ENV_VAR, "").strip()
_REQUIRED = os.environ.get(REQUIRED_ENV_VAR, "").strip() == "1"
_SKIP_PREFIX = "Kratos contract file "
#: Where every folded skip is reported, so ``-ra`` prints one line for all of them.
_FOLDED_AT = (str(Path(__file__)), None)


def roots() -> list[Path]:
    """The directories searched: ``$PHALANX_KRATOS_REFERENCE``, else ``../shared``."""
    configured = _CONFIGURED
    if configured:
        return [Path(p).expanduser() for p in configured.split(os.pathsep) if p.strip()]
    return [SHARED]


@functools.cache
def _locate(file: ContractFile, searched: tuple[Path, ...]) -> Path | None:
    for root in searched:
        for candidate in file.candidates:
            path = root / candidate
            if path.is_file():
                return path.resolve()
    return None


def locate(file: ContractFile) -> Path | None:
    """The path of ``file``, or ``None`` when no root holds it."""
    return _locate(file, tuple(roots()))


def missing() -> list[ContractFile]:
    """The contract files that are not found."""
    return [f for f in ALL if locate(f) is None]


def enable_hint() -> str:
    """How to enable the skipped checks (one sentence)."""
    return (
        f"set {ENV_VAR}=<dir> to a directory holding the Kratos contract files "
        "(the reference set, or an ory/kratos v25.4.0 checkout for spec/api.json and "
        "embedx/*.schema.json); see README, 'Tests'"
    )


def require(file: ContractFile) -> Path:
    """The path of ``file``; skips the calling test (with the how-to) when it is absent."""
    path = locate(file)
    if path is None:
        pytest.skip(f"{_SKIP_PREFIX}{file.name} ({file.origin}) not found: {enable_hint()}")
    return path


def note_skipped(file: ContractFile) -> None:
    """Count one check left out because ``file`` is absent (e.g. one body validation)."""
    _skipped[file.checks] += 1


def skipped_counts() -> dict[str, int]:
    """Checks counted by :func:`note_skipped`, by kind."""
    return dict(_skipped)


def skipped_test_counts() -> dict[str, int]:
    """Tests skipped by :func:`require`, by kind (counted by :func:`fold_skip`)."""
    return dict(_skipped_tests)


def export_counts() -> dict[str, dict[str, int]]:
    """What this process counted, for the process that prints the summary (an xdist
    worker hands it to the controller)."""
    return {"checks": dict(_skipped), "tests": dict(_skipped_tests)}


def merge_counts(counts: dict[str, dict[str, int]]) -> None:
    """Add a worker's :func:`export_counts`."""
    _skipped.update(counts.get("checks", {}))
    _skipped_tests.update(counts.get("tests", {}))


def fold_skip(report: pytest.TestReport) -> None:
    """Count a test skipped by :func:`require` and give it one shared location and reason,
    so pytest's ``-ra`` summary folds all of them into a single line."""
    longrepr = report.longrepr
    if not (report.skipped and isinstance(longrepr, tuple) and len(longrepr) == 3):
        return
    reason = str(longrepr[2])
    if _SKIP_PREFIX not in reason:
        return
    for file in ALL:
        if f"{_SKIP_PREFIX}{file.name} " in reason:
            _skipped_tests[file.checks] += 1
            break
    report.longrepr = (*_FOLDED_AT, f"Kratos contract checks: files not found; {enable_hint()}")


def summary_line() -> str | None:
    """One line naming every skipped contract check and how to enable them, or ``None``."""
    validations, tests = skipped_counts(), skipped_test_counts()
    kinds = list(dict.fromkeys([*validations, *tests]))
    if not kinds:
        return None
    parts = []
    for kind in kinds:
        counts = []
        if validations.get(kind):
            counts.append(f"{validations[kind]} bodies")
        if tests.get(kind):
            counts.append(f"{tests[kind]} tests")
        parts.append(f"{kind} ({', '.join(counts)})")
    return f"Kratos contract checks skipped: {'; '.join(parts)} -- {enable_hint()}"


def configuration_problem() -> str | None:
    """Why the configured reference directories are unusable, or ``None``."""
    if _CONFIGURED:
        absent = [str(r) for r in roots() if not r.is_dir()]
        if absent:
            return f"{ENV_VAR} names directories that do not exist: {', '.join(absent)}"
    if _REQUIRED:
        gone = missing()
        if gone:
            names = ", ".join(f.name for f in gone)
            searched = ", ".join(str(r) for r in roots())
            return f"{REQUIRED_ENV_VAR}=1 but {names} not found under {searched}"
    return None
