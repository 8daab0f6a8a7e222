"""The demo seed of an app folder: find and check `seed/demo.yaml`, plan it and apply it.

`seed_demo` is what `formwork seed APP_DIR --demo` runs. Dates hang from the recipe's
`anchor` (a fixed date) or, with `anchor: today`, from today in the app's time zone by the
engine's clock; the same recipe and anchor give the same data on every run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from engine.diagnostics import Diagnostic
from engine.runtime.engine import Engine
from engine.seeding.apply import Progress, SeedReport, apply_people, apply_plan
from engine.seeding.generate import Plan, generate_plan
from engine.seeding.recipe import SeedSpec, parse_recipe
from engine.seeding.recipe_checks import validate_recipe
from engine.spec.model import AppSpec

__all__ = ["DEMO_RECIPE", "SeedRun", "anchor_of", "load_recipe", "seed_demo"]

DEMO_RECIPE = "seed/demo.yaml"


@dataclass(frozen=True)
class SeedRun:
    """A finished seed: what it changed and the plan it followed."""

    report: SeedReport
    plan: Plan


def load_recipe(app_dir: Path, app: AppSpec) -> tuple[SeedSpec | None, list[Diagnostic]]:
    """Read, parse and check the app's demo recipe (None and diagnostics when it is wrong)."""
    path = Path(app_dir) / DEMO_RECIPE
    if not path.is_file():
        message = f"the app has no demo data: {DEMO_RECIPE} is missing"
        return None, [Diagnostic("D100", message, DEMO_RECIPE)]
    spec, diagnostics = parse_recipe(path.read_text(encoding="utf-8"), DEMO_RECIPE)
    if spec is None:
        return None, diagnostics
    problems = validate_recipe(spec, app)
    return (None, problems) if problems else (spec, [])


def anchor_of(spec: SeedSpec, engine: Engine, anchor: date | None = None) -> date:
    """The date the recipe's dates hang from: `anchor`, the recipe's, or today (app time)."""
    if anchor is not None:
        return anchor
    if spec.anchor is not None:
        return spec.anchor
    return engine.clock.now().astimezone(ZoneInfo(engine.app.timezone or "UTC")).date()


def seed_demo(
    engine: Engine,
    spec: SeedSpec,
    *,
    anchor: date | None = None,
    progress: Progress | None = None,
) -> SeedRun:
    """Create the recipe's people and records that are not there yet."""
    plan = generate_plan(spec, engine.app, anchor=anchor_of(spec, engine, anchor))
    report = SeedReport()
    apply_people(engine, spec, report)
    apply_plan(engine, plan, report, progress)
    return SeedRun(report, plan)
