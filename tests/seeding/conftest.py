"""Fixtures of the seeding tests: the sales template's spec and demo recipe, recipes scaled
down for quick runs, and engines over the `database_url` databases with a fixed clock."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from engine.runtime.clock import FixedClock
from engine.runtime.engine import Engine
from engine.seeding import SeedSpec, load_recipe
from engine.spec.check import check_app
from engine.spec.model import AppSpec
from engine.spec.registry import Registry

ROOT = Path(__file__).resolve().parent.parent.parent
SALES_APP = ROOT / "apps" / "sales_crm"
ANCHOR = date(2026, 3, 2)
# 18:00 in Shanghai on the anchor day: every generated moment lies before it.
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
TEST_ITERATIONS = 1_000  # password hashing kept cheap in tests

EngineFactory = Callable[[str], Engine]


@pytest.fixture(scope="session")
def sales_app(project_registry: Registry) -> AppSpec:
    """The sales template's spec."""
    result = check_app(SALES_APP, project_registry)
    assert result.app is not None, result.diagnostics
    return result.app


@pytest.fixture(scope="session")
def sales_recipe(sales_app: AppSpec) -> SeedSpec:
    """The sales template's demo recipe, parsed and checked."""
    spec, diagnostics = load_recipe(SALES_APP, sales_app)
    assert spec is not None and diagnostics == [], [d.to_text() for d in diagnostics]
    return spec


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


@pytest.fixture
def make_engine(project_registry: Registry, tmp_path: Path) -> Iterator[EngineFactory]:
    """Open migrated sales engines over database URLs; closed after the test."""
    made: list[Engine] = []

    def make(url: str) -> Engine:
        engine = open_engine(url, project_registry, tmp_path)
        made.append(engine)
        return engine

    yield make
    for engine in made:
        engine.close()
