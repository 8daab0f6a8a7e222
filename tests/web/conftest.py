"""Fixtures shared by the web tests (UI and API): the sales template migrated into a SQLite
database in tmp_path, with demo-like people (`web_support.add_demo_people`), a Flask app
around it, and test clients logged in as any of those people."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from automation_web_support import desk_app, desk_engine
from flask import Flask
from flask.testing import FlaskClient
from web_support import (
    CSRF_TOKEN,
    SALES_APP,
    START,
    TEST_ITERATIONS,
    ClientFactory,
    add_demo_people,
)

from engine.runtime.clock import FixedClock
from engine.runtime.engine import Engine
from engine.spec.check import check_app
from engine.spec.model import AppSpec
from engine.spec.registry import Registry
from engine.storage.database import Database
from engine.web import create_app


@pytest.fixture
def web_clock() -> FixedClock:
    """The clock of the web engine, standing at START (tests may advance it)."""
    return FixedClock(START)


@dataclass(frozen=True)
class WebTemplate:
    """The checked sales spec and a database file already migrated and peopled."""

    app: AppSpec
    database: Path


@pytest.fixture(scope="session")
def web_template(
    tmp_path_factory: pytest.TempPathFactory, project_registry: Registry
) -> WebTemplate:
    """Check the sales template once and prepare one database that tests copy (checking,
    migrating and adding people for every test would cost about a second each)."""
    result = check_app(SALES_APP, project_registry)
    assert result.app is not None and result.ok, [str(d) for d in result.diagnostics]
    folder = tmp_path_factory.mktemp("web_template")
    database = folder / "web.db"
    engine = _engine(result.app, project_registry, database, FixedClock(START), folder)
    engine.migrate()
    add_demo_people(engine)
    engine.close()
    return WebTemplate(result.app, database)


def _engine(
    app: AppSpec, registry: Registry, database: Path, clock: FixedClock, folder: Path
) -> Engine:
    return Engine(
        app,
        registry,
        Database(f"sqlite:///{database.as_posix()}"),
        clock=clock,
        instance_path=folder / "instance",
        password_iterations=TEST_ITERATIONS,
    )


@pytest.fixture
def web_engine(
    tmp_path: Path, project_registry: Registry, web_clock: FixedClock, web_template: WebTemplate
) -> Iterator[Engine]:
    """The sales template over a fresh SQLite file, migrated, with the demo people."""
    database = tmp_path / "web.db"
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{web_template.database}{suffix}")
        if source.exists():
            shutil.copyfile(source, f"{database}{suffix}")
    engine = _engine(web_template.app, project_registry, database, web_clock, tmp_path)
    yield engine
    engine.close()


@pytest.fixture
def web_app(web_engine: Engine, tmp_path: Path) -> Flask:
    """The Flask app serving `web_engine` (TESTING, a fixed secret key)."""
    config = {"TESTING": True, "SECRET_KEY": "test-secret", "PROJECT_ROOT": str(tmp_path)}
    return create_app(test_config=config, engine=web_engine)


@pytest.fixture
def client_for(web_app: Flask) -> ClientFactory:
    """A new test client whose session is logged in as `username` (no password round) and
    holds the CSRF token of the `csrf` fixture."""
    from engine.web.auth import SESSION_CSRF, SESSION_USER

    def make(username: str) -> FlaskClient:
        client = web_app.test_client()
        with client.session_transaction() as session:
            session[SESSION_USER] = username
            session[SESSION_CSRF] = CSRF_TOKEN
        return client

    return make


@pytest.fixture
def client(client_for: ClientFactory) -> FlaskClient:
    """A test client logged in as `admin`."""
    return client_for("admin")


@pytest.fixture
def anonymous(web_app: Flask) -> FlaskClient:
    """A test client that is not logged in."""
    return web_app.test_client()


@pytest.fixture
def csrf() -> str:
    """The CSRF token the sessions of `client_for` hold (send it as `csrf_token`)."""
    return CSRF_TOKEN


@pytest.fixture
def desk(database_url: str, project_registry: Registry, tmp_path: Path) -> Iterator[Engine]:
    """The small desk app of the automation web tests (`automation_web_support`), migrated
    into `database_url`, with its people."""
    engine = desk_engine(
        tmp_path / "desk", database_url, project_registry, FixedClock(START), tmp_path
    )
    yield engine
    engine.close()


@pytest.fixture
def desk_web(desk: Engine, tmp_path: Path) -> Flask:
    """The Flask app around `desk`."""
    return desk_app(desk, tmp_path)
