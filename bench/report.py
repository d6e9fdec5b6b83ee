"""Results: summary rows, the printed table, machine info and ``bench/results/<ts>.json``."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

__all__ = ["Report", "Row", "machine_info", "step"]

RESULTS = Path(__file__).with_name("results")


@dataclass(slots=True)
class Row:
    """One line of the summary table.

    ``ratio`` is ``value / baseline`` (or whatever ratio the benchmark defines, named in
    ``metric``); ``met`` is None when the row has no target.
    """

    bench: str
    backend: str
    setting: str
    metric: str
    value: float
    unit: str
    baseline: float | None = None
    ratio: float | None = None
    target: str = ""
    met: bool | None = None


@dataclass
class Report:
    """Collects rows and per-benchmark details; prints and saves them."""

    mode: str
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    rows: list[Row] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    _note_keys: set[str] = field(default_factory=set)

    def add(self, row: Row) -> None:
        self.rows.append(row)

    def note(self, text: str, *, key: str | None = None) -> None:
        """Record a remark; with ``key``, only the first note of that key is kept."""
        if key is not None:
            if key in self._note_keys:
                return
            self._note_keys.add(key)
        print(f"  note: {text}", flush=True)
        self.notes.append(text)

    def save(self) -> Path:
        RESULTS.mkdir(exist_ok=True)
        path = RESULTS / f"{self.started.strftime('%Y%m%dT%H%M%SZ')}.json"
        document = {
            "mode": self.mode,
            "started": self.started.isoformat(),
            "finished": dt.datetime.now(dt.UTC).isoformat(),
            "machine": machine_info(),
            "summary": [asdict(row) for row in self.rows],
            "notes": self.notes,
            "details": self.details,
        }
        path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))
        return path

    def table(self) -> str:
        header = ("bench", "db", "setting", "metric", "value", "baseline", "ratio", "target", "")
        lines = [header]
        for r in self.rows:
            lines.append(
                (
                    r.bench,
                    r.backend,
                    r.setting,
                    r.metric,
                    f"{_num(r.value)} {r.unit}".strip(),
                    _num(r.baseline) if r.baseline is not None else "",
                    f"{r.ratio:.2f}" if r.ratio is not None else "",
                    r.target,
                    {True: "MET", False: "MISSED", None: ""}[r.met],
                )
            )
        widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
        out = [
            "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
            for line in lines
        ]
        out.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(out)


@contextmanager
def step(what: str) -> Iterator[None]:
    """Print ``what`` and how long it took (progress output of a long run)."""
    print(f"   {what} ...", end="", flush=True)
    started = time.perf_counter()
    try:
        yield
    finally:
        print(f" {time.perf_counter() - started:.1f} s", flush=True)


def _num(value: float) -> str:
    if value != value:  # NaN
        return "n/a"
    if float(value).is_integer() and abs(value) < 1e6:
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _git_commit() -> str:
    root = Path(__file__).resolve().parent.parent
    try:
        result = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        )
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    commit = result.stdout.strip() or "unknown"
    return commit + ("+dirty-src" if dirty.stdout.strip() else "")


def _memory_gib() -> float:
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return float("nan")
    return round(pages / 2**30, 1)


def _phalanx_source() -> str:
    """Where ``import phalanx`` resolves (``PYTHONPATH`` can point the servers elsewhere)."""
    try:
        import phalanx
    except ImportError:
        return "not importable"
    return str(Path(phalanx.__file__).resolve().parent)


def machine_info() -> dict[str, Any]:
    """Where the figures came from: CPU, cores, memory, OS, Python, commit, load."""
    return {
        "phalanx_source": _phalanx_source(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "commit": _git_commit(),
    }
