"""`formwork migrate` and records in a state the YAML removed: refused with a sentence per
state (nothing changed), shown in the dry run when `state_map:` maps it, then moved with a
`state_migrated` history entry."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from desk_app import APP, MAPPED, WITH_PENDING, WITHOUT_PENDING, fill

from engine.cli.main import main
from engine.runtime.actor import Actor
from engine.runtime.engine import Engine
from engine.spec.registry import Registry

Writer = Callable[[Mapping[str, str]], Path]


def migrate(app_dir: Path, url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        main, ["migrate", str(app_dir), "--database-url", url, *args], catch_exceptions=False
    )
    return result.exit_code, result.output


def states(url: str) -> list[tuple[str, int]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            query = "SELECT status, version FROM desk__ticket ORDER BY id"
            return [(row[0], row[1]) for row in connection.execute(sa.text(query))]
    finally:
        engine.dispose()


@pytest.fixture
def app_dir(
    write_app_folder: Writer, database_url: str, project_registry: Registry, tmp_path: Path
) -> Path:
    folder = write_app_folder({"app.yaml": APP, "entities/ticket.yaml": WITH_PENDING})
    fill(folder, database_url, project_registry, tmp_path)
    return folder


def write(app_dir: Path, ticket: str) -> None:
    (app_dir / "entities" / "ticket.yaml").write_text(ticket, encoding="utf-8")


def test_an_unmapped_state_in_use_is_refused_and_nothing_changes(
    app_dir: Path, database_url: str
) -> None:
    before = states(database_url)
    write(app_dir, WITHOUT_PENDING)
    code, output = migrate(app_dir, database_url)
    assert code == 1
    assert (
        "  ! 2 'ticket' record(s) are in state 'pending', which the workflow no longer has: "
        "add `state_map: {pending: <new state>}` to the workflow of 'ticket'" in output
    )
    assert output.splitlines()[-1] == "Nothing was changed."
    assert states(database_url) == before
    code, output = migrate(app_dir, database_url, "--dry-run")
    assert code == 0
    assert "Dry run: nothing was changed; migrate would refuse." in output


def test_a_mapped_state_is_planned_then_moved_with_history(
    app_dir: Path, database_url: str, project_registry: Registry, tmp_path: Path
) -> None:
    before = states(database_url)
    assert [s for s, _ in before] == ["open", "pending", "pending"]
    write(app_dir, MAPPED)
    line = (
        "  ~ move 2 'ticket' record(s) from state 'pending' to 'open' "
        "(state_map; history: state_migrated)"
    )
    code, output = migrate(app_dir, database_url, "--dry-run")
    assert (code, line in output.splitlines()) == (0, True)
    assert "between states (state_map)" not in output  # the bare storage step is not shown
    assert states(database_url) == before
    code, output = migrate(app_dir, database_url)
    assert code == 0, output
    assert "Moved 2 record(s) to their mapped states" in output
    assert states(database_url) == [
        ("open", before[0][1]),
        ("open", before[1][1] + 1),
        ("open", before[2][1] + 1),
    ]
    engine = Engine.load(
        app_dir, database_url=database_url, project_root=tmp_path, registry=project_registry
    )
    try:
        last = engine.records.history(Actor.system(), "ticket", 2)[-1]
    finally:
        engine.close()
    assert (last.kind, last.by) == ("state_migrated", None)
    assert last.changes == {"status": ["pending", "open"]}
    code, output = migrate(app_dir, database_url)
    assert code == 0
    assert "Moved" not in output
