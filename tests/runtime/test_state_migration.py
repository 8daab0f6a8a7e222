"""Records in states the YAML removed: `migrate` refuses them untouched unless
`state_map:` maps the state, and then moves them with history, a new version and their
open approval step closed (`engine.runtime.state_migration`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from runtime_support import TEST_ITERATIONS
from state_map_app import files

from engine.runtime.actor import Actor
from engine.runtime.clock import FixedClock
from engine.runtime.engine import Engine
from engine.runtime.state_migration import StatesStranded
from engine.runtime.workflow_service import ActionRequest
from engine.spec.registry import Registry

Writer = Callable[[Mapping[str, str]], Path]
Loader = Callable[[Path], Engine]
SYSTEM = Actor.system()


@pytest.fixture
def load(
    database_url: str, clock: FixedClock, project_registry: Registry, tmp_path: Path
) -> Iterator[Loader]:
    """Load (without migrating) the app folder over the test database."""
    made: list[Engine] = []

    def make(app_dir: Path) -> Engine:
        engine = Engine.load(
            app_dir, database_url=database_url, clock=clock, project_root=tmp_path,
            registry=project_registry, password_iterations=TEST_ITERATIONS,
        )  # fmt: skip
        made.append(engine)
        return engine

    yield make
    for engine in made:
        engine.close()


@pytest.fixture
def tickets(write_app_folder: Writer, load: Loader) -> dict[str, int]:
    """Version 1 migrated, with a ticket in each state: `open`, `pending` (one live, one
    deleted) and `review` (its approval step open)."""
    engine = load(write_app_folder(files(removed=False)))
    engine.migrate()
    for name in ("ann", "bob"):
        engine.people.create_user(name, locale="en")
        engine.people.grant_role("desk", name, "agent")
    ann = engine.actor("ann")

    def ticket(title: str, *actions: str) -> int:
        record_id = engine.records.create(ann, "ticket", {"title": title}).id
        for action in actions:
            engine.workflows.act(ann, "ticket", record_id, action, ActionRequest())
        return record_id

    made = {
        "open": ticket("stays open"),
        "pending": ticket("waits", "wait"),
        "deleted": ticket("waits, deleted", "wait"),
        "review": ticket("in review", "submit"),
    }
    version = engine.records.get(SYSTEM, "ticket", made["deleted"]).version
    engine.records.delete(ann, "ticket", made["deleted"], version=version)
    return made


def snapshot(engine: Engine, ids: Mapping[str, int]) -> dict[str, tuple[Any, ...]]:
    """State, version and number of history entries of every ticket (deleted ones too)."""
    table = engine.tables.entity("ticket")
    found = {}
    with engine.db.begin(readonly=True) as connection:
        for key, record_id in ids.items():
            row = connection.execute(table.select().where(table.c.id == record_id)).one()
            history = engine.records.history(SYSTEM, "ticket", record_id)
            found[key] = (row.status, row.version, len(history))
    return found


def test_unmapped_removed_states_refuse_the_migration_and_change_nothing(
    tickets: dict[str, int], write_app_folder: Writer, load: Loader
) -> None:
    before = snapshot(load(write_app_folder(files(removed=False))), tickets)
    engine = load(write_app_folder(files(removed=True)))
    with pytest.raises(StatesStranded) as refused:
        engine.migrate()
    message = str(refused.value)
    assert "nothing was changed" in message
    assert (
        "2 'ticket' record(s) are in state 'pending', which the workflow no longer has: "
        "add `state_map: {pending: <new state>}` to the workflow of 'ticket'" in message
    )
    assert "1 'ticket' record(s) are in state 'review'" in message
    assert [s.state for s in refused.value.stranded] == ["pending", "review"]
    assert snapshot(engine, tickets) == before


def test_a_partial_map_still_refuses_everything(
    tickets: dict[str, int], write_app_folder: Writer, load: Loader
) -> None:
    before = snapshot(load(write_app_folder(files(removed=False))), tickets)
    engine = load(write_app_folder(files(removed=True, state_map="{pending: open}")))
    with pytest.raises(StatesStranded) as refused:
        engine.migrate()
    assert [s.state for s in refused.value.stranded] == ["review"]
    assert snapshot(engine, tickets) == before


def test_mapped_states_move_their_records_with_history_and_a_new_version(
    tickets: dict[str, int], write_app_folder: Writer, load: Loader
) -> None:
    before = snapshot(load(write_app_folder(files(removed=False))), tickets)
    mapped = files(removed=True, state_map="{pending: open, review: closed}")
    engine = load(write_app_folder(mapped))
    engine.migrate()
    after = snapshot(engine, tickets)
    assert after["open"] == before["open"]
    for key, target in (("pending", "open"), ("deleted", "open"), ("review", "closed")):
        old_state, version, entries = before[key]
        assert after[key] == (target, version + 1, entries + 1)
        last = engine.records.history(SYSTEM, "ticket", tickets[key])[-1]
        assert last.kind == "state_migrated"
        assert last.changes == {"status": [old_state, target]}
        assert dict(last.details) == {"from": old_state, "to": target, "reason": "state_map"}
    [trail] = engine.workflows.trail(SYSTEM, "ticket", tickets["review"])
    assert trail.step.state == "review"
    assert trail.step.status == "left"
    assert {task.status for task in trail.tasks} == {"cancelled"}
    # done once: a second migrate finds nothing left to move
    engine.migrate()
    assert snapshot(engine, tickets) == after
