"""`formwork users …` through click's CliRunner, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from runtime_support import ROOT, SALES_APP

from engine.cli.context import CliContext
from engine.cli.users import users
from engine.runtime.engine import Engine
from engine.spec.registry import Registry

Run = Callable[..., Result]


@pytest.fixture
def run(project_registry: Registry) -> Run:
    """Invoke `users …` against a database URL (the registry is built once per test run)."""
    cli = CliContext(ROOT, _registry=(project_registry, []))

    def invoke(url: str, *args: str, input: str | None = None) -> Result:
        arguments = [*args, "--app", str(SALES_APP), "--database-url", url]
        return CliRunner().invoke(users, arguments, obj=cli, input=input)

    return invoke


@pytest.fixture
def migrated(database_url: str, project_registry: Registry, tmp_path: Path) -> str:
    """The sales template's tables in the test database."""
    engine = Engine.load(
        SALES_APP, database_url=database_url, project_root=tmp_path, registry=project_registry
    )
    engine.migrate()
    engine.close()
    return database_url


def engine_on(url: str, project_registry: Registry, tmp_path: Path) -> Engine:
    return Engine.load(
        SALES_APP, database_url=url, project_root=tmp_path, registry=project_registry
    )


def test_teams_and_users_are_added_and_listed(migrated: str, run: Run) -> None:
    assert run(migrated, "teams", "add", "Sales").output == "Added team 'Sales' (id 1).\n"
    assert run(migrated, "add", "manager_east", "--name", "Wang", "--role", "sales_manager",
               "--team", "Sales").exit_code == 0  # fmt: skip
    added = run(migrated, "teams", "add", "East", "--parent", "Sales", "--manager", "manager_east")
    assert added.exit_code == 0, added.output
    result = run(
        migrated, "add", "rep_east_1", "--name", "Li Lei", "--email", "li@example.com",
        "--role", "sales_rep", "--team", "East", "--locale", "zh",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output == "Added user 'rep_east_1' with roles sales_rep.\n"
    assert run(migrated, "add", "root", "--admin").output == "Added user 'root'.\n"
    listing = run(migrated, "list")
    assert listing.exit_code == 0
    assert listing.output.splitlines() == [
        "USERNAME      NAME    TEAM   ROLES          FLAGS",
        "manager_east  Wang    Sales  sales_manager",
        "rep_east_1    Li Lei  East   sales_rep",
        "root                                        admin",
    ]
    tree = run(migrated, "teams", "list")
    assert tree.output == "Sales [id 1]\n  East [id 2]  (head: manager_east)\n"


def test_roles_are_granted_and_taken_away(migrated: str, run: Run) -> None:
    run(migrated, "add", "ann", "--role", "sales_rep")
    granted = run(migrated, "roles", "ann", "--add", "finance", "--remove", "sales_rep")
    assert granted.exit_code == 0 and granted.output == "ann: finance\n"
    assert run(migrated, "roles", "ann").output == "ann: finance\n"
    unknown = run(migrated, "roles", "ann", "--add", "sales_reps")
    assert unknown.exit_code == 2
    assert "'sales_reps' is not a role of app 'sales_crm'" in unknown.output
    assert "did you mean 'sales_rep'?" in unknown.output


def test_passwords_are_set_and_prompted(
    migrated: str, run: Run, project_registry: Registry, tmp_path: Path
) -> None:
    assert run(migrated, "add", "ann", "--password", "first").exit_code == 0
    changed = run(migrated, "passwd", "ann", input="second\nsecond\n")
    assert changed.exit_code == 0 and changed.output.endswith("Password of 'ann' changed.\n")
    engine = engine_on(migrated, project_registry, tmp_path)
    try:
        assert engine.people.verify_password("ann", "second") is True
        assert engine.people.verify_password("ann", "first") is False
    finally:
        engine.close()


def test_refusals_exit_with_1_and_a_message(migrated: str, run: Run) -> None:
    run(migrated, "add", "ann")
    again = run(migrated, "add", "ann")
    assert again.exit_code == 1 and "error: the user 'ann' already exists" in again.output
    missing = run(migrated, "add", "bob", "--team", "Nowhere")
    assert missing.exit_code == 1 and "no team named 'Nowhere'" in missing.output
    assert run(migrated, "passwd", "ghost", "--password", "x").exit_code == 1


def test_an_unmigrated_database_is_explained(run: Run, tmp_path: Path) -> None:
    result = run(f"sqlite:///{tmp_path / 'empty.db'}", "list")
    assert result.exit_code == 1
    assert "has it been migrated" in result.output
