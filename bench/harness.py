"""Side-by-side timing: every figure is a ratio against a raw baseline run in the same process.

These machines are shared and noisy (TESTING.md): absolute medians move 25–80 % between runs,
ratios of interleaved runs hold within ±10–25 %. So each benchmark names a baseline and a
subject, runs them alternately, and reports medians and their ratio.
"""

from __future__ import annotations

import gc
import platform
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.runtime.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
PERFORMANCE_MD = ROOT / "docs" / "performance.md"


@dataclass(frozen=True)
class Comparison:
    """Medians of a baseline and a subject measured alternately, and their ratio."""

    name: str
    baseline: str
    baseline_s: float
    subject_s: float
    repetitions: int
    target_ratio: float | None = None
    target_abs_s: float | None = None

    @property
    def ratio(self) -> float:
        return self.subject_s / self.baseline_s

    def verdict(self) -> str:
        checks = []
        if self.target_ratio is not None:
            checks.append(self.ratio <= self.target_ratio)
        if self.target_abs_s is not None:
            checks.append(self.subject_s <= self.target_abs_s)
        if not checks:
            return "— (for information)"
        return "met" if all(checks) else "MISSED"

    def row(self) -> str:
        target = []
        if self.target_ratio is not None:
            target.append(f"≤ {self.target_ratio:g}×")
        if self.target_abs_s is not None:
            target.append(f"≤ {self.target_abs_s * 1000:g} ms")
        return (
            f"| {self.name} | {self.baseline} | {fmt(self.baseline_s)} | {fmt(self.subject_s)} "
            f"| {self.ratio:.2f}× | {', '.join(target) or '—'} | {self.verdict()} |"
        )


def fmt(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.0f} µs"


def _once(fn: Callable[[], object], inner: int) -> float:
    gc.collect()
    start = time.perf_counter()
    for _ in range(inner):
        fn()
    return (time.perf_counter() - start) / inner


def compare(
    name: str,
    baseline_name: str,
    baseline: Callable[[], object],
    subject: Callable[[], object],
    *,
    repetitions: int = 7,
    inner: int = 1,
    target_ratio: float | None = None,
    target_abs_s: float | None = None,
) -> Comparison:
    """Run baseline and subject alternately (after one warm-up each) and compare medians."""
    baseline()
    subject()
    base_times: list[float] = []
    subject_times: list[float] = []
    for _ in range(repetitions):
        base_times.append(_once(baseline, inner))
        subject_times.append(_once(subject, inner))
    return Comparison(
        name,
        baseline_name,
        statistics.median(base_times),
        statistics.median(subject_times),
        repetitions,
        target_ratio,
        target_abs_s,
    )


def write_section(section: str, intro: str, rows: list[Comparison]) -> str:
    """Replace (or append) one section of docs/performance.md with fresh results."""
    begin, end = f"<!-- bench:{section}:begin -->", f"<!-- bench:{section}:end -->"
    table = [
        "| measure | baseline | baseline median | subject median | ratio | target | verdict |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *(row.row() for row in rows),
    ]
    stamp = f"Measured {time.strftime('%Y-%m-%d')} on {platform.python_implementation()} "
    stamp += f"{platform.python_version()}, {platform.machine()}; medians of interleaved runs."
    block = "\n".join([begin, intro, "", *table, "", stamp, end])
    text = PERFORMANCE_MD.read_text(encoding="utf-8") if PERFORMANCE_MD.exists() else ""
    if begin in text and end in text:
        head, _, rest = text.partition(begin)
        _, _, tail = rest.partition(end)
        text = head + block + tail
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    PERFORMANCE_MD.write_text(text, encoding="utf-8")
    return "\n".join(table)


def sales_engine(database_url: str, folder: Path) -> Engine:
    """The sales template loaded over `database_url` and migrated, with cheap password
    hashing (benches create users) and the project's own plugins."""
    from engine.plugins import default_registry
    from engine.runtime.engine import Engine as RuntimeEngine

    registry, problems = default_registry(ROOT)
    assert not problems, problems
    engine = RuntimeEngine.load(
        ROOT / "apps" / "sales_crm",
        database_url=database_url,
        project_root=folder,
        registry=registry,
        password_iterations=1_000,
    )
    engine.migrate()
    return engine


@contextmanager
def bench_database(kind: str, folder: Path, pg_url: str | None, name: str) -> Iterator[str]:
    """A URL of an empty database: a SQLite file `name-….db` in `folder`, or a PostgreSQL
    schema of its own on `pg_url`, dropped after."""
    if kind == "sqlite":
        yield f"sqlite:///{(folder / f'{name}-{uuid.uuid4().hex[:6]}.db').as_posix()}"
        return
    from engine.storage.scratch import scratch_schema

    assert pg_url is not None
    with scratch_schema(pg_url, "fw_bench") as url:
        yield url
