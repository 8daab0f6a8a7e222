"""`formwork users teams edit`: rename, move (including to the top level with `--root`)
and re-head a team, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from runtime_support import ROOT, SALES_APP

from engine.cli.context import CliContext
from engine.cli.users import users
from engine.runtime.engine import Engine
from engine.spec.registry import Registry


class Teams:
    """The sales template migrated into the test database, with Sales ⊃ East and a user."""

    def __init__(self, url: str, registry: Registry, folder: Path) -> None:
        self.url = url
        self.cli = CliContext(ROOT, _registry=(registry, []))
        self.engine = Engine.load(
            SALES_APP, database_url=url, project_root=folder, registry=registry
        )
        self.engine.migrate()
        people = self.engine.people
        people.create_user("manager_east")
        self.sales = people.create_team("Sales")
        self.east = people.create_team("East", parent_id=self.sales.id)

    def run(self, *args: str) -> Result:
        arguments = ["teams", "edit", *args, "--app", str(SALES_APP), "--database-url", self.url]
        return CliRunner().invoke(users, arguments, obj=self.cli)


@pytest.fixture
def teams(database_url: str, project_registry: Registry, tmp_path: Path) -> Iterator[Teams]:
    made = Teams(database_url, project_registry, tmp_path)
    yield made
    made.engine.close()


def test_root_takes_a_team_to_the_top_and_parent_puts_it_back(teams: Teams) -> None:
    people = teams.engine.people
    result = teams.run("East", "--root")
    assert result.exit_code == 0, result.output
    assert result.output == f"Team 'East' (id {teams.east.id}): at the top.\n"
    assert people.get_team(teams.east.id).parent_id is None
    result = teams.run(str(teams.east.id), "--parent", "Sales", "--manager", "manager_east")
    assert result.exit_code == 0, result.output
    assert result.output == f"Team 'East' (id {teams.east.id}): under 'Sales', head manager_east.\n"
    assert people.get_team(teams.east.id).parent_id == teams.sales.id


def test_what_is_not_given_stays(teams: Teams) -> None:
    result = teams.run("East", "--name", "East China")
    assert result.exit_code == 0, result.output
    team = teams.engine.people.get_team(teams.east.id)
    assert (team.name, team.parent_id) == ("East China", teams.sales.id)


def test_refusals_say_why(teams: Teams) -> None:
    both = teams.run("East", "--root", "--parent", "Sales")
    assert both.exit_code == 2 and "--parent and --root exclude each other" in both.output
    loop = teams.run("Sales", "--parent", "East")
    assert loop.exit_code == 1 and "cannot be moved under itself" in loop.output
    unknown = teams.run("Nowhere", "--root")
    assert unknown.exit_code == 1 and "no team named 'Nowhere'" in unknown.output
    assert teams.engine.people.get_team(teams.sales.id).parent_id is None
