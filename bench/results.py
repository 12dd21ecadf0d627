"""Recording benchmark numbers: one row per measurement, kept in bench/results/<module>.json.

A row is ``{name, metric, value, unit, database, commit, date, loadavg}`` plus any fields a module
adds (``concurrency``, ``server`` …); files keep every row ever recorded (newest last), so numbers
can be compared across commits and databases. Rows written before ``loadavg`` existed simply lack
it.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Row:
    name: str
    metric: str
    value: float
    unit: str
    database: str
    commit: str
    date: str
    # The machine's 1-minute load average when the row was recorded (this machine is shared:
    # a number measured at load 8 is not comparable with one measured at load 1).
    loadavg: float | None = None
    # Fields of one module's rows only, e.g. bench_http's concurrency and server.
    extra: Mapping[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        """The row as stored in bench/results/<module>.json."""
        out: dict[str, object] = {
            "name": self.name,
            "metric": self.metric,
            "value": self.value,
            "unit": self.unit,
            "database": self.database,
            "commit": self.commit,
            "date": self.date,
            "loadavg": self.loadavg,
        }
        for key, value in self.extra.items():
            if key in out:
                raise ValueError(f"{key!r} is a common row field, not an extra one")
            out[key] = value
        return out


def load_average() -> float | None:
    """The 1-minute load average, rounded to 0.01 (None where the system has none)."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


class Recorder:
    """Handed to each bench module's ``run(bench)``; fills in database, commit, date, load."""

    def __init__(self, *, database: str, commit: str, date: str) -> None:
        self.database = database
        self.commit = commit
        self.date = date
        self.rows: list[Row] = []

    def record(
        self,
        name: str,
        metric: str,
        value: float,
        unit: str,
        *,
        database: str | None = None,
        loadavg: float | None = None,
        **extra: object,
    ) -> Row:
        """Record one number, e.g. ``record("demo", "create 200 people", 3.2, "s")``.

        ``database`` overrides the run's database (a module that measures both, like bench_http);
        ``loadavg`` the load average read now; ``extra`` adds fields to the row.
        """
        row = Row(
            name,
            metric,
            round(float(value), 6),
            unit,
            database or self.database,
            self.commit,
            self.date,
            loadavg=load_average() if loadavg is None else loadavg,
            extra=extra,
        )
        self.rows.append(row)
        return row

    def time(self, name: str, metric: str, func: Callable[[], object], *, repeat: int = 5) -> Row:
        """Run ``func`` ``repeat`` times and record the median wall-clock time in milliseconds."""
        timings = []
        for _ in range(repeat):
            started = time.perf_counter()
            func()
            timings.append(time.perf_counter() - started)
        return self.record(name, metric, statistics.median(timings) * 1000, "ms")


def current_commit() -> str:
    """The short commit hash, with ``-dirty`` when the work tree has uncommitted changes."""
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 - git from PATH on purpose
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],  # noqa: S607
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit}-dirty" if dirty else commit


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def append(module: str, rows: list[Row], *, results_dir: Path = RESULTS_DIR) -> Path:
    """Add ``rows`` to ``results_dir/<module>.json`` (written atomically)."""
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"{module}.json"
    existing = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    existing.extend(row.as_dict() for row in rows)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(existing, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def format_table(rows: list[Row]) -> str:
    """A plain-text table: name, metric, value and unit, aligned."""
    header = ("name", "metric", "value", "unit")
    lines = [header] + [
        (r.name, r.metric, f"{r.value:,.3f}".rstrip("0").rstrip("."), r.unit) for r in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(4)]
    out = []
    for index, line in enumerate(lines):
        cells = [
            line[0].ljust(widths[0]),
            line[1].ljust(widths[1]),
            line[2].rjust(widths[2]),
            line[3],
        ]
        out.append("  ".join(cells).rstrip())
        if index == 0:
            out.append("  ".join("-" * width for width in widths))
    return "\n".join(out)
