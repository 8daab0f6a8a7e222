"""Fixtures of the runtime tests: a fixed clock, engines over the shop test app and the
sales template (migrated into the `database_url` database), and people to act as
(helpers the tests import: `runtime_support`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from runtime_support import START, TEST_ITERATIONS, EngineFactory
from shop_app import FILES

from engine.runtime.clock import FixedClock
from engine.runtime.engine import Engine
from engine.spec.registry import Registry


@pytest.fixture
def clock() -> FixedClock:
    """A clock standing at START."""
    return FixedClock(START)


@pytest.fixture
def make_engine(
    clock: FixedClock, project_registry: Registry, tmp_path: Path
) -> Iterator[EngineFactory]:
    """Load and migrate an app over a database URL; engines are closed after the test."""
    made: list[Engine] = []

    def make(app_dir: Path, url: str) -> Engine:
        engine = Engine.load(
            app_dir,
            database_url=url,
            clock=clock,
            project_root=tmp_path,
            registry=project_registry,
            password_iterations=TEST_ITERATIONS,
        )
        engine.migrate()
        made.append(engine)
        return engine

    yield make
    for engine in made:
        engine.close()


@pytest.fixture
def shop(
    make_engine: EngineFactory, write_app_folder: Callable[..., Path], database_url: str
) -> Engine:
    """The shop app, migrated, with a team tree and people:
    Store (head: boss) ⊃ Floor (head: lead_ann; clerks ann, bob); Depot (clerk: cy);
    auditor: audrey; admin: root."""
    engine = make_engine(write_app_folder(FILES), database_url)
    people = engine.people
    people.create_user("boss")
    store = people.create_team("Store", manager="boss")
    floor = people.create_team("Floor", parent_id=store.id)
    depot = people.create_team("Depot", parent_id=store.id)
    people.create_user("lead_ann", team_id=floor.id, locale="en")
    people.update_team(floor.id, manager="lead_ann")
    for name, team, locale in (("ann", floor, "en"), ("bob", floor, "zh"), ("cy", depot, "en")):
        people.create_user(name, team_id=team.id, locale=locale)
        people.grant_role("shop", name, "clerk")
    people.grant_role("shop", "lead_ann", "lead")
    people.create_user("audrey", locale="en")
    people.grant_role("shop", "audrey", "auditor")
    people.create_user("root", is_admin=True, locale="en")
    return engine
