"""`check` looks into the app's database when it exists: records in a state the YAML removed
and `state_map:` does not map are an R211 error at the workflow's `states` key; a database
that cannot be read is a W123 warning; no database is never created."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from click.testing import CliRunner
from desk_app import APP, MAPPED, WITH_PENDING, WITHOUT_PENDING, fill

from engine.cli.main import main
from engine.runtime.actor import Actor
from engine.runtime.engine import Engine
from engine.spec.registry import Registry

Writer = Callable[[Mapping[str, str]], Path]


def check(app_dir: Path, env: Mapping[str, str | None], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        main, ["check", *args, str(app_dir)], env=dict(env), catch_exceptions=False
    )
    return result.exit_code, result.output


@pytest.fixture
def app_dir(
    write_app_folder: Writer, database_url: str, project_registry: Registry, tmp_path: Path
) -> Path:
    """The desk app migrated into `database_url` with one open and two pending tickets."""
    folder = write_app_folder({"app.yaml": APP, "entities/ticket.yaml": WITH_PENDING})
    fill(folder, database_url, project_registry, tmp_path)
    return folder


def test_a_removed_state_in_use_is_an_error_at_the_states_key(
    app_dir: Path, database_url: str
) -> None:
    (app_dir / "entities" / "ticket.yaml").write_text(WITHOUT_PENDING, encoding="utf-8")
    code, output = check(app_dir, {"DATABASE_URL": database_url}, "--format", "json")
    assert code == 1
    [found] = json.loads(output)["diagnostics"]
    assert found["code"] == "R211"
    assert found["severity"] == "error"
    assert found["file"] == (app_dir / "entities" / "ticket.yaml").as_posix()
    assert (found["line"], found["col"], found["pointer"]) == (9, 3, "/workflow/states")
    assert "2 'ticket' record(s) in the database are in state 'pending'" in found["message"]
    assert "state_map: {pending: <new state>}" in found["hint"]


def test_a_state_map_or_an_unchanged_workflow_is_clean(app_dir: Path, database_url: str) -> None:
    assert check(app_dir, {"DATABASE_URL": database_url})[0] == 0
    (app_dir / "entities" / "ticket.yaml").write_text(MAPPED, encoding="utf-8")
    assert check(app_dir, {"DATABASE_URL": database_url})[0] == 0


def test_without_a_database_nothing_is_looked_for_or_created(
    write_app_folder: Writer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_app_folder({"app.yaml": APP, "entities/ticket.yaml": WITHOUT_PENDING})
    monkeypatch.chdir(tmp_path)
    code, output = check(folder, {"DATABASE_URL": None})
    assert code == 0, output
    assert not (tmp_path / "instance").exists()


def test_the_default_sqlite_file_is_used_when_it_exists(
    write_app_folder: Writer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    folder = write_app_folder({"app.yaml": APP, "entities/ticket.yaml": WITH_PENDING})
    engine = Engine.load(folder, project_root=tmp_path)  # instance/desk.db under tmp_path
    try:
        engine.migrate()
        record = engine.records.create(Actor.system(), "ticket", {"title": "t"})
        table = engine.tables.entity("ticket")
        with engine.db.begin() as connection:
            connection.execute(
                table.update().where(table.c.id == record.id).values(status="pending")
            )
    finally:
        engine.close()
    (folder / "entities" / "ticket.yaml").write_text(WITHOUT_PENDING, encoding="utf-8")
    code, output = check(folder, {"DATABASE_URL": None})
    assert code == 1
    assert "error R211 /workflow/states" in output


def test_an_unreadable_database_is_a_warning(write_app_folder: Writer) -> None:
    folder = write_app_folder({"app.yaml": APP, "entities/ticket.yaml": WITH_PENDING})
    code, output = check(folder, {"DATABASE_URL": "nosuchdriver://x/y"})
    assert code == 0
    assert "warning W123" in output
    assert "were not looked for" in output
