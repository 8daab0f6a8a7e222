"""Fixtures shared by every test package: a database URL per database kind, the project's
plugin registry, and small app folders written into tmp_path.

`database_url` runs a test once on SQLite (a file in tmp_path) and once on PostgreSQL when
FORMWORK_TEST_DATABASE_URL is set (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test).
Each PostgreSQL test gets a schema of its own, created empty and dropped (CASCADE) after
the test; the URL carries `options=-csearch_path=<schema>`, so whatever connects with it —
a `Database`, the CLI — works inside that schema and never sees what the server holds.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from engine.plugins import default_registry
from engine.spec.check import check_app
from engine.spec.model import AppSpec
from engine.spec.registry import Registry
from engine.storage.database import Database
from engine.storage.scratch import scratch_schema

ROOT = Path(__file__).resolve().parent.parent
TEST_DATABASE_ENV = "FORMWORK_TEST_DATABASE_URL"


def _postgres_schema_url(base: str) -> Iterator[str]:
    with scratch_schema(base, "fw_test") as url:
        yield url


def _database_url(kind: str, folder: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{(folder / 'formwork.db').as_posix()}"
        return
    base = os.environ.get(TEST_DATABASE_ENV)
    if not base:
        pytest.skip(f"{TEST_DATABASE_ENV} is not set: the PostgreSQL run is skipped")
    yield from _postgres_schema_url(base)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database: SQLite in tmp_path, or a fresh PostgreSQL schema."""
    yield from _database_url(request.param, tmp_path)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Like `database_url`, shared by the tests of one module (for read-only tests)."""
    yield from _database_url(request.param, tmp_path_factory.mktemp("database"))


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """A `Database` on `database_url`, disposed after the test."""
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def project_registry() -> Registry:
    """The registry of this project (built-ins and plugins/)."""
    registry, problems = default_registry(ROOT)
    assert problems == [], problems
    return registry


AppWriter = Callable[[Mapping[str, str]], Path]


@pytest.fixture
def write_app_folder(tmp_path: Path) -> AppWriter:
    """Write an app folder (relative path → YAML, dedented) into tmp_path/app; files
    written earlier stay unless given again, so a test can change an app step by step."""
    folder = tmp_path / "app"

    def write(files: Mapping[str, str]) -> Path:
        for name, text in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return folder

    return write


@pytest.fixture
def load_spec(project_registry: Registry) -> Callable[[Path], AppSpec]:
    """Check an app folder that must be free of errors and return its spec."""

    def load(app_dir: Path) -> AppSpec:
        result = check_app(app_dir, project_registry)
        assert result.ok and result.app is not None, [str(d) for d in result.diagnostics]
        return result.app

    return load
