"""Fixtures of the spec tests: the project's registry and fresh copies of the minimal app
(`minimal_app.MINIMAL`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from minimal_app import ROOT, write_app

from engine.plugins import default_registry


@pytest.fixture(scope="session")
def registry() -> Any:
    """The default registry (built-ins and the project's plugins)."""
    reg, problems = default_registry(ROOT)
    assert not problems, problems
    return reg


@pytest.fixture
def make_app(tmp_path: Path) -> Callable[..., Path]:
    """Write MINIMAL, changed by keyword `files`, into a fresh folder."""
    counter = iter(range(1000))

    def make(files: dict[str, str | None] | None = None) -> Path:
        return write_app(tmp_path / f"app{next(counter)}", files or {})

    return make
