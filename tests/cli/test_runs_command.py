"""`formwork runs APP_DIR`: the runs table with filters, one run's trace, replay."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from automation_web_support import desk_engine, failed_run, ticket
from click.testing import CliRunner
from web_support import START

from engine.cli.main import main
from engine.runtime.clock import FixedClock
from engine.spec.registry import Registry


@dataclass(frozen=True)
class Desk:
    """The desk app's folder and database, with a done run and a failed one."""

    folder: Path
    url: str
    done: int
    failed: int


@pytest.fixture
def desk(database_url: str, project_registry: Registry, tmp_path: Path) -> Iterator[Desk]:
    folder = tmp_path / "desk"
    engine = desk_engine(folder, database_url, project_registry, FixedClock(START), tmp_path)
    try:
        record = ticket(engine)
        done = engine.automations.run_manual(engine.actor("ann"), "ticket", record.id, "escalate")
        failed = failed_run(engine, record)
    finally:
        engine.close()
    assert done.run_id is not None
    yield Desk(folder, database_url, done.run_id, failed)


def run(desk: Desk, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        main, ["runs", str(desk.folder), *args], env={"DATABASE_URL": desk.url}
    )
    return result.exit_code, result.output


def _ids(output: str) -> list[int]:
    return [int(line.split()[0]) for line in output.splitlines()[1:]]


def test_runs_are_listed_newest_first_as_a_table(desk: Desk) -> None:
    code, output = run(desk)
    assert code == 0, output
    lines = output.splitlines()
    assert lines[0].split() == [
        "id", "when", "automation", "trigger", "record", "status", "error_at", "error",
    ]  # fmt: skip
    assert _ids(output) == [desk.failed, desk.done]
    failed = lines[1]
    assert "grade" in failed and "record_updated" in failed and "ticket#1" in failed
    assert "failed" in failed and "rules/grade.yaml:6" in failed
    assert "no row of the decision table" in failed
    assert "2026-03-02 01:00:00" in lines[2] and "escalate" in lines[2] and "done" in lines[2]


def test_filters_and_limit(desk: Desk) -> None:
    assert _ids(run(desk, "--status", "failed")[1]) == [desk.failed]
    assert _ids(run(desk, "--automation", "escalate")[1]) == [desk.done]
    assert _ids(run(desk, "--limit", "1")[1]) == [desk.failed]
    assert run(desk, "--status", "stopped") == (0, "No runs.\n")
    code, output = run(desk, "--automation", "nope")
    assert code == 1 and "there is no automation 'nope' (automations: escalate" in output
    code, output = run(desk, "--status", "bogus")
    assert code == 2 and "'bogus' is not one of" in output


def test_show_prints_a_trace_with_places(desk: Desk) -> None:
    code, output = run(desk, "show", str(desk.done))
    assert code == 0, output
    assert output.startswith(f"Run {desk.done}: escalate — done\n")
    assert "  ok   rules/escalate.yaml:6  amount > 0 → true" in output
    assert "  ok   rules/escalate.yaml:8  set → " in output and "escalated" in output
    code, output = run(desk, "show", str(desk.failed))
    assert code == 0
    assert "  FAIL rules/grade.yaml:6  lookup" in output
    last = output.rstrip().splitlines()[-1]
    assert re.fullmatch(
        r"Error at rules/grade\.yaml:6: no row of the decision table 'levels' "
        r"matches amount='10(\.00)?'",
        last,
    ), last
    assert re.search(r'  changes: \{"amount": \["5\.00", "10(\.00)?"\]\}', output)
    code, output = run(desk, "show", "999")
    assert code == 1 and "there is no automation run 999" in output


def test_replay_prints_the_new_run_or_the_error(desk: Desk) -> None:
    code, output = run(desk, "replay", str(desk.failed))
    assert code == 1
    assert re.fullmatch(
        rf"Replay of run {desk.failed} failed at rules/grade\.yaml:6: "
        r"no row of the decision table 'levels' matches amount='5\.00'\n",
        output,
    ), output
    code, output = run(desk, "replay", str(desk.done))
    assert code == 0, output
    newest = _ids(run(desk)[1])[0]
    assert output == f"Replayed run {desk.done} as run {newest}: done\n"
    assert f"  replay of run {desk.done}" in run(desk, "show", str(newest))[1]
    code, output = run(desk, "replay", "999")
    assert code == 1 and "there is no automation run 999" in output


def test_an_unmigrated_database_is_refused(desk: Desk, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = CliRunner().invoke(main, ["runs", str(desk.folder)], env={"DATABASE_URL": url})
    assert result.exit_code == 1 and "run `formwork migrate" in result.output
