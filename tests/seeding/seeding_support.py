"""Helpers the seeding tests import by name (fixtures stay in conftest.py, which pytest
loads itself and tests never import): the sales template, the fixed anchor day and clock,
recipes scaled down for quick runs, and migrated engines over any database URL."""

from __future__ import annotations

import dataclasses
import re
import shutil
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from engine.runtime.clock import FixedClock
from engine.runtime.engine import Engine
from engine.seeding import SeedSpec
from engine.spec.registry import Registry

ROOT = Path(__file__).resolve().parent.parent.parent
SALES_APP = ROOT / "apps" / "sales_crm"
ANCHOR = date(2026, 3, 2)
# 18:00 in Shanghai on the anchor day: every generated moment lies before it.
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
TEST_ITERATIONS = 1_000  # password hashing kept cheap in tests

EngineFactory = Callable[[str], Engine]
"""The type of the `make_engine` fixture: database URL → migrated sales engine."""


def scaled(spec: SeedSpec, divisor: int) -> SeedSpec:
    """The recipe with its `count`s divided (the `each` recipes follow their parents)."""
    recipes = tuple(
        dataclasses.replace(recipe, count=recipe.count // divisor) for recipe in spec.recipes
    )
    return dataclasses.replace(spec, recipes=recipes)


def open_engine(url: str, registry: Registry, root: Path, app_dir: Path = SALES_APP) -> Engine:
    """The sales app over `url`, migrated, with a clock standing at NOW."""
    engine = Engine.load(
        app_dir,
        database_url=url,
        clock=FixedClock(NOW),
        project_root=root,
        registry=registry,
        password_iterations=TEST_ITERATIONS,
    )
    engine.migrate()
    return engine


def small_sales_app(folder: Path, divisor: int = 100) -> Path:
    """A copy of the sales template in `folder` whose demo recipe's counts are divided by
    `divisor` (a quick seed); tests may then change its files."""
    shutil.copytree(SALES_APP, folder)
    recipe = folder / "seed" / "demo.yaml"
    text = recipe.read_text(encoding="utf-8")
    text = re.sub(
        r"^    count: (\d+)$",
        lambda m: f"    count: {int(m[1]) // divisor}",
        text,
        flags=re.MULTILINE,
    )
    recipe.write_text(text, encoding="utf-8")
    return folder
