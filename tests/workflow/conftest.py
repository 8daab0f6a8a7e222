"""Fixtures of the workflow tests: the sales template's engine (not migrated)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.runtime.engine import Engine

SALES_APP = Path(__file__).resolve().parent.parent.parent / "apps" / "sales_crm"


@pytest.fixture(scope="module")
def sales_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The sales template loaded over an unused SQLite file."""
    folder = tmp_path_factory.mktemp("sales")
    engine = Engine.load(SALES_APP, database_url=f"sqlite:///{folder}/x.db", project_root=folder)
    yield engine
    engine.close()
