"""`formwork worker APP_DIR`: one round with `--once`, refusal before migration."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from engine.cli.main import main
from engine.runtime.clock import FixedClock
from engine.runtime.engine import Engine
from engine.runtime.workflow_service import ActionRequest

ROOT = Path(__file__).resolve().parent.parent.parent
SALES_APP = ROOT / "apps" / "sales_crm"
LONG_AGO = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def run(*args: str, url: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env={"DATABASE_URL": url})
    return result.exit_code, result.output


def test_a_round_handles_a_step_that_fell_due_long_ago(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    engine = Engine.load(
        SALES_APP, database_url=url, clock=FixedClock(LONG_AGO), project_root=tmp_path,
        password_iterations=1_000,
    )  # fmt: skip
    try:
        engine.migrate()
        people = engine.people
        team = people.create_team("East")
        people.create_user("boss")
        people.update_team(team.id, manager="boss")
        people.create_user("rep", team_id=team.id)
        people.grant_role("sales_crm", "rep", "sales_rep")
        rep = engine.actor("rep")
        customer = engine.records.create(rep, "customer", {"name": "ACME"})
        contract = engine.records.create(
            rep, "contract", {"title": "C", "customer": customer.id, "amount": 10}
        )
        engine.workflows.act(rep, "contract", contract.id, "submit", ActionRequest())
    finally:
        engine.close()
    assert run("worker", str(SALES_APP), "--once", url=url) == (
        0,
        "Handled 1 item(s): 1 approval step(s).\n",
    )
    assert run("worker", str(SALES_APP), "--once", url=url) == (0, "Handled 0 item(s).\n")


def test_an_unmigrated_database_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    code, output = run("worker", str(SALES_APP), "--once", url=url)
    assert code == 1
    assert "run `formwork migrate" in output
