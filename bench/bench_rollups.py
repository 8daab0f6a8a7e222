"""What keeping targets current costs a deal write: changing a won deal's amount — which moves
the `actual` roll-up of every target containing it (the rep's, the team's and the company's,
for its week, month, quarter and year: 12 targets) and the customer's `won_amount` — against
a plain update of the same deal that no roll-up reads (its next step), in the same process
and database.

`python -m bench.bench_rollups [--pg URL] [--quick]`: SQLite always; PostgreSQL too when
`--pg` or FORMWORK_TEST_DATABASE_URL gives a server (in a schema of its own, dropped after).
"""

from __future__ import annotations

import argparse
import itertools
import os
import tempfile
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from bench.harness import Comparison, bench_database, compare, sales_engine, write_section
from engine.runtime.actor import Actor
from engine.runtime.engine import Engine
from engine.runtime.preparation import WriteOptions

BATCH = 20
REPETITIONS = 15  # a shared machine: more interleaved pairs steady the medians
QUICK_BATCH = 8
QUICK_REPETITIONS = 3
TARGET_RATIO = 3.0
BACKGROUND_DEALS = 600
PG_ENV = "FORMWORK_TEST_DATABASE_URL"
CLOSE = date(2026, 5, 13)  # a Wednesday: week, month, quarter and year all contain it

INTRO = """### Roll-ups: a won deal keeps its targets current (issue 6)

Subject: `engine.records.update` of a **won deal's amount**. The deal counts in the `actual`
roll-up of 12 targets — the rep's, the team's and the company's, for the week, month,
quarter and year of its close date — and in its customer's `won_amount`; the same write
also looks for the targets whose `last_year` it counts in (a year later: none here). Each
update finds the targets with one statement (the `match` rules in SQL, the deal's values as
bind parameters), moves each `actual` by the difference, recomputes the formulas over it
(`attainment`, `forecast`), writes the 12 targets (version + 1, no history entry) and hands
their changes to the automations (the `threshold` rules of `bonus_on_attainment`); the
customer, which has no formula and no rule watching it, is moved in place
(`SET won_amount = won_amount + :difference`). Baseline: an update of the same deal's
`next_step`, which no roll-up reads, through the same service. {background} other won deals
spread over the year and {targets} other targets sit in the same tables; after the run a
full recompute must find nothing to mend. Each timed unit is {batch} updates (one
transaction each); {reps} interleaved repetitions, medians. Target: ≤ {target}× (issue 6:
"winning a deal updates all affected targets … in ≤ 3× a plain deal update"). Before sums
were moved by difference (an aggregate query per roll-up and write, the holders read again
by the derived write, the customer read too): 6.8× on SQLite, 3.5× on PostgreSQL."""


def _periods(day: date) -> list[tuple[str, date, date]]:
    week = day - timedelta(days=day.weekday())
    month = day.replace(day=1)
    next_month = (month + timedelta(days=32)).replace(day=1)
    quarter = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    next_quarter = (
        date(day.year + 1, 1, 1) if quarter.month == 10 else date(day.year, quarter.month + 3, 1)
    )
    return [
        ("week", week, week + timedelta(days=6)),
        ("month", month, next_month - timedelta(days=1)),
        ("quarter", quarter, next_quarter - timedelta(days=1)),
        ("year", date(day.year, 1, 1), date(day.year, 12, 31)),
    ]


def _setup(engine: Engine) -> tuple[int, int]:
    """People, 12 targets around CLOSE, background deals and targets; (deal id, count)."""
    people = engine.people
    people.create_user("boss")
    team = people.create_team("East", manager="boss")
    for name in ("rep_1", "rep_2"):
        people.create_user(name, team_id=team.id)
        people.grant_role(engine.app.id, name, "sales_rep")
    system = Actor.system()
    trusted = WriteOptions(trusted=True, allow_state=True, automations=False)
    targets = 0
    with engine.db.begin() as connection:
        customer = engine.records.create_in(
            connection, system, "customer", {"name": "Bench Co", "owner": "rep_1"}, options=trusted
        )
        rows = []
        for month in range(1, 13):
            for scope, extra in (("user", {"user": "rep_1"}), ("team", {"team": team.id})):
                start = date(2026, month, 1)
                end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
                if start <= CLOSE <= end:
                    continue
                rows.append({"name": f"{scope} {month}", "scope": scope, "period_type": "month",
                             "period_start": start, "period_end": end,
                             "amount": Decimal(10_000_000), "owner": "boss", **extra})  # fmt: skip
        for period, start, end in _periods(CLOSE):
            for scope, extra in (
                ("user", {"user": "rep_1"}), ("team", {"team": team.id}), ("company", {}),
            ):  # fmt: skip
                rows.append({"name": f"{scope} {period}", "scope": scope, "period_type": period,
                             "period_start": start, "period_end": end,
                             "amount": Decimal(100_000_000), "owner": "boss", **extra})  # fmt: skip
        engine.records.create_many_in(connection, system, "target", rows, trusted)
        targets = len(rows) - 12
        background = [
            {"name": f"Old {n}", "customer": customer.id, "owner": "rep_2", "team": team.id,
             "amount": Decimal(1000 + n), "stage": "won",
             "close_date": date(2026, 1, 1) + timedelta(days=n % 360)}
            for n in range(BACKGROUND_DEALS)
        ]  # fmt: skip
        engine.records.create_many_in(connection, system, "deal", background, trusted)
        deal = engine.records.create_in(
            connection, system, "deal",
            {"name": "Bench deal", "customer": customer.id, "owner": "rep_1", "team": team.id,
             "amount": Decimal(50_000), "stage": "won", "close_date": CLOSE},
            options=trusted,
        )  # fmt: skip
    return deal.id, targets


def _updates(
    engine: Engine, deal: int, batch: int, values: Callable[[int], dict[str, object]]
) -> Callable[[], None]:
    actor = Actor.system()
    numbers = itertools.count()

    def run() -> None:
        for _ in range(batch):
            engine.records.update(actor, "deal", deal, values(next(numbers)), version=None)

    return run


def _check(engine: Engine, deal: int) -> None:
    """Every target containing the deal counts its amount, exactly, and every roll-up is
    what a full recompute gives (nothing to mend)."""
    system = Actor.system()
    amount = engine.records.get(system, "deal", deal)["amount"]
    page = engine.records.list(system, "target", limit=100)
    holding = [t for t in page.records if t["period_start"] <= CLOSE <= t["period_end"]]
    assert len(holding) == 12, len(holding)
    for target in holding:
        if target["scope"] == "user":  # the rep's own: this deal alone
            assert target["actual"] == amount, (target["name"], target["actual"], amount)
    assert engine.records.recompute_rollups() == 0


def _timings(
    kind: str, folder: Path, pg_url: str | None, batch: int, reps: int
) -> tuple[Comparison, int]:
    with bench_database(kind, folder, pg_url, "rollups") as url:
        engine = sales_engine(url, folder)
        try:
            deal, targets = _setup(engine)
            row = compare(
                f"{kind}: a won deal's amount changes (13 roll-ups move)",
                f"{kind}: a deal's next step changes",
                _updates(engine, deal, batch, lambda n: {"next_step": f"call {n}"}),
                _updates(engine, deal, batch, lambda n: {"amount": Decimal(50_000 + n % 2)}),
                repetitions=reps,
                target_ratio=TARGET_RATIO,
            )
            _check(engine, deal)
            return row, targets
        finally:
            engine.close()


def run(pg_url: str | None = None, quick: bool = False) -> list[Comparison]:
    """Measure (SQLite, and PostgreSQL when given) and write the section of
    docs/performance.md."""
    pg_url = pg_url or os.environ.get(PG_ENV) or None
    batch, reps = (QUICK_BATCH, QUICK_REPETITIONS) if quick else (BATCH, REPETITIONS)
    rows: list[Comparison] = []
    targets = 0
    for kind in ["sqlite"] + (["postgresql"] if pg_url else []):
        folder = Path(tempfile.mkdtemp(prefix=f"formwork-bench-rollups-{kind}-"))
        row, targets = _timings(kind, folder, pg_url, batch, reps)
        rows.append(row)
    intro = INTRO.format(background=BACKGROUND_DEALS, targets=targets, batch=batch, reps=reps,
                         target=TARGET_RATIO)  # fmt: skip
    if not pg_url:
        intro += f"\n\nPostgreSQL not measured in this run (no `--pg` and no {PG_ENV})."
    print(write_section("rollups", intro, rows))
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: `python -m bench.bench_rollups [--pg URL] [--quick]`."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--pg", metavar="URL", help=f"PostgreSQL URL (default: ${PG_ENV})")
    parser.add_argument("--quick", action="store_true", help="fewer, smaller repetitions")
    args = parser.parse_args(argv)
    run(args.pg, args.quick)


if __name__ == "__main__":
    main()
