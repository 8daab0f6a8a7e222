"""`formwork migrate`: the plan, dry runs, refusals, exit codes and where the database is."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from engine.cli.migrate import migrate

APP = "app: notes\ntitle: Notes\nlocales: [en]\nroles:\n  clerk: {label: Clerk}\n"
NOTE = """
    entity: note
    label: Note
    fields:
      title: {type: text}
      body: {type: long_text}
    permissions:
      clerk: {read: all}
    """
Writer = Callable[[Mapping[str, str]], Path]


def run(*args: str, env: Mapping[str, str | None] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(migrate, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.output


def tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return set(sa.inspect(connection).get_table_names())
    finally:
        engine.dispose()


@pytest.fixture
def app_dir(write_app_folder: Writer) -> Path:
    return write_app_folder({"app.yaml": APP, "entities/note.yaml": NOTE})


def test_a_dry_run_prints_the_plan_and_changes_nothing(app_dir: Path, database_url: str) -> None:
    code, output = run(str(app_dir), "--dry-run", "--database-url", database_url)
    assert code == 0
    lines = output.splitlines()
    assert lines[0].startswith("Migration plan for app 'notes' (")
    assert (
        "+ create table notes__note for new entity 'note' (2 field column(s), 1 index(es))" in lines
    )
    assert lines[-1] == "Dry run: nothing was changed."
    assert tables(database_url) == set()


def test_migrating_applies_the_plan_once(app_dir: Path, database_url: str) -> None:
    code, output = run(str(app_dir), "--database-url", database_url)
    assert code == 0
    assert output.splitlines()[-1].startswith("Applied 17 step(s) to ")
    expected = {"notes__note", "fw_users", "fw_schema_state", "fw_approval_tasks"}
    assert expected <= tables(database_url)
    code, output = run(str(app_dir), "--database-url", database_url)
    assert code == 0
    assert output.endswith("the database matches the spec; nothing to change.\n")


def test_a_drop_is_refused_with_advice_then_allowed(
    app_dir: Path, database_url: str, write_app_folder: Writer
) -> None:
    assert run(str(app_dir), "--database-url", database_url)[0] == 0
    write_app_folder({"entities/note.yaml": NOTE.replace("      body: {type: long_text}\n", "")})
    code, output = run(str(app_dir), "--database-url", database_url)
    assert code == 1
    assert "Refused: 1 step(s) would lose or break data:" in output
    assert "  ! field 'body' of 'note' is no longer in the spec" in output
    assert "Nothing was changed." in output
    assert "add `renamed_from: <old name>`" in output
    assert "run again with --allow-destructive" in output
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        columns = [c["name"] for c in sa.inspect(connection).get_columns("notes__note")]
    engine.dispose()
    assert "body" in columns
    code, output = run(str(app_dir), "--allow-destructive", "--database-url", database_url)
    assert code == 0
    assert output.splitlines()[-1].startswith("Applied 1 step(s)")


def test_an_app_with_errors_is_not_migrated(write_app_folder: Writer, database_url: str) -> None:
    broken = write_app_folder(
        {"app.yaml": APP, "entities/note.yaml": NOTE.replace("text}", "txet}")}
    )
    code, output = run(str(broken), "--database-url", database_url)
    assert code == 1
    assert "S1" in output and "entities/note.yaml" in output
    assert tables(database_url) == set()


def test_a_spec_that_cannot_be_stored_is_reported(write_app_folder: Writer, tmp_path: Path) -> None:
    # a field named like a system column: `check` reports it (R119) before storage sees it
    app = write_app_folder(
        {"app.yaml": APP, "entities/note.yaml": NOTE.replace("body:", "version:")}
    )
    url = f"sqlite:///{tmp_path / 'x.db'}"
    code, output = run(str(app), "--database-url", url)
    assert code == 1
    assert "error R119 /fields/version" in output
    assert tables(url) == set()


def test_the_default_database_is_an_sqlite_file_under_instance(
    app_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    code, output = run(str(app_dir), env={"DATABASE_URL": None})
    assert code == 0
    assert (work / "instance" / "notes.db").is_file()
    assert f"to sqlite:///{(work / 'instance' / 'notes.db').as_posix()}." in output


def test_database_url_comes_from_the_environment(app_dir: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{(tmp_path / 'env.db').as_posix()}"
    code, _ = run(str(app_dir), env={"DATABASE_URL": url})
    assert code == 0
    assert "notes__note" in tables(url)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--database-url", "mysql://localhost/x"], "unsupported database 'mysql'"),
        (["--database-url", "not a url"], "--database-url"),
        (["--nonsense"], "No such option"),
    ],
)
def test_usage_errors_exit_2(app_dir: Path, args: list[str], message: str) -> None:
    code, output = run(str(app_dir), *args)
    assert code == 2
    assert message in output


def test_a_missing_app_folder_is_a_usage_error(tmp_path: Path) -> None:
    code, output = run(str(tmp_path / "nowhere"))
    assert code == 2
    assert "does not exist" in output
