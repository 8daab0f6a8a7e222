"""`formwork users team / deactivate / activate` change memberships through the people
service, so the app's `membership` rules run (and a failing one refuses the change, exit
status 1). SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from automation_app import files, live
from click.testing import CliRunner, Result
from runtime_support import ROOT, TEST_ITERATIONS

from engine.cli.context import CliContext
from engine.cli.users import users
from engine.runtime.engine import Engine
from engine.spec.registry import Registry

LOG = """
triggers:
  - {type: membership}
conditions:
  - "event.team.name != 'Closed' or event.change == 'left'"
actions:
  - type: create
    entity: task
    values: {name: "=concat(event.change, ' ', event.member.username, ' ', event.team.name)"}
"""

CLOSED = """
triggers:
  - {type: membership, change: joined, team: Closed}
actions:
  - {type: lookup, table: prices, inputs: {amount: -1}, as: price}
"""

Run = Callable[..., Result]


@pytest.fixture
def app_dir(write_app_folder: Callable[..., Path]) -> Path:
    return write_app_folder(files(log=LOG, closed=CLOSED))


@pytest.fixture
def engine(
    app_dir: Path, database_url: str, project_registry: Registry, tmp_path: Path
) -> Iterator[Engine]:
    engine = Engine.load(
        app_dir, database_url=database_url, project_root=tmp_path, registry=project_registry,
        password_iterations=TEST_ITERATIONS,
    )  # fmt: skip
    engine.migrate()
    engine.people.create_team("Sales")
    engine.people.create_team("Closed")
    engine.people.create_user("ann")
    yield engine
    engine.close()


@pytest.fixture
def run(project_registry: Registry, app_dir: Path, database_url: str) -> Run:
    cli = CliContext(ROOT, _registry=(project_registry, []))

    def invoke(*args: str) -> Result:
        arguments = [*args, "--app", str(app_dir), "--database-url", database_url]
        return CliRunner().invoke(users, arguments, obj=cli)

    return invoke


def names(engine: Engine) -> list[str]:
    return [str(task["name"]) for task in live(engine, "task")]


def test_moving_deactivating_and_reactivating(engine: Engine, run: Run) -> None:
    assert run("team", "ann", "Sales").output == "'ann' is now in team 'Sales'.\n"
    assert run("deactivate", "ann").output == "'ann' is deactivated.\n"
    assert run("activate", "ann").output == "'ann' is active again.\n"
    assert run("team", "ann", "--none").output == "'ann' is now in no team.\n"
    assert names(engine) == ["joined ann Sales", "left ann Sales", "joined ann Sales",
                             "left ann Sales"]  # fmt: skip


def test_a_failing_rule_refuses_the_move(engine: Engine, run: Run) -> None:
    run("team", "ann", "Sales")
    result = run("team", "ann", "Closed")
    assert result.exit_code == 1
    assert "the automation 'closed' failed" in result.output
    assert engine.people.get_user("ann").team_id == engine.people.team_by_name("Sales").id
    assert names(engine) == ["joined ann Sales"]


def test_a_team_or_none_must_be_given(run: Run, engine: Engine) -> None:
    assert run("team", "ann").exit_code == 2
    assert run("team", "ann", "Sales", "--none").exit_code == 2
