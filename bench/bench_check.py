"""Load + check + compile of an app folder, against parsing the same YAML with CSafeLoader."""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml

from bench.generate_app import line_count, write_app
from bench.harness import ROOT, Comparison, compare, write_section
from engine.plugins import default_registry
from engine.spec.check import check_app

INTRO = """### Load, check and compile an app folder (issue 2)

Subject: `check_app` — read every file, parse YAML with the source map, validate against the
JSON Schema, build the frozen spec, resolve every reference, and parse and type-check every
expression into the typed tree that the Python and SQL compilers walk. Baseline:
`yaml.load(text, Loader=yaml.CSafeLoader)` of the same files' text, already in memory (the
subject also reads the files). The plugin registry and the compiled schema validators are
built once per process and not timed.
Targets (issue 2): ≤ 8× the baseline, and ≤ 300 ms absolute for the sales template."""


def _raw_loader(folder: Path):  # type: ignore[no-untyped-def]
    texts = [p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*.yaml"))]

    def load_all() -> None:
        for text in texts:
            yaml.load(text, Loader=yaml.CSafeLoader)

    return load_all


def run() -> list[Comparison]:
    """Measure the template and a generated ~2,000-line app."""
    registry, problems = default_registry(ROOT)
    assert not problems, problems
    template = ROOT / "apps" / "sales_crm"
    generated = write_app(Path(tempfile.mkdtemp(prefix="formwork-bench-")) / "generated")
    rows = []
    for label, folder, absolute in (
        (f"sales template ({line_count(template)} lines)", template, 0.300),
        (f"generated app ({line_count(generated)} lines)", generated, None),
    ):
        result = check_app(folder, registry)
        assert result.ok, f"{folder} must check clean for the benchmark"
        rows.append(
            compare(
                f"load+check+compile {label}",
                "CSafeLoader parse",
                _raw_loader(folder),
                lambda folder=folder: check_app(folder, registry),
                repetitions=7,
                target_ratio=8.0,
                target_abs_s=absolute,
            )
        )
    print(write_section("check", INTRO, rows))
    return rows


if __name__ == "__main__":
    run()
