"""`formwork recompute APP_DIR [--entity E]`: roll-ups written around the service are
recomputed through it; an unknown entity is refused."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner

from engine.cli.main import main
from engine.runtime.actor import Actor
from engine.runtime.clock import FixedClock
from engine.runtime.engine import Engine

ROOT = Path(__file__).resolve().parent.parent.parent
SALES_APP = ROOT / "apps" / "sales_crm"
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
ROLLUPS = (
    "bonus.adjustments, customer.last_follow_up, customer.deal_count, customer.won_amount, "
    "target.planned, target.actual, target.last_year"
)


def run(*args: str, url: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env={"DATABASE_URL": url})
    return result.exit_code, result.output


def _engine(url: str, root: Path) -> Engine:
    return Engine.load(
        SALES_APP, database_url=url, clock=FixedClock(START), project_root=root,
        password_iterations=1_000,
    )  # fmt: skip


def test_values_written_around_the_service_are_recomputed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    engine = _engine(url, tmp_path)
    try:
        engine.migrate()
        engine.people.create_user("rep")
        system = Actor.system()
        customer = engine.records.create(system, "customer", {"name": "ACME", "owner": "rep"})
        for name in ("A", "B"):
            engine.records.create(
                system, "deal", {"name": name, "customer": customer.id, "amount": 10}
            )
        assert engine.records.get(system, "customer", customer.id)["deal_count"] == 2
        table = engine.tables.entity("customer")
        with engine.db.begin() as connection:  # a load that went around the service
            connection.execute(sa.update(table).values(deal_count=7, won_amount=None))
    finally:
        engine.close()
    code, output = run("recompute", str(SALES_APP), url=url)
    # the first line: roll-ups (the formulas that read the clock follow: test_recompute_clock)
    assert (code, output.splitlines()[0]) == (
        0,
        f"Recomputed 7 roll-up field(s) ({ROLLUPS}): 1 record(s) changed.",
    )
    engine = _engine(url, tmp_path)
    try:
        fixed = engine.records.get(Actor.system(), "customer", customer.id)
        assert (fixed["deal_count"], fixed["won_amount"]) == (2, Decimal(0))
        # a derived write: the version goes up, the history keeps what people did
        assert [
            h.kind for h in engine.records.history(Actor.system(), "customer", customer.id)
        ] == ["created"]
    finally:
        engine.close()
    code, output = run("recompute", str(SALES_APP), "--entity", "target", url=url)
    assert (code, output.splitlines()[0]) == (
        0,
        "Recomputed 3 roll-up field(s) (target.planned, target.actual, target.last_year): "
        "0 record(s) changed.",
    )


def test_an_unknown_entity_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    engine = _engine(url, tmp_path)
    engine.migrate()
    engine.close()
    code, output = run("recompute", str(SALES_APP), "--entity", "dael", url=url)
    assert code == 1 and "unknown entity 'dael'" in output
