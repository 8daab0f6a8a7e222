"""Fixtures of the seeding tests: the sales template's spec and demo recipe, and engines
over the `database_url` databases with a fixed clock (helpers: `seeding_support`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from seeding_support import SALES_APP, EngineFactory, open_engine

from engine.runtime.engine import Engine
from engine.seeding import SeedSpec, load_recipe
from engine.spec.check import check_app
from engine.spec.model import AppSpec
from engine.spec.registry import Registry


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
